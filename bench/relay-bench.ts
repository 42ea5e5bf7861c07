// Relay benchmark: the same load (smtp-source, 10 KB messages, 20 sessions) is relayed once by
// Sekimori and once by a private Postfix instance to Postfix's smtp-sink, and the time until the
// sink has every message is compared. Run with `npm run bench` (see bench/README.md).
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runLoad, type LoadResult } from './lib/load.js';
import { PostfixRelay } from './lib/postfix.js';
import { BenchError, cleanupAll, findExecutable, installSignalHandlers, onCleanup } from './lib/processes.js';
import { SekimoriRelay } from './lib/sekimori.js';
import { Sink } from './lib/sink.js';
import { freePort } from './lib/smtp.js';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const INSTALL_POSTFIX = 'install postfix: apt-get install postfix';

const USAGE = `usage: npm run bench -- [options]
       node dist/bench/relay-bench.js [options]

Relays the same load through Sekimori and through a private Postfix instance into
Postfix's smtp-sink and compares throughput. Needs postfix (smtp-source, smtp-sink)
and root for the Postfix instance.

options:
  --messages N     messages per run (default 10000)
  --sessions N     parallel smtp-source sessions (default 20)
  --size BYTES     message payload size (default 10240)
  --timeout SECS   time limit of each phase (default 600)
  --only WHICH     run only "sekimori" or only "postfix"
  --extra-settings FILE
                   YAML appended to Sekimori's settings (top-level sections other than
                   smtp, domains, trustedNetworks, delivery), e.g. a senderFilter to measure
  --json           print the result as JSON on stdout
  --keep           keep the temporary directory (configs, logs, queues)
  -h, --help       show this help`;

interface Options {
  messages: number;
  sessions: number;
  messageBytes: number;
  timeoutMs: number;
  runSekimori: boolean;
  runPostfix: boolean;
  json: boolean;
  keep: boolean;
  extraSettings?: string;
}

function positiveInt(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new BenchError(`--${name} must be a positive whole number, not "${value}"`, 2);
  return n;
}

function parseOptions(argv: string[]): Options {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        messages: { type: 'string' },
        sessions: { type: 'string' },
        size: { type: 'string' },
        timeout: { type: 'string' },
        only: { type: 'string' },
        'extra-settings': { type: 'string' },
        json: { type: 'boolean', default: false },
        keep: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (err) {
    throw new BenchError(`${(err as Error).message}\n${USAGE}`, 2);
  }
  const v = parsed.values;
  if (v.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const only = v.only?.toLowerCase();
  if (only !== undefined && only !== 'sekimori' && only !== 'postfix') {
    throw new BenchError(`--only must be "sekimori" or "postfix", not "${v.only}"`, 2);
  }
  return {
    messages: positiveInt('messages', v.messages, 10_000),
    sessions: positiveInt('sessions', v.sessions, 20),
    messageBytes: positiveInt('size', v.size, 10_240),
    timeoutMs: positiveInt('timeout', v.timeout, 600) * 1000,
    runSekimori: only !== 'postfix',
    runPostfix: only !== 'sekimori',
    json: v.json === true,
    keep: v.keep === true,
    extraSettings: v['extra-settings'],
  };
}

function need(name: string, hint: string): string {
  const path = findExecutable(name);
  if (!path) throw new BenchError(`${name} not found: ${hint}`, 2);
  return path;
}

const say = (text: string) => process.stderr.write(`bench: ${text}\n`);

interface Outcome {
  sekimori?: LoadResult & { peakRssMB: number };
  postfix?: LoadResult & { version: string };
}

async function benchSekimori(
  o: Options,
  tools: { sink: string; source: string },
  baseDir: string,
): Promise<Outcome['sekimori']> {
  say('Sekimori: starting smtp-sink');
  const sink = await Sink.start(tools.sink, o.timeoutMs);
  const relay = new SekimoriRelay(REPO_ROOT, baseDir, await freePort(), sink.port);
  try {
    say(`Sekimori: importing settings into ${relay.dataDir}`);
    relay.importSettings(o.timeoutMs, o.extraSettings ? readFileSync(o.extraSettings, 'utf8') : '');
    say(`Sekimori: starting on 127.0.0.1:${relay.port} (next hop: smtp-sink on 127.0.0.1:${sink.port})`);
    await relay.start(o.timeoutMs);
    say(`Sekimori: sending ${o.messages} messages`);
    const result = await runLoad({
      label: 'Sekimori',
      smtpSource: tools.source,
      relayPort: relay.port,
      sink,
      messages: o.messages,
      sessions: o.sessions,
      messageBytes: o.messageBytes,
      timeoutMs: o.timeoutMs,
      check: () => relay.assertRunning(),
      diagnostics: () => relay.logTail(),
    });
    const peakRssMB = relay.peakRssKb() / 1024;
    return { ...result, peakRssMB };
  } finally {
    await relay.stop();
    await sink.stop();
  }
}

async function benchPostfix(
  o: Options,
  tools: { sink: string; source: string; postfix: string; postconf: string },
  baseDir: string,
): Promise<Outcome['postfix']> {
  say('Postfix: starting smtp-sink');
  const sink = await Sink.start(tools.sink, o.timeoutMs);
  const relay = new PostfixRelay(
    { postfix: tools.postfix, postconf: tools.postconf },
    baseDir,
    await freePort(),
    sink.port,
  );
  try {
    say(`Postfix: writing a private instance to ${relay.configDir}`);
    relay.prepare();
    say(`Postfix: starting on 127.0.0.1:${relay.port} (relaying to smtp-sink on 127.0.0.1:${sink.port})`);
    await relay.start(o.timeoutMs);
    say(`Postfix: sending ${o.messages} messages`);
    const result = await runLoad({
      label: 'Postfix',
      smtpSource: tools.source,
      relayPort: relay.port,
      sink,
      messages: o.messages,
      sessions: o.sessions,
      messageBytes: o.messageBytes,
      timeoutMs: o.timeoutMs,
      check: () => {
        if (!relay.running()) throw new BenchError(`the Postfix instance stopped\n${relay.logTail()}`);
      },
      diagnostics: () => relay.logTail(),
    });
    const left = relay.queued();
    if (left > 0) say(`Postfix: warning: ${left} queue files left after the run`);
    return { ...result, version: relay.version() };
  } finally {
    relay.stopSync();
    await sink.stop();
  }
}

function table(o: Options, out: Outcome): string {
  const rows: string[][] = [['relay', 'messages', 'seconds', 'msg/s']];
  if (out.sekimori) {
    const r = out.sekimori;
    rows.push(['Sekimori', String(r.messages), r.seconds.toFixed(2), r.messagesPerSecond.toFixed(1)]);
  }
  if (out.postfix) {
    const r = out.postfix;
    rows.push([
      `Postfix ${r.version}`,
      String(r.messages),
      r.seconds.toFixed(2),
      r.messagesPerSecond.toFixed(1),
    ]);
  }
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length))) ?? [];
  const lines = rows.map((row) =>
    row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join('   '),
  );
  const ratio = ratioOf(out);
  return [
    `Relay benchmark: ${o.messages} messages of ${o.messageBytes} bytes, ${o.sessions} sessions, smtp-source -> relay -> smtp-sink on 127.0.0.1`,
    '(seconds: from the first connection until the sink has received every message)',
    '',
    ...lines,
    '',
    `throughput ratio Sekimori/Postfix: ${ratio === undefined ? 'n/a (both relays must run)' : ratio.toFixed(2)}`,
    `Sekimori peak RSS: ${out.sekimori ? `${out.sekimori.peakRssMB.toFixed(1)} MB` : 'n/a (Sekimori not run)'}`,
    '',
  ].join('\n');
}

function ratioOf(out: Outcome): number | undefined {
  if (!out.sekimori || !out.postfix) return undefined;
  return out.sekimori.messagesPerSecond / out.postfix.messagesPerSecond;
}

const round = (n: number, digits: number) => Number(n.toFixed(digits));

function json(o: Options, out: Outcome): string {
  const run = (r: LoadResult | undefined) =>
    r && {
      messages: r.messages,
      seconds: round(r.seconds, 3),
      messagesPerSecond: round(r.messagesPerSecond, 1),
      acceptSeconds: round(r.acceptSeconds, 3),
      delivered: r.delivered,
    };
  const ratio = ratioOf(out);
  return `${JSON.stringify(
    {
      messages: o.messages,
      messageBytes: o.messageBytes,
      sessions: o.sessions,
      sekimori: run(out.sekimori) ?? null,
      postfix: out.postfix ? { ...run(out.postfix), version: out.postfix.version } : null,
      ratio: ratio === undefined ? null : round(ratio, 3),
      sekimoriPeakRssMB: out.sekimori ? round(out.sekimori.peakRssMB, 1) : null,
      node: process.version,
      cpus: cpus().length,
    },
    null,
    2,
  )}\n`;
}

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2));
  installSignalHandlers();

  const tools = {
    source: need('smtp-source', INSTALL_POSTFIX),
    sink: need('smtp-sink', INSTALL_POSTFIX),
    postfix: '',
    postconf: '',
  };
  if (o.runPostfix) {
    tools.postfix = need('postfix', INSTALL_POSTFIX);
    tools.postconf = need('postconf', INSTALL_POSTFIX);
    if (process.getuid?.() !== 0) {
      throw new BenchError(
        'the Postfix instance needs root (postfix start); run as root or use --only sekimori',
        2,
      );
    }
  }
  if (o.runSekimori) SekimoriRelay.checkBuilt(REPO_ROOT);

  const tmp = mkdtempSync(join(tmpdir(), 'sekimori-bench-'));
  // mkdtemp makes it 0700; Postfix's unprivileged daemons must be able to reach their queue in it.
  chmodSync(tmp, 0o755);
  onCleanup('temporary directory', () => {
    if (o.keep) say(`kept ${tmp}`);
    else rmSync(tmp, { recursive: true, force: true });
  });

  const out: Outcome = {};
  if (o.runSekimori) out.sekimori = await benchSekimori(o, tools, join(tmp, 'sekimori'));
  if (o.runPostfix) out.postfix = await benchPostfix(o, tools, join(tmp, 'postfix'));

  for (const [name, r] of Object.entries(out) as [string, LoadResult][]) {
    if (r.delivered > r.messages)
      say(`warning: the sink received ${r.delivered - r.messages} extra messages in the ${name} run`);
  }
  process.stdout.write(o.json ? json(o, out) : table(o, out));
}

main().then(
  () => {
    cleanupAll();
    process.exit(0);
  },
  (err: unknown) => {
    if (err instanceof BenchError) {
      process.stderr.write(`bench: error: ${err.message}\n`);
      cleanupAll();
      process.exit(err.exitCode);
    }
    process.stderr.write(
      `bench: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    cleanupAll();
    process.exit(1);
  },
);
