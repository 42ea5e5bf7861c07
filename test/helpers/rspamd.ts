// A real rspamd for tests: Debian's /usr/bin/rspamd in the foreground (-f) with Debian's stock
// rules (/etc/rspamd) but our own top-level config, LOCAL_CONFDIR, DBDIR and logs in a temporary
// directory: one normal worker on a free 127.0.0.1 port, no controller or proxy, and nothing on
// the network — DNS goes to a closed local port and the modules that live on DNS or remote
// servers are off. Start-up time: rspamd compiles its URL matcher from the public suffix list
// with Hyperscan, ~25 s for the full list. We give it only the top-level domains (1,700 of
// 9,600 suffixes: URLs are still found, only registrable domains under co.uk-style suffixes
// are not) and keep its compiled matchers in a cache shared across runs (they are keyed by a
// hash of their patterns): the first start on a machine takes ~7 s, later ones ~2 s.
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ForegroundDaemon, logFileTail } from './daemon.js';
import { freePort } from './ports.js';
import { tempDir } from './tmp.js';

export const RSPAMD_BINARY = '/usr/bin/rspamd';

/** True when rspamd is installed (Debian package rspamd). */
export function rspamdInstalled(): boolean {
  return existsSync(RSPAMD_BINARY) && existsSync('/etc/rspamd/common.conf');
}

/** Modules that query DNS or remote servers, or need Redis; all off so a test never leaves the host. */
const OFFLINE_DISABLED = [
  'asn',
  'dcc',
  'dkim',
  'dmarc',
  'arc',
  'emails',
  'fuzzy_check',
  'hfilter', // mostly DNS checks of the HELO and sender domains
  'multimap',
  'mx_check',
  'neural',
  'phishing',
  'rbl',
  'replies',
  'reputation',
  'rspamd_update',
  'spf',
  'surbl',
  'url_redirector',
  'whitelist',
];

const SYSTEM_TLDS = '/usr/share/rspamd/effective_tld_names.dat';

/** The cache directory shared by test runs, with the top-level-domain list in it. */
async function sharedCache(): Promise<{ dir: string; tldFile: string }> {
  const dir = join(tmpdir(), `sekimori-rspamd-cache-${process.getuid?.() ?? 'user'}`);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const tldFile = join(dir, 'tlds.dat');
  const tlds = (await readFile(SYSTEM_TLDS, 'utf8'))
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('//') && !l.includes('.'));
  const text = tlds.join('\n') + '\n';
  // Rewritten only when it changes, so the cached matcher (keyed by content) stays valid.
  if (!existsSync(tldFile) || (await readFile(tldFile, 'utf8')) !== text) await writeFile(tldFile, text);
  return { dir, tldFile };
}

export interface TestRspamd {
  port: number;
  /** Base URL of the normal worker, e.g. http://127.0.0.1:40123. */
  url: string;
  logFile: string;
  running(): boolean;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops rspamd and removes the temporary directory. */
  close(): Promise<void>;
}

/** Starts rspamd and resolves when /ping answers pong. */
export async function startRspamd(): Promise<TestRspamd> {
  const tmp = await tempDir('sekimori-rspamd-');
  const port = await freePort();
  const deadDns = await freePort(); // nothing listens there: every lookup fails at once
  const db = join(tmp.dir, 'db');
  const localDir = join(tmp.dir, 'local');
  await mkdir(db);
  await mkdir(join(localDir, 'local.d'), { recursive: true });
  const logFile = join(tmp.dir, 'rspamd.log');
  const configFile = join(tmp.dir, 'rspamd.conf');
  const cache = await sharedCache();
  await writeFile(
    configFile,
    [
      '.include "$CONFDIR/common.conf"',
      // Our options go in at a higher priority than the stock ones, as local.d files do.
      'options {',
      '  .include "$CONFDIR/options.inc"',
      '  .include(priority=1,duplicate=merge) "$LOCAL_CONFDIR/local.d/options.inc"',
      '}',
      `logging { type = "file"; filename = "${logFile}"; level = "info"; }`,
      `worker "normal" { bind_socket = "127.0.0.1:${port}"; mime = true; count = 1; }`,
      '',
    ].join('\n'),
  );
  await writeFile(
    join(localDir, 'local.d', 'options.inc'),
    [
      `dns { nameserver = ["127.0.0.1:${deadDns}"]; timeout = 0.2s; retransmits = 1; }`,
      'disable_hyperscan = true;', // the rules' regexps: PCRE needs no compile step
      `url_tld = "${cache.tldFile}";`,
      `hs_cache_dir = "${cache.dir}/";`,
      'task_timeout = 5s;',
      '',
    ].join('\n'),
  );
  for (const m of OFFLINE_DISABLED)
    await writeFile(join(localDir, 'local.d', `${m}.conf`), 'enabled = false;\n');

  // The stock rules come from CONFDIR (/etc/rspamd); everything the administrator could have
  // changed (LOCAL_CONFDIR) and everything rspamd writes (DBDIR, RUNDIR) is ours.
  const vars = { LOCAL_CONFDIR: localDir, DBDIR: db, RUNDIR: tmp.dir, LOGDIR: tmp.dir };
  const args = ['-f', '-c', configFile, ...Object.entries(vars).flatMap(([k, v]) => ['--var', `${k}=${v}`])];
  // As root rspamd wants a user to run its workers as; -i lets that be root itself.
  if (process.getuid?.() === 0) args.push('-u', 'root', '-g', 'root', '-i');

  const daemon = new ForegroundDaemon({
    name: 'rspamd',
    binary: RSPAMD_BINARY,
    args,
    ready: () => ping(port),
    readyDescription: 'answers /ping',
    logTail: () => logFileTail(logFile, 30, 'rspamd'),
    startTimeoutMs: 30_000,
  });
  await daemon.start();
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    logFile,
    ...daemon.controls(tmp.cleanup),
  };
}

/** One GET /ping; false on any failure. */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/ping', agent: false, timeout: 1_000 }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve(res.statusCode === 200 && body.trim() === 'pong'));
      res.on('error', () => resolve(false));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}
