// A client of a test gateway's console (/api/v1 over HTTPS with its self-signed certificate):
// keeps the session cookie and sends the CSRF token the way the browser UI does, or calls with
// an API token. Starts nothing itself; startGateway gives every gateway its console port.
import { request as httpsRequest } from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestGateway } from './gateway.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests look into answers freely
export type Json = any;

export interface ApiResponse {
  status: number;
  /** The parsed JSON body (undefined when the body is not JSON). */
  json: Json;
  headers: IncomingHttpHeaders;
  text: string;
  bytes: Buffer;
}

export interface RequestOptions {
  /** Extra request headers (e.g. leave out the CSRF token with { 'x-csrf-token': '' }). */
  headers?: Record<string, string>;
  /** A raw body instead of JSON, e.g. a message with contentType 'message/rfc822'. */
  raw?: Buffer | string;
  contentType?: string;
  /** `path` is used as it is (not under /api/v1): the UI's pages. */
  page?: boolean;
}

export const API = '/api/v1';

export class ConsoleClient {
  /** The session cookie, once logged on. */
  cookie: string | undefined;
  csrfToken: string | undefined;

  constructor(
    readonly baseUrl: string,
    readonly token?: string,
  ) {}

  get(path: string, o?: RequestOptions): Promise<ApiResponse> {
    return this.request('GET', path, undefined, o);
  }
  post(path: string, body?: unknown, o?: RequestOptions): Promise<ApiResponse> {
    return this.request('POST', path, body, o);
  }
  put(path: string, body?: unknown, o?: RequestOptions): Promise<ApiResponse> {
    return this.request('PUT', path, body, o);
  }
  patch(path: string, body?: unknown, o?: RequestOptions): Promise<ApiResponse> {
    return this.request('PATCH', path, body, o);
  }
  delete(path: string, body?: unknown, o?: RequestOptions): Promise<ApiResponse> {
    return this.request('DELETE', path, body, o);
  }

  /** Logs on; afterwards calls carry the session cookie and CSRF token. */
  async logon(account: string, password: string): Promise<ApiResponse> {
    const r = await this.post('/session', { account, password });
    if (r.status === 200) this.csrfToken = r.json.csrfToken as string;
    return r;
  }

  /** Like logon, but fails the test unless the logon works. */
  async mustLogon(account: string, password: string): Promise<this> {
    const r = await this.logon(account, password);
    if (r.status !== 200) throw new Error(`logon as ${account} failed: ${r.status} ${r.text}`);
    return this;
  }

  /** A page of the browser UI (a path outside /api/v1). */
  page(path: string): Promise<ApiResponse> {
    return this.request('GET', path, undefined, { page: true });
  }

  /** A call under /api/v1 (`path` like '/queue/:id', or already starting with /api/). */
  request(method: string, path: string, body?: unknown, o: RequestOptions = {}): Promise<ApiResponse> {
    const url = new URL(o.page || path.startsWith('/api/') ? path : `${API}${path}`, this.baseUrl);
    const headers: Record<string, string> = {};
    let payload: Buffer | undefined;
    if (o.raw !== undefined) {
      payload = Buffer.from(o.raw);
      headers['content-type'] = o.contentType ?? 'application/octet-stream';
    } else if (body !== undefined) {
      payload = Buffer.from(JSON.stringify(body));
      headers['content-type'] = 'application/json';
    }
    if (this.cookie) headers.cookie = this.cookie;
    if (this.csrfToken && method !== 'GET') headers['x-csrf-token'] = this.csrfToken;
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    Object.assign(headers, o.headers);
    for (const [k, v] of Object.entries(headers)) if (v === '') delete headers[k];
    return new Promise((resolve, reject) => {
      const req = httpsRequest(url, { method, headers, rejectUnauthorized: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          this.keepCookie(res.headers['set-cookie']);
          const bytes = Buffer.concat(chunks);
          const text = bytes.toString('utf8');
          let json: Json;
          if (/json/.test(res.headers['content-type'] ?? '')) {
            try {
              json = JSON.parse(text);
            } catch {
              json = undefined;
            }
          }
          resolve({ status: res.statusCode ?? 0, json, headers: res.headers, text, bytes });
        });
      });
      req.on('error', reject);
      req.end(payload);
    });
  }

  private keepCookie(setCookie: string[] | undefined): void {
    for (const c of setCookie ?? []) {
      const [pair] = c.split(';');
      const [name, value] = (pair ?? '').split('=');
      if (name?.trim() !== 'sekimori_session') continue;
      this.cookie = value ? `sekimori_session=${value}` : undefined;
      if (!value) this.csrfToken = undefined;
    }
  }
}

/** A client of the gateway's console, not logged on. */
export function consoleClient(gw: TestGateway): ConsoleClient {
  return new ConsoleClient(gw.consoleUrl);
}

/** A client that calls with an API token (no cookie, no CSRF token). */
export function tokenClient(gw: TestGateway, token: string): ConsoleClient {
  return new ConsoleClient(gw.consoleUrl, token);
}

/** The first-start setup code the gateway wrote into its data directory. */
export async function readSetupCode(gw: TestGateway): Promise<string> {
  return (await readFile(join(gw.dataDir, 'console-setup-code'), 'utf8')).trim();
}

/**
 * Sets the first administrator password with the setup code and logs on: the client of a
 * fresh gateway's administrator.
 */
export async function firstLogon(
  gw: TestGateway,
  password: string,
  account = 'admin',
): Promise<ConsoleClient> {
  const client = consoleClient(gw);
  const r = await client.post('/setup/password', { setupCode: await readSetupCode(gw), account, password });
  if (r.status !== 200) throw new Error(`setting the first password failed: ${r.status} ${r.text}`);
  return client.mustLogon(account, password);
}

/** Logs on to the gateway's console as an existing account. */
export function logon(gw: TestGateway, account: string, password: string): Promise<ConsoleClient> {
  return consoleClient(gw).mustLogon(account, password);
}
