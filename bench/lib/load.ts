// One measured run: smtp-source sends N messages to the relay; the clock runs from just before
// its first connection until the sink has received all N messages.
import { performance } from 'node:perf_hooks';
import { BenchError, sleep, spawnTracked } from './processes.js';
import type { Sink } from './sink.js';
import { HOST } from './smtp.js';

export interface LoadOptions {
  label: string;
  smtpSource: string;
  relayPort: number;
  sink: Sink;
  messages: number;
  sessions: number;
  messageBytes: number;
  timeoutMs: number;
  /** Called while waiting; throws when the relay has died. */
  check: () => void;
  /** Diagnostics appended to a time-out error (e.g. the relay's log tail). */
  diagnostics: () => string;
}

export interface LoadResult {
  messages: number;
  seconds: number;
  messagesPerSecond: number;
  /** Seconds until smtp-source had handed over every message to the relay. */
  acceptSeconds: number;
  /** Messages the sink received in total (more than `messages` means duplicates). */
  delivered: number;
}

const fmt = (ms: number) => (ms / 1000).toFixed(1);

export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  const args = [
    '-c',
    '-s',
    String(o.sessions),
    '-m',
    String(o.messages),
    '-l',
    String(o.messageBytes),
    '-M',
    'source.bench-client.test',
    '-f',
    'sender@source.bench-client.test',
    '-t',
    'user@bench.test',
    `${HOST}:${o.relayPort}`,
  ];
  const baseline = o.sink.count;
  if (baseline !== 0)
    throw new BenchError(`the sink already counted ${baseline} messages before the ${o.label} run`);

  const start = performance.now();
  const source = spawnTracked(`smtp-source (${o.label})`, o.smtpSource, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let submitted = 0;
  let sourceDoneAt: number | undefined;
  let output = '';
  source.child.stdout?.setEncoding('latin1');
  source.child.stdout?.on('data', (chunk: string) => {
    const m = /(\d+)\s*$/.exec(chunk.replace(/\r/g, ' '));
    if (m) submitted = Math.max(submitted, Number(m[1]));
  });
  source.child.stderr?.setEncoding('latin1');
  source.child.stderr?.on('data', (chunk: string) => {
    output = (output + chunk).slice(-4000);
  });
  void source.exited.then(() => {
    sourceDoneAt = performance.now();
  });

  let reachedAt: number | undefined;
  let sinkError: Error | undefined;
  const reached = o.sink.reached(o.messages).then(
    (at) => {
      reachedAt = at;
    },
    (err: Error) => {
      sinkError = err;
    },
  );

  const deadline = start + o.timeoutMs;
  const tty = process.stderr.isTTY === true;
  let lastReport = start;
  const report = (final = false) => {
    const now = performance.now();
    const line = `[${o.label}] ${fmt(now - start)} s: accepted ${submitted}/${o.messages}, delivered ${o.sink.count}/${o.messages}`;
    if (tty) process.stderr.write(`\r${line}${final ? '\n' : ''}`);
    else if (final || now - lastReport >= 10_000) process.stderr.write(`${line}\n`);
    if (now - lastReport >= 10_000) lastReport = now;
  };

  try {
    while (reachedAt === undefined) {
      await Promise.race([reached, sleep(tty ? 250 : 1000)]);
      if (sinkError) throw sinkError;
      if (reachedAt !== undefined) break;
      const code = source.exitCode();
      if (code !== undefined && code !== 0) {
        throw new BenchError(
          `smtp-source failed against ${o.label} (status ${code}) after ${o.sink.count} deliveries: ${output.trim() || 'no output'}\n${o.diagnostics()}`,
        );
      }
      o.check();
      if (performance.now() > deadline) {
        throw new BenchError(
          `timed out after ${Math.round(o.timeoutMs / 1000)} s in the ${o.label} run: ` +
            `smtp-source ${code === undefined ? 'still sending' : 'finished'}, ${o.sink.count}/${o.messages} messages delivered ` +
            `(raise --timeout SECONDS or lower --messages)\n${o.diagnostics()}`,
        );
      }
      report();
    }
    report(true);
  } catch (err) {
    if (tty) process.stderr.write('\n');
    await source.stop(2000);
    throw err;
  }

  // All delivered; smtp-source has normally ended by now (it ends after the last 250 from the relay).
  const sourceEnd = await Promise.race([source.exited, sleep(30_000).then(() => undefined)]);
  if (sourceEnd === undefined) await source.stop(2000);
  else if (sourceEnd !== 0) {
    throw new BenchError(
      `smtp-source reported a failure against ${o.label} (status ${sourceEnd}): ${output.trim()}`,
    );
  }
  // Give late duplicates a moment to show up in the count.
  await sleep(500);
  const seconds = ((reachedAt as number) - start) / 1000;
  return {
    messages: o.messages,
    seconds,
    messagesPerSecond: o.messages / seconds,
    acceptSeconds: ((sourceDoneAt ?? performance.now()) - start) / 1000,
    delivered: o.sink.count,
  };
}
