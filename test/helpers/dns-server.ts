// A real DNS server for tests: dnsmasq in the foreground on a free 127.0.0.1 port (UDP and TCP),
// answering only from the records given here (no /etc/hosts, no resolv.conf, no upstream).
//
//   const dns = await startDnsServer({
//     mx: [{ name: 'example.test', exchange: 'mx1.example.test', preference: 10 }],
//     a: [{ name: 'mx1.example.test', address: '127.0.0.1' }],
//     txt: [{ name: 'example.test', text: 'v=spf1 -all' }],
//     nxdomain: ['gone.test'],
//   });
//   settings.dns.resolvers = [dns.address];      // "127.0.0.1:<port>"
//   await dns.stop();
//
// Names under a zone the server is authoritative for but without a record of the asked type
// answer NODATA (when the name has other records) or NXDOMAIN; names outside every zone answer
// REFUSED. Zones default to the top-level labels of all record names plus test, example and
// invalid, so a DNSBL lookup of an unlisted address gets NXDOMAIN as from a real zone.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, connect } from 'node:net';
import { createSocket } from 'node:dgram';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

export interface DnsRecords {
  /** MX records; exchange "." is a null MX (RFC 7505). Preference defaults to 10. */
  mx?: { name: string; exchange: string; preference?: number }[];
  /** A and AAAA records (the type follows each address). */
  a?: { name: string; address: string | string[] }[];
  /**
   * TXT records. One string, or the character-strings of one record; a string over 255
   * characters is split into 255-character pieces as DNS requires (DKIM keys; ASCII text).
   */
  txt?: { name: string; text: string | string[] }[];
  cname?: { name: string; target: string }[];
  ptr?: { name: string; target: string }[];
  /** Domains answered NXDOMAIN, with all their subdomains, even if records exist under them. */
  nxdomain?: string[];
  /** Domains whose queries get no answer at all: the client times out (a broken DNS server). */
  unanswered?: string[];
  /** Zones answered from these records alone (see above). */
  zones?: string[];
}

export interface DnsServer {
  host: string;
  port: number;
  /** "127.0.0.1:<port>", as settings.dns.resolvers wants it. */
  address: string;
  /** Restarts the server on the same port with other records. */
  update(records: DnsRecords): Promise<void>;
  stop(): Promise<void>;
}

function dnsmasqPath(): string {
  for (const p of ['/usr/sbin/dnsmasq', '/usr/local/sbin/dnsmasq', '/sbin/dnsmasq'])
    if (existsSync(p)) return p;
  return 'dnsmasq';
}

/** dnsmasq's quoted-string syntax: quotes and backslashes escaped. */
function quote(s: string): string {
  return '"' + s.replace(/\\/g, '\\\\').replace(/"/g, '\\"') + '"';
}

function splitTxt(text: string | string[]): string[] {
  const parts: string[] = [];
  for (const t of Array.isArray(text) ? text : [text]) {
    if (t.length <= 255) parts.push(t);
    else for (let i = 0; i < t.length; i += 255) parts.push(t.slice(i, i + 255));
  }
  return parts;
}

/** Command-line flags: foreground, loopback only, nothing read from the system. */
function baseArgs(port: number, confFile: string): string[] {
  return [
    '--keep-in-foreground',
    `--conf-file=${confFile}`,
    '--no-resolv',
    '--no-hosts',
    '--no-poll',
    '--bind-interfaces',
    '--listen-address=127.0.0.1',
    `--port=${port}`,
    '--pid-file=',
    `--user=${userInfo().username}`,
    '--log-facility=-',
    '--cache-size=0',
  ];
}

/** The records as a dnsmasq configuration file (only its reader understands quoted strings). */
function config(records: DnsRecords): string {
  const out: string[] = [];
  const names: string[] = [];
  for (const m of records.mx ?? []) {
    out.push(`mx-host=${m.name},${m.exchange},${m.preference ?? 10}`);
    names.push(m.name);
  }
  for (const a of records.a ?? []) {
    const list = Array.isArray(a.address) ? a.address : [a.address];
    for (const address of list) out.push(`host-record=${a.name},${address}`);
    names.push(a.name);
  }
  for (const t of records.txt ?? []) {
    out.push(`txt-record=${t.name},${splitTxt(t.text).map(quote).join(',')}`);
    names.push(t.name);
  }
  for (const c of records.cname ?? []) {
    out.push(`cname=${c.name},${c.target}`);
    names.push(c.name);
  }
  for (const p of records.ptr ?? []) {
    out.push(`ptr-record=${p.name},${p.target}`);
    names.push(p.name);
  }
  for (const d of records.nxdomain ?? []) out.push(`address=/${d}/`);
  // forwarded to a port nobody answers on, so dnsmasq never replies in time
  for (const d of records.unanswered ?? []) out.push(`server=/${d}/127.0.0.1#9`);
  const zones = new Set(records.zones ?? ['test', 'example', 'invalid']);
  if (!records.zones) for (const n of names) zones.add(n.split('.').pop() as string);
  for (const z of zones) out.push(`local=/${z}/`);
  return out.join('\n') + '\n';
}

/** A port free for both TCP and UDP on 127.0.0.1. */
async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const tcp = createServer();
    const port = await new Promise<number>((resolve, reject) => {
      tcp.once('error', reject);
      tcp.listen(0, '127.0.0.1', () => resolve((tcp.address() as { port: number }).port));
    });
    const udp = createSocket('udp4');
    const ok = await new Promise<boolean>((resolve) => {
      udp.once('error', () => resolve(false));
      udp.bind(port, '127.0.0.1', () => resolve(true));
    });
    await new Promise<void>((resolve) => tcp.close(() => resolve()));
    await new Promise<void>((resolve) => (ok ? udp.close(() => resolve()) : resolve()));
    if (ok) return port;
  }
  throw new Error('no free port for the DNS server');
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

async function launch(records: DnsRecords, port: number, dir: string): Promise<ChildProcess> {
  const confFile = join(dir, `dnsmasq-${port}.conf`);
  await writeFile(confFile, config(records));
  const child = spawn(dnsmasqPath(), baseArgs(port, confFile), { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr?.on('data', (c: Buffer) => {
    log = (log + c.toString()).slice(-4000);
  });
  let exited: string | undefined;
  child.once('exit', (code, signal) => (exited = `dnsmasq exited (${code ?? signal}): ${log.trim()}`));
  child.once('error', (err) => (exited = `cannot run dnsmasq: ${err.message}`));
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    if (exited) throw new Error(exited);
    if (await listening(port)) return child;
    await new Promise((r) => setTimeout(r, 20));
  }
  child.kill('SIGKILL');
  throw new Error(`dnsmasq did not start on port ${port}: ${log.trim()}`);
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

export async function startDnsServer(records: DnsRecords = {}): Promise<DnsServer> {
  const dir = await mkdtemp(join(tmpdir(), 'sekimori-dns-'));
  let child: ChildProcess | undefined;
  let port = 0;
  try {
    for (let attempt = 0; ; attempt++) {
      port = await freePort();
      try {
        child = await launch(records, port, dir);
        break;
      } catch (err) {
        // another process may have taken the port between the probe and dnsmasq's bind
        if (attempt >= 2 || !/in use/i.test(String(err))) throw err;
      }
    }
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    host: '127.0.0.1',
    port,
    address: `127.0.0.1:${port}`,
    async update(next) {
      if (child) await stopChild(child);
      child = await launch(next, port, dir);
    },
    async stop() {
      if (child) await stopChild(child);
      child = undefined;
      await rm(dir, { recursive: true, force: true });
    },
  };
}
