// SpamAssassin's spamd over its own line protocol (what spamc speaks), one check per connection:
//   REPORT SPAMC/1.5\r\n  Content-length: N\r\n  User: u\r\n  \r\n  <message>
// answered by
//   SPAMD/1.1 0 EX_OK\r\n  Content-length: M\r\n  Spam: True ; 15.0 / 5.0\r\n  \r\n  <report>
// REPORT's body is SpamAssassin's report with its "pts rule name description" table, which gives
// each rule's score; SYMBOLS gives only the rule names (cheaper to read, no scores).
import { createConnection, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { bySignificance } from './symbols.js';
import {
  ExternalEngineError,
  type ExternalScanEnvelope,
  type ExternalSpamResult,
  type ExternalSymbol,
} from './types.js';

export const SPAMD_DEFAULT_PORT = 783;
const MAX_REPLY_BYTES = 4 * 1024 * 1024;

export type SpamdAddress = { kind: 'tcp'; host: string; port: number } | { kind: 'unix'; path: string };

/** Parses "host:port", "host" (port 783), "[v6]:port", "unix:/path" or "/path". */
export function parseSpamdAddress(text: string): SpamdAddress | undefined {
  const t = text.trim();
  const unix = /^(?:unix:)?(\/.+)$/.exec(t);
  if (unix) return { kind: 'unix', path: unix[1] ?? '' };
  const m = /^\[([0-9a-f:.]+)\](?::(\d{1,5}))?$/i.exec(t) ?? /^([a-z0-9.-]+)(?::(\d{1,5}))?$/i.exec(t);
  if (!m) return undefined;
  const port = m[2] === undefined ? SPAMD_DEFAULT_PORT : Number(m[2]);
  if (port < 1 || port > 65535) return undefined;
  return { kind: 'tcp', host: (m[1] ?? '').toLowerCase(), port };
}

export function formatSpamdAddress(a: SpamdAddress): string {
  if (a.kind === 'unix') return `unix:${a.path}`;
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

export interface SpamdClientOptions {
  address: SpamdAddress;
  /** Milliseconds for one check, from connecting to the whole reply. */
  timeout: number;
  /** spamd's User header: whose preferences spamd applies (spamd's default user when unset). */
  user?: string;
  /** Messages larger than this are not sent (spamc's own default is 500 KB: SpamAssassin is slow on big mail). */
  maxSize?: number;
  command?: 'REPORT' | 'SYMBOLS';
}

export interface SpamdReply {
  /** 0 is EX_OK; other values are sysexits codes (76 EX_PROTOCOL, 64 EX_USAGE, ...). */
  code: number;
  message: string;
  headers: Map<string, string>;
  body: string;
}

/** Splits a complete spamd reply; undefined when it is not one. */
export function parseSpamdReply(raw: Buffer): SpamdReply | undefined {
  const text = raw.toString('utf8');
  const end = text.indexOf('\r\n\r\n');
  const head = end < 0 ? text.replace(/\r\n$/, '') : text.slice(0, end);
  const [status = '', ...lines] = head.split('\r\n');
  const m = /^SPAMD\/\d+\.\d+\s+(\d+)\s*(.*)$/.exec(status);
  if (!m) return undefined;
  const headers = new Map<string, string>();
  for (const line of lines) {
    const i = line.indexOf(':');
    if (i > 0) headers.set(line.slice(0, i).trim().toLowerCase(), line.slice(i + 1).trim());
  }
  return { code: Number(m[1]), message: m[2] ?? '', headers, body: end < 0 ? '' : text.slice(end + 4) };
}

/** "True ; 15.0 / 5.0" (or Yes/No from older spamd). */
export function parseSpamHeader(
  value: string,
): { isSpam: boolean; score: number; threshold: number } | undefined {
  const m = /^(true|false|yes|no)\s*;\s*(-?\d+(?:\.\d+)?)\s*\/\s*(-?\d+(?:\.\d+)?)\s*$/i.exec(value.trim());
  if (!m) return undefined;
  const verdict = (m[1] ?? '').toLowerCase();
  return { isSpam: verdict === 'true' || verdict === 'yes', score: Number(m[2]), threshold: Number(m[3]) };
}

/**
 * Rules from REPORT's table. Each row is "%4s %-22s %s" (score, rule, description); long
 * descriptions wrap onto lines indented far past the score column. The table ends at a blank line.
 */
export function parseReportSymbols(report: string): ExternalSymbol[] {
  const out: ExternalSymbol[] = [];
  let inTable = false;
  for (const line of report.split(/\r?\n/)) {
    if (!inTable) {
      if (/^-{4} -{4,}/.test(line)) inTable = true; // the dashes under "pts rule name description"
      continue;
    }
    if (line.trim() === '') break;
    const row = /^ {0,3}(-?\d+(?:\.\d+)?) +([A-Za-z0-9_]+)(?: +(.*))?$/.exec(line);
    const last = out[out.length - 1];
    if (row) {
      const s: ExternalSymbol = { name: row[2] ?? '', score: Number(row[1]) };
      if (row[3]) s.description = row[3].trim();
      out.push(s);
    } else if (last && /^\s{5,}\S/.test(line)) {
      last.description = `${last.description ?? ''} ${line.trim()}`.trim();
    }
  }
  return bySignificance(out);
}

/** SYMBOLS' body: rule names separated by commas (no scores). */
export function parseSymbolList(body: string): ExternalSymbol[] {
  return body
    .split(',')
    .map((s) => s.trim())
    .filter((s) => /^[A-Za-z0-9_]+$/.test(s))
    .map((name) => ({ name, score: 0 }));
}

/** Header values must be one printable line; envelope data comes from the SMTP client. */
const clean = (text: string) => text.replace(/[^\x21-\x7e]/g, '');

/**
 * spamd sees only the message, not the SMTP transaction: a Received line for the hop into
 * Sekimori gives SpamAssassin the client IP, its name and the HELO, as the MTA's own line would.
 * Skipped when there is no client IP (the caller's message then carries its own trace).
 */
export function traceHeader(env: ExternalScanEnvelope, now = new Date()): string | undefined {
  if (!env.clientIp) return undefined;
  const helo = clean(env.helo ?? '') || 'unknown';
  const host = clean(env.clientHostname ?? '') || 'unknown';
  const id = env.queueId ? ` id ${clean(env.queueId)}` : '';
  return `Received: from ${helo} (${host} [${clean(env.clientIp)}])\r\n\tby sekimori with ESMTP${id}; ${now.toUTCString().replace('GMT', '+0000')}\r\n`;
}

export class SpamdClient {
  readonly engine = 'spamassassin' as const;
  private readonly sockets = new Set<Socket>();
  private closed = false;

  constructor(private readonly options: SpamdClientOptions) {}

  get address(): string {
    return formatSpamdAddress(this.options.address);
  }

  /** Scores one message; throws ExternalEngineError when spamd gives no usable answer. */
  async check(raw: Buffer, env: ExternalScanEnvelope = {}): Promise<ExternalSpamResult> {
    const { maxSize, user } = this.options;
    if (maxSize !== undefined && raw.length > maxSize) {
      throw this.error('too-large', `message of ${raw.length} bytes is over spamd's maxSize ${maxSize}`);
    }
    const command = this.options.command ?? 'REPORT';
    const trace = traceHeader(env);
    const message = trace ? Buffer.concat([Buffer.from(trace, 'latin1'), raw]) : raw;
    const head = [`${command} SPAMC/1.5`, `Content-length: ${message.length}`];
    if (user && clean(user)) head.push(`User: ${clean(user)}`);
    const started = performance.now();
    const reply = await this.exchange(Buffer.concat([Buffer.from(head.join('\r\n') + '\r\n\r\n'), message]));
    if (reply.code !== 0) throw this.error('protocol', `spamd answered ${reply.code} ${reply.message}`);
    const verdict = parseSpamHeader(reply.headers.get('spam') ?? '');
    if (!verdict) throw this.error('protocol', `spamd's reply has no readable Spam header`);
    return {
      engine: 'spamassassin',
      ...verdict,
      action: verdict.isSpam ? 'spam' : 'no action',
      symbols: command === 'REPORT' ? parseReportSymbols(reply.body) : parseSymbolList(reply.body),
      elapsedMs: Math.round(performance.now() - started),
    };
  }

  /** True when spamd answers PING with PONG. */
  async ping(): Promise<boolean> {
    try {
      const r = await this.exchange(Buffer.from('PING SPAMC/1.5\r\n\r\n'));
      return r.code === 0 && r.message.trim() === 'PONG';
    } catch {
      return false;
    }
  }

  /** Aborts checks in flight and refuses new ones (both fail with 'closed'). */
  close(): void {
    this.closed = true;
    for (const s of this.sockets) s.destroy(this.error('closed', 'client closed'));
  }

  private error(reason: ExternalEngineError['reason'], message: string): ExternalEngineError {
    return new ExternalEngineError('spamassassin', reason, `spamd at ${this.address}: ${message}`);
  }

  /** Sends the request and reads until spamd closes the connection (it always does) or the time is up. */
  private exchange(request: Buffer): Promise<SpamdReply> {
    if (this.closed) return Promise.reject(this.error('closed', 'client closed'));
    const a = this.options.address;
    return new Promise((resolve, reject) => {
      const sock =
        a.kind === 'unix'
          ? createConnection({ path: a.path })
          : createConnection({ host: a.host, port: a.port });
      this.sockets.add(sock);
      const chunks: Buffer[] = [];
      let size = 0;
      let connected = false;
      let settled = false;
      const finish = (err?: ExternalEngineError) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.sockets.delete(sock);
        sock.destroy();
        if (err) return reject(err);
        const reply = parseSpamdReply(Buffer.concat(chunks));
        if (reply) resolve(reply);
        else
          reject(
            this.error('protocol', size === 0 ? 'closed the connection without a reply' : 'unreadable reply'),
          );
      };
      const timer = setTimeout(
        () => finish(this.error('timeout', `no answer within ${this.options.timeout} ms`)),
        this.options.timeout,
      );
      sock.on('connect', () => {
        connected = true;
        sock.end(request);
      });
      sock.on('data', (d: Buffer) => {
        size += d.length;
        if (size > MAX_REPLY_BYTES)
          finish(this.error('protocol', `reply larger than ${MAX_REPLY_BYTES} bytes`));
        else chunks.push(d);
      });
      sock.on('error', (e: NodeJS.ErrnoException) => {
        if (e instanceof ExternalEngineError) return finish(e); // close()
        // A reset after the reply is in (spamd closing while we still send) changes nothing.
        if (connected && size > 0) return finish();
        const reason = connected ? 'protocol' : 'connect';
        finish(
          this.error(
            reason,
            connected
              ? `connection lost (${e.code ?? e.message})`
              : `cannot connect (${e.code ?? e.message})`,
          ),
        );
      });
      sock.on('close', () => finish());
    });
  }
}
