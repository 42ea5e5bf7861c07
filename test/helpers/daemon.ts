// A daemon run in the foreground for a test: spawned with its output collected, ready when a
// probe answers, stopped with SIGTERM (SIGKILL after a grace period). Shared by the clamd,
// rspamd and spamd helpers.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { waitUntil } from './tmp.js';

export interface ForegroundDaemonOptions {
  /** Used in error messages, e.g. "clamd". */
  name: string;
  binary: string;
  args: string[];
  /** True once the daemon answers; polled every 50 ms during start. */
  ready: () => Promise<boolean>;
  /** What ready() checks, for the timeout message, e.g. "answers PING". */
  readyDescription?: string;
  /** Appended to the error when the daemon exits during start (e.g. the end of its log). */
  logTail?: () => Promise<string>;
  startTimeoutMs?: number;
  /** How long stop() waits after SIGTERM before SIGKILL. */
  killAfterMs?: number;
}

export class ForegroundDaemon {
  private child: ChildProcess | undefined;
  private collected = '';

  constructor(private readonly o: ForegroundDaemonOptions) {}

  /** Spawns the daemon (unless it runs) and resolves when ready() holds; throws, stopped, if it does not. */
  async start(): Promise<void> {
    if (this.child) return;
    const { name, binary, args, ready } = this.o;
    this.collected = '';
    const proc = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = proc;
    proc.stdout?.on('data', (d: Buffer) => (this.collected += d.toString()));
    proc.stderr?.on('data', (d: Buffer) => (this.collected += d.toString()));
    proc.once('exit', () => {
      if (this.child === proc) this.child = undefined;
    });
    try {
      await waitUntil(
        async () => {
          if (this.child !== proc) {
            const tail = this.o.logTail ? `\n${await this.o.logTail()}` : '';
            throw new Error(`${name} exited during start:\n${this.collected}${tail}`);
          }
          return ready();
        },
        `${name} ${this.o.readyDescription ?? 'is ready'}`,
        this.o.startTimeoutMs ?? 20_000,
        50,
      );
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  /** SIGTERM, then SIGKILL after killAfterMs; resolves when the process has exited. */
  async stop(): Promise<void> {
    const proc = this.child;
    if (!proc) return;
    const exited = new Promise<void>((r) => proc.once('exit', () => r()));
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), this.o.killAfterMs ?? 5_000);
    await exited;
    clearTimeout(timer);
    this.child = undefined;
  }

  running(): boolean {
    return this.child !== undefined;
  }

  /** Sends a signal to the running process (nothing when it does not run). */
  signal(sig: NodeJS.Signals): void {
    this.child?.kill(sig);
  }

  /** running/start/stop, and close() = stop() then cleanup(): the common part of a helper's handle. */
  controls(cleanup: () => Promise<void>): {
    running(): boolean;
    start(): Promise<void>;
    stop(): Promise<void>;
    close(): Promise<void>;
  } {
    return {
      running: () => this.running(),
      start: () => this.start(),
      stop: () => this.stop(),
      close: async () => {
        await this.stop();
        await cleanup();
      },
    };
  }

  /** stdout and stderr of the current (or last) run. */
  output(): string {
    return this.collected;
  }
}

/** The last `lines` lines of a log file, or "(no NAME log)" when it cannot be read. */
export async function logFileTail(file: string, lines: number, name: string): Promise<string> {
  try {
    return (await readFile(file, 'utf8')).split('\n').slice(-lines).join('\n');
  } catch {
    return `(no ${name} log)`;
  }
}
