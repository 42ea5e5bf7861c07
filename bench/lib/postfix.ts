// A private Postfix instance used as the reference relay. It has its own config_directory,
// queue_directory and data_directory under the benchmark's temporary directory, listens only on
// 127.0.0.1:PORT, relays bench.test to the sink and is started and stopped with `postfix -c DIR`.
// The system instance (/etc/postfix, /var/spool/postfix) is never read for settings nor touched.
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { BenchError, isAlive, onCleanup, runSync, sleepSync } from './processes.js';
import { HOST, waitForSmtp } from './smtp.js';

const MASTER_CF_SOURCES = [
  '/usr/share/postfix/master.cf.dist',
  '/etc/postfix/master.cf.proto',
  '/etc/postfix/master.cf',
];

export interface PostfixTools {
  postfix: string;
  postconf: string;
}

function userIds(name: string): { uid: number; gid: number } | undefined {
  for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
    const f = line.split(':');
    if (f[0] === name && f[2] !== undefined && f[3] !== undefined)
      return { uid: Number(f[2]), gid: Number(f[3]) };
  }
  return undefined;
}

/**
 * Debian's master.cf with every active inet service (normally "smtp inet ... smtpd" on port 25)
 * removed and one smtpd listening on 127.0.0.1:PORT added.
 */
export function benchMasterCf(template: string, port: number): string {
  const out: string[] = [];
  let skipping = false;
  for (const line of template.split('\n')) {
    if (/^\s/.test(line) && line.trim() !== '' && !line.trim().startsWith('#')) {
      if (!skipping) out.push(line); // continuation of the previous service entry
      continue;
    }
    const fields = line.trim().split(/\s+/);
    skipping = !line.startsWith('#') && line.trim() !== '' && fields[1] === 'inet';
    if (!skipping) out.push(line);
  }
  out.push('# Sekimori benchmark: the only listener, loopback on a free port.');
  out.push(`${HOST}:${port} inet n - n - - smtpd`);
  return `${out.join('\n')}\n`;
}

export function benchMainCf(opts: {
  compatibilityLevel: string;
  queueDir: string;
  dataDir: string;
  logFile: string;
  logPrefix: string;
  sinkPort: number;
}): string {
  const nextHop = `[${HOST}]:${opts.sinkPort}`;
  return [
    '# Postfix instance of the Sekimori relay benchmark (generated; throw-away).',
    `compatibility_level = ${opts.compatibilityLevel}`,
    `queue_directory = ${opts.queueDir}`,
    `data_directory = ${opts.dataDir}`,
    'myhostname = postfix.bench-relay.test',
    'myorigin = $myhostname',
    // No local delivery at all: nothing is ours, everything for bench.test is relayed.
    'mydestination =',
    'local_recipient_maps =',
    'alias_maps =',
    'alias_database =',
    'local_transport = error:5.1.1 local delivery is disabled in this benchmark instance',
    `inet_interfaces = ${HOST}`,
    'inet_protocols = ipv4',
    'mynetworks = 127.0.0.0/8',
    'relay_domains = bench.test',
    'smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination',
    // Every message goes to the sink (literal address: no DNS involved).
    `relay_transport = relay:${nextHop}`,
    `default_transport = smtp:${nextHop}`,
    'smtp_tls_security_level = none',
    'smtpd_tls_security_level = none',
    // Logging to a file of its own (no syslog needed) via postlogd.
    `maillog_file_prefixes = ${opts.logPrefix}`,
    `maillog_file = ${opts.logFile}`,
    'syslog_name = postfix-bench',
    'biff = no',
    'append_dot_mydomain = no',
    'readme_directory = no',
    // Everything else (process limits, smtp_destination_concurrency_limit = 20, in_flow_delay,
    // connection caching, fsync of queue files) is left at Postfix's defaults.
    '',
  ].join('\n');
}

export class PostfixRelay {
  readonly configDir: string;
  readonly queueDir: string;
  readonly dataDir: string;
  readonly logFile: string;
  private started = false;

  constructor(
    private readonly tools: PostfixTools,
    private readonly baseDir: string,
    readonly port: number,
    private readonly sinkPort: number,
  ) {
    this.configDir = join(baseDir, 'conf');
    this.queueDir = join(baseDir, 'queue');
    this.dataDir = join(baseDir, 'data');
    this.logFile = join(baseDir, 'maillog');
  }

  version(): string {
    const r = runSync(this.tools.postconf, ['-d', '-h', 'mail_version']);
    return r.status === 0 ? r.output.trim() : 'unknown';
  }

  /** Writes main.cf and master.cf and creates the directories with the ownership Postfix wants. */
  prepare(): void {
    const owner = runSync(this.tools.postconf, ['-d', '-h', 'mail_owner']).output.trim() || 'postfix';
    const ids = userIds(owner);
    if (!ids)
      throw new BenchError(
        `the Postfix mail_owner user "${owner}" does not exist (install postfix: apt-get install postfix)`,
      );
    const template = MASTER_CF_SOURCES.find((p) => existsSync(p));
    if (!template)
      throw new BenchError(`no master.cf template found (looked at ${MASTER_CF_SOURCES.join(', ')})`);

    // The postfix user must be able to reach the queue and data directories.
    mkdirSync(this.baseDir, { recursive: true });
    chmodSync(this.baseDir, 0o755);
    for (const d of [this.configDir, this.queueDir, this.dataDir])
      mkdirSync(d, { recursive: true, mode: 0o755 });
    chownSync(this.dataDir, ids.uid, ids.gid);

    const [major, minor] = this.version().split('.').map(Number);
    const modern = (major ?? 0) > 3 || ((major ?? 0) === 3 && (minor ?? 0) >= 6);
    writeFileSync(
      join(this.configDir, 'main.cf'),
      benchMainCf({
        compatibilityLevel: modern ? '3.6' : '2',
        queueDir: this.queueDir,
        dataDir: this.dataDir,
        logFile: this.logFile,
        logPrefix: this.baseDir,
        sinkPort: this.sinkPort,
      }),
    );
    writeFileSync(
      join(this.configDir, 'master.cf'),
      benchMasterCf(readFileSync(template, 'utf8'), this.port),
    );
    // No chroot: a chroot would need copies of /etc files inside the queue directory.
    const chroot = runSync(this.tools.postconf, ['-c', this.configDir, '-F', '*/*/chroot = n']);
    if (chroot.status !== 0) throw new BenchError(`postconf -F failed: ${chroot.output}`);
    const check = runSync(this.tools.postfix, ['-c', this.configDir, 'check']);
    if (check.status !== 0) throw new BenchError(`postfix check failed: ${check.output}\n${this.logTail()}`);
  }

  /** `postfix -c DIR start`, then waits for the 220 greeting. */
  async start(timeoutMs: number): Promise<void> {
    onCleanup('Postfix instance', () => this.stopSync());
    this.started = true;
    const r = runSync(this.tools.postfix, ['-c', this.configDir, 'start'], { timeoutMs: 60_000 });
    if (r.status !== 0)
      throw new BenchError(`postfix -c ${this.configDir} start failed: ${r.output}\n${this.logTail()}`);
    await waitForSmtp(this.port, 'Postfix', timeoutMs, () => {
      if (!this.running())
        throw new BenchError(`the Postfix master process is not running\n${this.logTail()}`);
    });
  }

  private masterPid(): number | undefined {
    try {
      const pid = Number(readFileSync(join(this.queueDir, 'pid', 'master.pid'), 'utf8').trim());
      return pid > 0 ? pid : undefined;
    } catch {
      return undefined;
    }
  }

  running(): boolean {
    const pid = this.masterPid();
    return pid !== undefined && isAlive(pid);
  }

  /** `postfix -c DIR stop` (which waits for the master), then makes sure nothing is left. */
  stopSync(): void {
    if (!this.started) return;
    this.started = false;
    const pid = this.masterPid();
    if (pid === undefined || !isAlive(pid)) return;
    runSync(this.tools.postfix, ['-c', this.configDir, 'stop'], { timeoutMs: 30_000 });
    const deadline = Date.now() + 10_000;
    while (isAlive(pid) && Date.now() < deadline) sleepSync(50);
    if (isAlive(pid)) {
      // The master runs in a session and process group of its own: take its children too.
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        process.kill(pid, 'SIGKILL');
      }
    }
  }

  /** Messages still in the instance's queue (incoming, active, deferred). */
  queued(): number {
    let n = 0;
    for (const d of ['incoming', 'active', 'deferred']) {
      try {
        n += readdirSync(join(this.queueDir, d), { recursive: true, withFileTypes: true }).filter((e) =>
          e.isFile(),
        ).length;
      } catch {
        // not created
      }
    }
    return n;
  }

  logTail(lines = 15): string {
    try {
      const all = readFileSync(this.logFile, 'utf8').trimEnd().split('\n');
      return `last lines of ${this.logFile}:\n  ${all.slice(-lines).join('\n  ')}`;
    } catch {
      return `(no Postfix log at ${this.logFile})`;
    }
  }
}
