// The final destination: Postfix's smtp-sink, which accepts and discards mail. Started with -c,
// it prints running counters ("sess=N quit=N mesg=N", separated by carriage returns) whenever
// "." is received or a session ends; the mesg counter tells how many messages have arrived.
import { performance } from 'node:perf_hooks';
import { BenchError, spawnTracked, type Tracked } from './processes.js';
import { freePort, HOST, waitForSmtp } from './smtp.js';

interface Waiter {
  target: number;
  resolve: (at: number) => void;
  reject: (err: Error) => void;
}

export class Sink {
  /** Messages received so far (the sink's mesg counter). */
  count = 0;
  /** performance.now() of the moment `count` last grew. */
  lastArrival = 0;
  private waiters: Waiter[] = [];
  private stderr = '';

  private constructor(
    readonly port: number,
    private readonly proc: Tracked,
  ) {
    let pending = '';
    proc.child.stdout?.setEncoding('latin1');
    proc.child.stdout?.on('data', (chunk: string) => {
      const now = performance.now();
      pending += chunk;
      const parts = pending.split(/[\r\n]/);
      pending = parts.pop() ?? '';
      for (const part of parts) {
        const m = /mesg=(\d+)/.exec(part);
        if (m) this.update(Number(m[1]), now);
      }
    });
    proc.child.stderr?.setEncoding('latin1');
    proc.child.stderr?.on('data', (chunk: string) => {
      this.stderr = (this.stderr + chunk).slice(-4000);
    });
    void proc.exited.then((code) => {
      const err = new BenchError(
        `smtp-sink exited unexpectedly (status ${code}): ${this.stderr.trim() || 'no output'}`,
      );
      for (const w of this.waiters.splice(0)) w.reject(err);
    });
  }

  /** Starts smtp-sink on a free 127.0.0.1 port and waits until it greets. */
  static async start(executable: string, timeoutMs: number): Promise<Sink> {
    let lastError: Error | undefined;
    for (let attempt = 0; attempt < 3; attempt++) {
      const port = await freePort();
      // As root smtp-sink insists on dropping privileges with -u.
      const user = process.getuid?.() === 0 ? ['-u', 'nobody'] : [];
      // -c: running counters; -h: greeting name; backlog 1024 so no connection is refused.
      const args = [...user, '-c', '-h', 'sink.bench.test', `${HOST}:${port}`, '1024'];
      const proc = spawnTracked('smtp-sink', executable, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      const sink = new Sink(port, proc);
      try {
        await waitForSmtp(port, 'smtp-sink', timeoutMs, () => {
          const code = proc.exitCode();
          if (code !== undefined) {
            throw new BenchError(
              `smtp-sink exited at start (status ${code}): ${sink.stderr.trim() || 'no output'}`,
            );
          }
        });
        return sink;
      } catch (err) {
        lastError = err as Error;
        await proc.stop(2000);
      }
    }
    throw lastError ?? new BenchError('could not start smtp-sink');
  }

  private update(count: number, at: number): void {
    if (count <= this.count) return;
    this.count = count;
    this.lastArrival = at;
    this.waiters = this.waiters.filter((w) => {
      if (count < w.target) return true;
      w.resolve(at);
      return false;
    });
  }

  /** Resolves with performance.now() of the moment the sink had received `target` messages. */
  reached(target: number): Promise<number> {
    if (this.count >= target) return Promise.resolve(this.lastArrival);
    const code = this.proc.exitCode();
    if (code !== undefined)
      return Promise.reject(new BenchError(`smtp-sink is not running (status ${code})`));
    return new Promise((resolve, reject) => this.waiters.push({ target, resolve, reject }));
  }

  async stop(): Promise<void> {
    this.waiters = [];
    await this.proc.stop(2000);
  }
}
