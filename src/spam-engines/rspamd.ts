// rspamd's HTTP protocol (the normal worker, or the proxy): the raw message is POSTed to
// /checkv2 with the SMTP transaction in request headers, and the verdict comes back as JSON:
// score, required_score (rspamd's reject score), action and the symbols that matched.
// https://rspamd.com/doc/developers/protocol.html
import type { ClientRequest, OutgoingHttpHeaders } from 'node:http';
import { performance } from 'node:perf_hooks';
import { httpExchange } from './http.js';
import { bySignificance } from './symbols.js';
import {
  ExternalEngineError,
  type ExternalScanEnvelope,
  type ExternalSpamResult,
  type ExternalSymbol,
} from './types.js';

export const RSPAMD_DEFAULT_URL = 'http://127.0.0.1:11333';

/** rspamd's actions that mean "this is spam" (greylist and soft reject are only "not now"). */
const SPAM_ACTIONS = new Set(['reject', 'rewrite subject', 'add header']);

export interface RspamdClientOptions {
  /** Base URL of the normal worker or proxy, e.g. http://127.0.0.1:11333. */
  url: string;
  /** Milliseconds for one check, from connecting to the whole reply. */
  timeout: number;
  /** Sent as the Password header (the controller and some proxies ask for one). */
  password?: string;
  /** Messages larger than this many bytes are not sent (ExternalEngineError 'too-large'). */
  maxSize?: number;
}

/** The URL of one of rspamd's endpoints below the configured base (which may name /checkv2 itself). */
export function rspamdEndpoint(base: string, endpoint: string): URL {
  const url = new URL(base);
  url.pathname = url.pathname.replace(/\/checkv2\/?$/, '').replace(/\/?$/, '/') + endpoint;
  url.search = '';
  url.hash = '';
  return url;
}

/** Header values must be one printable line; envelope data comes from the SMTP client. */
function headerValue(text: string): string | undefined {
  const clean = text.replace(/[^\x20-\x7e]/g, '').trim();
  return clean === '' ? undefined : clean;
}

/** The request headers rspamd reads the SMTP transaction from. */
export function rspamdHeaders(env: ExternalScanEnvelope, password?: string): OutgoingHttpHeaders {
  const h: OutgoingHttpHeaders = {};
  const put = (name: string, value: string | undefined) => {
    const v = value === undefined ? undefined : headerValue(value);
    if (v !== undefined) h[name] = v;
  };
  put('IP', env.clientIp);
  put('Helo', env.helo);
  put('Hostname', env.clientHostname);
  // The null reverse-path of a bounce is "<>", not a missing sender.
  if (env.mailFrom !== undefined) put('From', env.mailFrom === '' ? '<>' : env.mailFrom);
  const rcpts = (env.recipients ?? []).map(headerValue).filter((r): r is string => r !== undefined);
  if (rcpts.length > 0) h.Rcpt = rcpts; // one header line each
  put('Queue-Id', env.queueId);
  put('User', env.authUser);
  put('Password', password);
  return h;
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Reads a /checkv2 JSON reply; throws a plain Error naming what is missing. */
export function parseRspamdReply(json: unknown): Omit<ExternalSpamResult, 'elapsedMs'> {
  if (!isRecord(json)) throw new Error('reply is not a JSON object');
  if (typeof json.error === 'string') throw new Error(`rspamd: ${json.error}`);
  const { score, required_score: threshold, action } = json;
  if (typeof score !== 'number' || !Number.isFinite(score)) throw new Error('reply has no score');
  if (typeof threshold !== 'number' || !Number.isFinite(threshold))
    throw new Error('reply has no required_score');
  if (typeof action !== 'string') throw new Error('reply has no action');
  const symbols: ExternalSymbol[] = [];
  for (const [key, value] of Object.entries(isRecord(json.symbols) ? json.symbols : {})) {
    if (!isRecord(value)) continue;
    const s: ExternalSymbol = {
      name: typeof value.name === 'string' ? value.name : key,
      score: typeof value.score === 'number' && Number.isFinite(value.score) ? value.score : 0,
    };
    if (typeof value.description === 'string') s.description = value.description;
    if (Array.isArray(value.options))
      s.options = value.options.filter((o): o is string => typeof o === 'string');
    symbols.push(s);
  }
  return {
    engine: 'rspamd',
    score,
    threshold,
    action,
    isSpam: SPAM_ACTIONS.has(action),
    symbols: bySignificance(symbols),
  };
}

export class RspamdClient {
  readonly engine = 'rspamd' as const;
  private readonly checkUrl: URL;
  private readonly pingUrl: URL;
  private readonly inFlight = new Set<ClientRequest>();
  private closed = false;

  constructor(private readonly options: RspamdClientOptions) {
    this.checkUrl = rspamdEndpoint(options.url, 'checkv2');
    this.pingUrl = rspamdEndpoint(options.url, 'ping');
  }

  get address(): string {
    return this.checkUrl.origin;
  }

  /** Scores one message; throws ExternalEngineError when rspamd gives no usable answer. */
  async check(raw: Buffer, env: ExternalScanEnvelope = {}): Promise<ExternalSpamResult> {
    if (this.closed) throw new ExternalEngineError('rspamd', 'closed', 'rspamd client closed');
    const { maxSize } = this.options;
    if (maxSize !== undefined && raw.length > maxSize) {
      throw new ExternalEngineError(
        'rspamd',
        'too-large',
        `message of ${raw.length} bytes is over rspamd's maxSize ${maxSize}`,
      );
    }
    const started = performance.now();
    const reply = await httpExchange({
      engine: 'rspamd',
      url: this.checkUrl,
      method: 'POST',
      headers: rspamdHeaders(env, this.options.password),
      body: raw,
      timeout: this.options.timeout,
      track: this.inFlight,
    });
    const where = `rspamd at ${this.address}`;
    let json: unknown;
    try {
      json = JSON.parse(reply.body.toString('utf8'));
    } catch {
      json = undefined;
    }
    if (reply.status !== 200) {
      const detail =
        isRecord(json) && typeof json.error === 'string' ? json.error : reply.body.toString('utf8', 0, 200);
      throw new ExternalEngineError('rspamd', 'protocol', `${where}: HTTP ${reply.status} ${detail}`.trim());
    }
    try {
      return { ...parseRspamdReply(json), elapsedMs: Math.round(performance.now() - started) };
    } catch (e) {
      throw new ExternalEngineError('rspamd', 'protocol', `${where}: ${(e as Error).message}`);
    }
  }

  /** True when rspamd answers /ping (health checks, status pages). */
  async ping(): Promise<boolean> {
    try {
      const r = await httpExchange({
        engine: 'rspamd',
        url: this.pingUrl,
        method: 'GET',
        timeout: this.options.timeout,
      });
      return r.status === 200 && r.body.toString().trim() === 'pong';
    } catch {
      return false;
    }
  }

  /** Aborts checks in flight and refuses new ones (both fail with 'closed'). */
  close(): void {
    this.closed = true;
    for (const r of this.inFlight)
      r.destroy(new ExternalEngineError('rspamd', 'closed', 'rspamd client closed'));
  }
}
