// The console's one way to the server: JSON over fetch with the session cookie, the CSRF token
// on every call that changes something, and errors turned into ApiError so pages can show them
// in the user's language. A 401 sends the user back to the logon page.

import { ApiError } from '../../src/web/api-error';

/** A failed call: status (0 when the server cannot be reached), the server's message, details. */
export { ApiError };

export const API_BASE = '/api/v1';

let csrfToken = '';
let unauthorizedHandler: () => void = () => undefined;

export function setCsrfToken(token: string | undefined): void {
  csrfToken = token ?? '';
}

/** Called when the server says the session is gone (expired, logged off elsewhere). */
export function onUnauthorized(handler: () => void): void {
  unauthorizedHandler = handler;
}

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface RequestOptions {
  /** Sent as is instead of JSON (an uploaded .eml). */
  raw?: Blob | ArrayBuffer;
  contentType?: string;
  /** The logon and first-start calls answer 401 for a wrong password: not a lost session. */
  expectUnauthorized?: boolean;
}

export async function request<T>(
  method: Method,
  path: string,
  body?: unknown,
  o: RequestOptions = {},
): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (method !== 'GET' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  let payload: BodyInit | undefined;
  if (o.raw !== undefined) {
    payload = o.raw;
    headers['Content-Type'] = o.contentType ?? 'application/octet-stream';
  } else if (body !== undefined) {
    payload = JSON.stringify(body);
    headers['Content-Type'] = 'application/json';
  }
  let res: Response;
  try {
    res = await fetch(API_BASE + path, { method, headers, body: payload, credentials: 'same-origin' });
  } catch {
    throw new ApiError(0, 'network');
  }
  const text = await res.text();
  const json = parseJson(text);
  if (!res.ok) {
    const err = json && typeof json === 'object' ? (json as { error?: unknown; details?: unknown }) : {};
    const message = typeof err.error === 'string' ? err.error : res.statusText || `HTTP ${res.status}`;
    if (res.status === 401 && !o.expectUnauthorized) unauthorizedHandler();
    throw new ApiError(res.status, message, err.details);
  }
  return (json ?? text) as T;
}

function parseJson(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export const api = {
  get: <T>(path: string) => request<T>('GET', path),
  post: <T>(path: string, body?: unknown, o?: RequestOptions) => request<T>('POST', path, body ?? {}, o),
  put: <T>(path: string, body?: unknown) => request<T>('PUT', path, body ?? {}),
  patch: <T>(path: string, body?: unknown) => request<T>('PATCH', path, body ?? {}),
  del: <T>(path: string) => request<T>('DELETE', path),
};

/** Builds "?a=1&b=2" from the non-empty values. */
export function query(params: Record<string, string | number | boolean | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params))
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** URL a plain link can download (the cookie goes with it; GET needs no CSRF token). */
export function downloadUrl(path: string): string {
  return API_BASE + path;
}
