// A real clamd for tests: Debian's /usr/sbin/clamd in the foreground, with a generated config in
// a temporary directory and the project's tiny signature database (test/fixtures/clamav), so it
// starts in about a second. Listens on a unix socket and on a free TCP port of 127.0.0.1, both
// kept across restart() so engines configured once keep working when it comes back.
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ForegroundDaemon, logFileTail } from './daemon.js';
import { freePort } from './ports.js';
import { tempDir } from './tmp.js';

export const CLAMD_BINARY = '/usr/sbin/clamd';

/** True when clamd is installed (Debian package clamav-daemon). */
export function clamdInstalled(): boolean {
  return existsSync(CLAMD_BINARY);
}

/** test/fixtures/clamav in the source tree, found from here whether run from test/ or dist/test/. */
export function fixtureDatabaseDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'test', 'fixtures', 'clamav');
    if (existsSync(join(candidate, 'sekimori-test.hdb'))) return candidate;
    const up = dirname(dir);
    if (up === dir) throw new Error('test/fixtures/clamav not found above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
}

export interface TestClamdOptions {
  /** clamd's StreamMaxLength (default "1M", small so tests can go over it cheaply). */
  streamMaxLength?: string;
  maxThreads?: number;
  databaseDirectory?: string;
  /** Further clamd.conf lines. */
  extraConfig?: string[];
}

export interface TestClamd {
  socketPath: string;
  port: number;
  /** Settings-style addresses: "unix:/tmp/…/clamd.sock" and "127.0.0.1:PORT". */
  unixAddress: string;
  tcpAddress: string;
  logFile: string;
  running(): boolean;
  stop(): Promise<void>;
  start(): Promise<void>;
  restart(): Promise<void>;
  /** SIGSTOP / SIGCONT: clamd still accepts connections (the kernel does) but answers nothing. */
  pause(): void;
  resume(): void;
  /** Stops clamd and removes the temporary directory. */
  close(): Promise<void>;
}

/** Starts clamd and resolves when it answers PING with PONG on both sockets. */
export async function startClamd(options: TestClamdOptions = {}): Promise<TestClamd> {
  const tmp = await tempDir('sekimori-clamd-');
  const socketPath = join(tmp.dir, 'clamd.sock');
  const port = await freePort();
  const logFile = join(tmp.dir, 'clamd.log');
  const configFile = join(tmp.dir, 'clamd.conf');
  await writeFile(
    configFile,
    [
      'Foreground yes',
      `LocalSocket ${socketPath}`,
      'FixStaleSocket yes',
      `TCPSocket ${port}`,
      'TCPAddr 127.0.0.1',
      `DatabaseDirectory ${resolve(options.databaseDirectory ?? fixtureDatabaseDir())}`,
      `TemporaryDirectory ${tmp.dir}`,
      `LogFile ${logFile}`,
      'LogTime yes',
      `PidFile ${join(tmp.dir, 'clamd.pid')}`,
      `StreamMaxLength ${options.streamMaxLength ?? '1M'}`,
      `MaxThreads ${options.maxThreads ?? 4}`,
      // PUA.* signatures are only loaded with DetectPUA; the grayware tests need them.
      'DetectPUA yes',
      // No database reload or self-check during a test run.
      'SelfCheck 3600',
      'Bytecode no',
      ...(options.extraConfig ?? []),
    ].join('\n') + '\n',
  );

  const daemon = new ForegroundDaemon({
    name: 'clamd',
    binary: CLAMD_BINARY,
    args: ['-c', configFile],
    ready: async () => (await ping({ path: socketPath })) && (await ping({ host: '127.0.0.1', port })),
    readyDescription: 'answers PING',
    logTail: () => logFileTail(logFile, 20, 'clamd'),
    startTimeoutMs: 20_000,
  });
  const start = () => daemon.start();
  const stop = () => daemon.stop();

  await start();
  return {
    socketPath,
    port,
    unixAddress: `unix:${socketPath}`,
    tcpAddress: `127.0.0.1:${port}`,
    logFile,
    running: () => daemon.running(),
    stop,
    start,
    restart: async () => {
      await stop();
      await start();
    },
    pause: () => {
      daemon.signal('SIGSTOP');
    },
    resume: () => {
      daemon.signal('SIGCONT');
    },
    close: async () => {
      daemon.signal('SIGCONT'); // a paused clamd would not act on SIGTERM
      await stop();
      await tmp.cleanup();
    },
  };
}

/** One PING over a fresh connection; false on any failure. */
function ping(target: { path: string } | { host: string; port: number }): Promise<boolean> {
  return new Promise((resolvePing) => {
    const sock = createConnection(target);
    let reply = '';
    const done = (ok: boolean) => {
      sock.destroy();
      resolvePing(ok);
    };
    sock.setTimeout(1_000, () => done(false));
    sock.on('error', () => done(false));
    sock.on('connect', () => sock.write('zPING\0'));
    sock.on('data', (d: Buffer) => {
      reply += d.toString();
      if (reply.includes('\0')) done(reply.startsWith('PONG'));
    });
    sock.on('end', () => done(reply.startsWith('PONG')));
  });
}
