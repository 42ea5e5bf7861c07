// The shape of one /api/v1 route. Every route declares the console section it belongs to and
// whether it reads or writes, so the server enforces roles in one place and a test can walk the
// route table to prove that each route refuses callers without the right.
import type { z } from 'zod';
import type { ConsoleServices } from './services.js';
import type { RequestAuth } from './console-auth.js';

/** Console sections a role grants read or write on. The UI shows one area per section. */
export const SECTIONS = [
  'dashboard',
  'system',
  'mail', // domains, routing, SMTP limits, trusted networks
  'policy',
  'queue',
  'tracking',
  'quarantine',
  'accounts', // administrator accounts, roles, API tokens
  'audit',
  'settings', // settings import/export, setup wizard
] as const;
export type Section = (typeof SECTIONS)[number];

export type Access = 'read' | 'write';
export type Permission = 'none' | Access;

/** Who is calling: a logged-on account (session cookie) or an API token. */
export interface Caller {
  account: string;
  role: string;
  permissions: Record<Section, Permission>;
  via: 'session' | 'token';
  language: 'ja' | 'en';
  sessionId?: string;
}

export interface RouteContext<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  /** On 'public' routes without a session: account '' with every permission 'none'. */
  caller: Caller;
  services: ConsoleServices;
  /** Client address, for the audit log. */
  ip: string;
  /** Records an administrator action in the audit log (the server adds account and IP). */
  audit(action: string, target: string, details?: Record<string, unknown>): Promise<void>;
  /**
   * The console's own sign-on machinery (set by the server on every request): used by the
   * logon, setup and account routes; other routes have no need of it.
   */
  auth?: RequestAuth;
}

/** A handler's answer: JSON (default 200), or raw bytes (downloads, YAML). */
export type RouteResult =
  | unknown
  | { status: number; json: unknown }
  | { status?: number; contentType: string; filename?: string; bytes: Buffer | string };

export interface RouteSpec<
  P extends z.ZodType = z.ZodType,
  Q extends z.ZodType = z.ZodType,
  B extends z.ZodType = z.ZodType,
> {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Fastify path under /api/v1, e.g. '/queue/:id'. */
  path: string;
  /**
   * The section whose read or write permission the route needs; 'self' = any logged-on caller
   * (own password, own language); 'public' = no caller needed (logon, first-start password,
   * OpenAPI document). The route-table test proves every other route refuses anonymous callers
   * and roles without the permission.
   */
  section: Section | 'self' | 'public';
  access: Access;
  summary: string;
  /**
   * Audit action name for write routes, e.g. 'policy.rule.update'. The server records every
   * successful call of a write route under it (account, IP, path parameters, the body with
   * secrets removed); handlers add detail with ctx.audit when that says more.
   */
  audit?: string;
  /**
   * Content types the body may also come in as raw bytes (the handler then gets a Buffer), for
   * the OpenAPI document; the server parses message/rfc822 and application/octet-stream.
   */
  rawBodyTypes?: readonly string[];
  params?: P;
  query?: Q;
  body?: B;
  /** Response schema, for the OpenAPI document. */
  response?: z.ZodType;
  handler(ctx: RouteContext<z.output<P>, z.output<Q>, z.output<B>>): Promise<RouteResult>;
}

/** Defines a route with its types inferred from its schemas. */
export function route<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType>(
  spec: RouteSpec<P, Q, B>,
): RouteSpec {
  return spec as unknown as RouteSpec;
}

/** Thrown by handlers for an answer other than 200: 400 bad input, 404, 409 conflict… */
export { ApiError } from './api-error.js';
