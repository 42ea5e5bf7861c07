// Child processes and clean-up for the benchmark: everything started is registered here and
// torn down exactly once, on success, on error and on SIGINT/SIGTERM/SIGHUP. Clean-up is
// synchronous so that it also works from the process 'exit' handler.
import { spawn, spawnSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync, readdirSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/** An error whose message is shown to the user as is, without a stack trace. */
export class BenchError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'BenchError';
  }
}

type Cleanup = { label: string; run: () => void };

const cleanups: Cleanup[] = [];
let cleanedUp = false;

/** Registers a synchronous clean-up step; steps run in reverse order of registration. */
export function onCleanup(label: string, run: () => void): () => void {
  const entry = { label, run };
  cleanups.push(entry);
  return () => {
    const i = cleanups.indexOf(entry);
    if (i >= 0) cleanups.splice(i, 1);
  };
}

/** Runs every registered clean-up step once; errors are reported, never thrown. */
export function cleanupAll(): void {
  if (cleanedUp) return;
  cleanedUp = true;
  while (cleanups.length > 0) {
    const step = cleanups.pop();
    if (!step) break;
    try {
      step.run();
    } catch (err) {
      process.stderr.write(`bench: clean-up of ${step.label} failed: ${(err as Error).message}\n`);
    }
  }
}

/** Installs handlers so that Ctrl-C, SIGTERM, SIGHUP and normal exit stop everything started. */
export function installSignalHandlers(): void {
  const signals: [NodeJS.Signals, number][] = [
    ['SIGINT', 130],
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ];
  for (const [signal, code] of signals) {
    process.on(signal, () => {
      process.stderr.write(`\nbench: ${signal} received, stopping everything started\n`);
      cleanupAll();
      process.exit(code);
    });
  }
  process.on('exit', () => cleanupAll());
}

/** Blocks the thread for `ms` milliseconds (only used on clean-up paths). */
export function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** True while `pid` exists and is not a zombie (an unreaped orphan counts as gone). */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

function signalGroupOrPid(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

/** SIGTERM to the process group of `pid`, SIGKILL after `graceMs` if still alive; synchronous. */
export function terminateSync(pid: number, graceMs = 5000): void {
  if (!isAlive(pid)) return;
  signalGroupOrPid(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) sleepSync(50);
  if (isAlive(pid)) signalGroupOrPid(pid, 'SIGKILL');
}

export interface Tracked {
  child: ChildProcess;
  pid: number;
  /** Resolves with the exit code (or 128+signal) when the process ends. */
  exited: Promise<number>;
  /** Exit status once ended, otherwise undefined. */
  exitCode(): number | undefined;
  /** Stops the process group (SIGTERM, then SIGKILL) and waits for it to end. */
  stop(graceMs?: number): Promise<void>;
}

const SIGNUMS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };

/**
 * Spawns a child in its own process group and registers it for clean-up. The child does not
 * receive the terminal's Ctrl-C directly; our SIGINT handler stops it instead.
 */
export function spawnTracked(label: string, command: string, args: string[], options: SpawnOptions): Tracked {
  const child = spawn(command, args, { ...options, detached: true });
  if (child.pid === undefined) {
    throw new BenchError(`could not start ${label} (${command})`);
  }
  const pid = child.pid;
  let status: number | undefined;
  const exited = new Promise<number>((resolve) => {
    child.on('exit', (code, signal) => {
      status = code ?? 128 + (signal ? (SIGNUMS[signal] ?? 0) : 0);
      resolve(status);
    });
    child.on('error', () => {
      status ??= 127;
      resolve(status);
    });
  });
  const unregister = onCleanup(label, () => {
    if (status === undefined) terminateSync(pid);
  });
  return {
    child,
    pid,
    exited,
    exitCode: () => status,
    async stop(graceMs = 10_000) {
      if (status === undefined) {
        signalGroupOrPid(pid, 'SIGTERM');
        const timer = setTimeout(() => signalGroupOrPid(pid, 'SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
      }
      // Leftovers of its process group (if any) get a SIGKILL.
      signalGroupOrPid(pid, 'SIGKILL');
      unregister();
    },
  };
}

/** Runs a command to completion (bounded), capturing its output. */
export function runSync(
  command: string,
  args: string[],
  options: { timeoutMs?: number; cwd?: string; env?: NodeJS.ProcessEnv } = {},
): { status: number; output: string } {
  const r = spawnSync(command, args, {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 60_000,
    killSignal: 'SIGKILL',
  });
  const output = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim();
  if (r.error) return { status: 127, output: `${output}\n${r.error.message}`.trim() };
  return { status: r.status ?? 128, output };
}

/** Finds an executable in PATH, falling back to the sbin directories Postfix installs into. */
export function findExecutable(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin', '/sbin'];
  for (const dir of dirs) {
    if (!dir) continue;
    const p = join(dir, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // keep looking
    }
  }
  return undefined;
}

function status(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return '';
  }
}

function kbField(text: string, field: string): number {
  const m = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

/** `pid` and all its descendants, read from /proc/PID/task/TID/children. */
export function processTree(pid: number): number[] {
  const out: number[] = [];
  const stack = [pid];
  while (stack.length > 0) {
    const p = stack.pop() as number;
    if (!existsSync(`/proc/${p}`)) continue;
    out.push(p);
    let tasks: string[];
    try {
      tasks = readdirSync(`/proc/${p}/task`);
    } catch {
      continue;
    }
    for (const tid of tasks) {
      try {
        const kids = readFileSync(`/proc/${p}/task/${tid}/children`, 'utf8').trim();
        if (kids) stack.push(...kids.split(/\s+/).map(Number));
      } catch {
        // task ended meanwhile
      }
    }
  }
  return out;
}

/** Current resident set size of the process tree, in kB. */
export function treeRssKb(pid: number): number {
  return processTree(pid).reduce((sum, p) => sum + kbField(status(p), 'VmRSS'), 0);
}

/** Peak resident set size (VmHWM) of the process tree, in kB, summed over its processes. */
export function treeHwmKb(pid: number): number {
  return processTree(pid).reduce((sum, p) => sum + kbField(status(p), 'VmHWM'), 0);
}
