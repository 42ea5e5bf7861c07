// A real spamd for tests: Debian's /usr/sbin/spamd in the foreground on a free 127.0.0.1 port,
// with the rule set Debian ships in /usr/share/spamassassin (sa-update would need the network)
// and our own site config in a temporary directory: local tests only (-L, no DNS), no Bayes, no
// user preferences. It answers PING in about 2 s.
import { copyFile, chmod, readdir, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { ForegroundDaemon, logFileTail } from './daemon.js';
import { freePort } from './ports.js';
import { tempDir } from './tmp.js';

export const SPAMD_BINARY = '/usr/sbin/spamd';
/** The rules of the spamassassin package (Debian ships them; no sa-update needed). */
export const SA_RULES_DIR = '/usr/share/spamassassin';
/** Debian's site config: only its .pre files (which load the plugins) are copied. */
const SA_SITE_DIR = '/etc/spamassassin';
export const SA_EXAMPLES = '/usr/share/doc/spamassassin/examples';

/** True when spamd and the rules are installed (Debian packages spamd and spamassassin). */
export function spamdInstalled(): boolean {
  return existsSync(SPAMD_BINARY) && existsSync(join(SA_RULES_DIR, '50_scores.cf'));
}

export interface TestSpamd {
  port: number;
  /** "127.0.0.1:PORT", as the settings write it. */
  address: string;
  logFile: string;
  running(): boolean;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops spamd and removes the temporary directory. */
  close(): Promise<void>;
}

export interface TestSpamdOptions {
  /** Further local.cf lines. */
  localCf?: string[];
}

export async function startSpamd(options: TestSpamdOptions = {}): Promise<TestSpamd> {
  const tmp = await tempDir('sekimori-spamd-');
  // spamd drops to "nobody" when started as root and still has to read the site config.
  await chmod(tmp.dir, 0o755);
  const port = await freePort();
  const logFile = join(tmp.dir, 'spamd.log');
  for (const f of await readdir(SA_SITE_DIR)) {
    if (f.endsWith('.pre')) await copyFile(join(SA_SITE_DIR, f), join(tmp.dir, f));
  }
  await writeFile(
    join(tmp.dir, 'local.cf'),
    [
      'use_bayes 0',
      'bayes_auto_learn 0',
      'dns_available no',
      'skip_rbl_checks 1',
      'required_score 5.0',
      ...(options.localCf ?? []),
      '',
    ].join('\n'),
  );
  const args = [
    '--listen',
    `127.0.0.1:${port}`,
    '--allowed-ips',
    '127.0.0.1',
    '--local', // no network tests
    '--nouser-config',
    '--configpath',
    SA_RULES_DIR,
    '--siteconfigpath',
    tmp.dir,
    '--helper-home-dir',
    tmp.dir,
    '--syslog',
    logFile,
    '--max-children',
    '2',
    '--min-children',
    '1',
    '--min-spare',
    '1',
    '--max-spare',
    '2',
    ...(process.getuid?.() === 0 ? ['--username', 'nobody'] : []),
  ];

  // SIGTERM on stop: spamd's parent stops its children itself.
  const daemon = new ForegroundDaemon({
    name: 'spamd',
    binary: SPAMD_BINARY,
    args,
    ready: () => ping(port),
    readyDescription: 'answers PING',
    logTail: () => logFileTail(logFile, 30, 'spamd'),
    startTimeoutMs: 60_000,
  });
  await daemon.start();
  return {
    port,
    address: `127.0.0.1:${port}`,
    logFile,
    ...daemon.controls(tmp.cleanup),
  };
}

/** One PING over a fresh connection; false on any failure. */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createConnection({ host: '127.0.0.1', port });
    let reply = '';
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(1_000, () => done(false));
    sock.on('error', () => done(false));
    sock.on('connect', () => sock.write('PING SPAMC/1.5\r\n\r\n'));
    sock.on('data', (d: Buffer) => {
      reply += d.toString();
      if (reply.includes('\r\n')) done(/^SPAMD\/\S+ 0 PONG/.test(reply));
    });
    sock.on('end', () => done(false));
  });
}
