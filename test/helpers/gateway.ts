// Runs the real `sekimori` CLI in a child process against a temporary data directory, the way
// an administrator would, for end-to-end tests.
import { spawn, type ChildProcess } from 'node:child_process';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { freePort } from './ports.js';
import { tempDir, waitUntil } from './tmp.js';

export const SEKIMORI_BIN = resolve('bin/sekimori.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], env: NodeJS.ProcessEnv = {}, input?: string): Promise<CliResult> {
  return new Promise((resolvePromise) => {
    const child = execFile(
      process.execPath,
      [SEKIMORI_BIN, ...args],
      { env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolvePromise({ code, stdout, stderr });
      },
    );
    if (input !== undefined) child.stdin?.end(input);
  });
}

/** Resolves when something answers with an SMTP greeting on host:port. */
export async function waitForSmtp(host: string, port: number, timeoutMs = 30_000): Promise<void> {
  await waitUntil(
    () =>
      new Promise<boolean>((res) => {
        const s = connect({ host, port });
        s.once('data', (d) => {
          s.destroy();
          res(d.toString().startsWith('220'));
        });
        s.once('error', () => res(false));
      }),
    `SMTP answers on ${host}:${port}`,
    timeoutMs,
    50,
  );
}

export interface TestGateway {
  dataDir: string;
  host: string;
  port: number;
  /** https://127.0.0.1:PORT of the administration console (self-signed certificate). */
  consoleUrl: string;
  process: ChildProcess;
  /** Everything the gateway logged (JSON lines). */
  output(): string;
  cli(args: string[], input?: string): Promise<CliResult>;
  /** Starts the process again (after kill or stop) on the same data directory and port. */
  restart(): Promise<void>;
  kill(signal?: NodeJS.Signals): Promise<void>;
  stop(): Promise<void>;
}

export interface GatewayOptions {
  settings?: unknown;
  env?: NodeJS.ProcessEnv;
  databaseUrl?: string;
}

export async function startGateway(o: GatewayOptions = {}): Promise<TestGateway> {
  const t = await tempDir('sekimori-gw-');
  const dataDir = t.dir;
  const host = '127.0.0.1';
  const port = await freePort();
  const consolePort = await freePort();
  const env: NodeJS.ProcessEnv = {
    SEKIMORI_CONSOLE_LISTEN: `${host}:${consolePort}`,
    SEKIMORI_DATA_DIR: dataDir,
    SEKIMORI_LOG_LEVEL: 'info',
    ...(o.databaseUrl ? { SEKIMORI_DATABASE_URL: o.databaseUrl } : {}),
    ...o.env,
  };
  const cli = (args: string[], input?: string) => runCli(args, env, input);
  {
    // Tests never ask the machine's resolver (it is not on loopback): without a DNS server of
    // their own, lookups go to a closed loopback port and fail at once.
    const given = (o.settings ?? {}) as { dns?: { resolvers?: string[] } };
    const settings = given.dns?.resolvers
      ? given
      : { ...given, dns: { ...given.dns, resolvers: ['127.0.0.1:9'] } };
    const file = join(dataDir, 'settings.yaml');
    await writeFile(file, stringify(settings));
    const r = await cli(['settings', 'import', file]);
    if (r.code !== 0) throw new Error(`settings import failed: ${r.stderr}`);
  }
  let output = '';
  let child: ChildProcess;
  const launch = async () => {
    const startedAt = output.length;
    child = spawn(process.execPath, [SEKIMORI_BIN, 'start', '--smtp-listen', `${host}:${port}`], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<never>((_, reject) =>
      child.once('exit', (code) => reject(new Error(`gateway exited (${code}) during start:\n${output}`))),
    );
    exited.catch(() => undefined);
    await Promise.race([waitForSmtp(host, port), exited]);
    // the console starts right after SMTP
    await Promise.race([
      waitUntil(
        () => /console listening on|console is off/.test(output.slice(startedAt)),
        'the console listens',
      ),
      exited,
    ]);
  };
  const waitExit = (signal: NodeJS.Signals) =>
    new Promise<void>((res) => {
      if (child.exitCode !== null || child.signalCode !== null) return res();
      child.once('exit', () => res());
      child.kill(signal);
    });
  await launch();
  const gw: TestGateway = {
    dataDir,
    host,
    port,
    consoleUrl: `https://${host}:${consolePort}`,
    get process() {
      return child;
    },
    output: () => output,
    cli,
    restart: launch,
    kill: (signal = 'SIGKILL') => waitExit(signal),
    stop: async () => {
      await waitExit('SIGTERM');
      await t.cleanup();
    },
  };
  return gw;
}
