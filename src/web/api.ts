// Registers the route table under /api/v1. Authentication and the role check run first (in
// onRequest, before any body is read), then the zod schemas validate the input, then the
// handler runs; successful write routes are recorded in the audit log.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { ConsoleServices } from './services.js';
import { ApiError, type Caller, type RouteContext, type RouteSpec } from './route.js';
import {
  ANONYMOUS,
  SESSION_COOKIE,
  type ConsoleAuth,
  type Identified,
  type RequestAuth,
} from './console-auth.js';
import { allows } from './roles.js';

export const API_PREFIX = '/api/v1';

/** Large enough for a 25 MB message sent base64-encoded in JSON. */
const AUTHENTICATED_BODY_LIMIT = 40 * 1024 * 1024;
/** Logon and setup need little. */
const PUBLIC_BODY_LIMIT = 64 * 1024;

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

interface ApiOptions {
  services: ConsoleServices;
  auth: ConsoleAuth;
  /** Cookies only over HTTPS (tests of the plain app may turn it off). */
  secureCookie?: boolean;
}

const identities = new WeakMap<FastifyRequest, Identified>();

/** Zod issues as "where: problem", e.g. "body.name: Too small: expected string to have >=1 characters". */
export function describeIssues(part: string, error: z.ZodError): string[] {
  return error.issues.map((i) => {
    const where = [part, ...i.path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p)))]
      .join('.')
      .replace(/\.\[/g, '[');
    return `${where}: ${i.message}`;
  });
}

/** '/api/v1/accounts/bob?x=1' → '/accounts/bob', for the audit log. */
function apiPath(url: string): string {
  return (url.split('?')[0] ?? '').slice(API_PREFIX.length);
}

/** A text body (an uploaded YAML file) may hold secrets under any name: only its size is kept. */
function recordableBody(body: unknown): unknown {
  return typeof body === 'string' ? `(${body.length} characters of text)` : body;
}

function answerStatus(result: unknown): number {
  const status = (result as { status?: unknown } | undefined)?.status;
  return typeof status === 'number' ? status : 200;
}

/** Content-Disposition for a download: an ASCII name, plus the exact one (RFC 6266) if it differs. */
function attachment(filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]|["\\]/g, '_');
  const exact = ascii === filename ? '' : `; filename*=UTF-8''${encodeURIComponent(filename)}`;
  return `attachment; filename="${ascii}"${exact}`;
}

function send(reply: FastifyReply, result: unknown): FastifyReply {
  if (result === undefined) return reply.code(204).send();
  if (result && typeof result === 'object') {
    const r = result as Record<string, unknown>;
    if (typeof r.contentType === 'string' && 'bytes' in r) {
      if (typeof r.status === 'number') reply.code(r.status);
      if (typeof r.filename === 'string') reply.header('content-disposition', attachment(r.filename));
      return reply.type(r.contentType).send(r.bytes);
    }
    if (typeof r.status === 'number' && 'json' in r && Object.keys(r).length === 2)
      return reply.code(r.status).send(r.json);
  }
  return reply.send(result);
}

export function registerApi(app: FastifyInstance, routes: RouteSpec[], o: ApiOptions): void {
  const { auth, services } = o;

  const deny = async (req: FastifyRequest, caller: Caller, why: string) => {
    await auth.audit.record({
      account: caller.account,
      ip: req.ip,
      action: 'denied',
      target: `${req.method} ${apiPath(req.url)}`,
      outcome: 'denied',
      details: { reason: why },
    });
  };

  for (const spec of routes) {
    const section = spec.section;
    const isPublic = section === 'public';
    app.route({
      method: spec.method,
      url: `${API_PREFIX}${spec.path}`,
      bodyLimit: isPublic ? PUBLIC_BODY_LIMIT : AUTHENTICATED_BODY_LIMIT,
      onRequest: async (req, reply) => {
        const identified = await auth.identify({
          sessionId: req.cookies[SESSION_COOKIE],
          authorization: req.headers.authorization,
          acceptLanguage: req.headers['accept-language'],
        });
        if (identified) identities.set(req, identified);
        if (section === 'public') return;
        if (!identified) {
          return reply.code(401).send({ error: 'not logged on (or the session has expired)' });
        }
        const { caller, session } = identified;
        if (session && !SAFE_METHODS.has(req.method) && req.headers['x-csrf-token'] !== session.csrfToken) {
          await deny(req, caller, 'missing or wrong CSRF token');
          return reply
            .code(403)
            .send({ error: 'missing or wrong CSRF token (send the X-CSRF-Token header)' });
        }
        if (section === 'self') return;
        if (!allows(caller.permissions[section], spec.access)) {
          await deny(req, caller, `needs ${spec.access} on ${section}`);
          return reply
            .code(403)
            .send({ error: `your role (${caller.role}) has no ${spec.access} access to ${section}` });
        }
      },
      handler: async (req, reply) => {
        const identified = identities.get(req);
        const caller = identified?.caller ?? ANONYMOUS;
        const problems: string[] = [];
        const parse = (part: string, schema: z.ZodType | undefined, value: unknown) => {
          if (!schema) return value;
          const r = schema.safeParse(value ?? (part === 'body' ? undefined : {}));
          if (r.success) return r.data;
          problems.push(...describeIssues(part, r.error));
          return undefined;
        };
        const params = parse('params', spec.params, req.params);
        const query = parse('query', spec.query, req.query);
        const body = parse('body', spec.body, req.body);
        if (problems.length > 0) return reply.code(400).send({ error: 'invalid request', details: problems });
        const target = apiPath(req.url);
        const audit = (action: string, what: string, details?: Record<string, unknown>) =>
          auth.audit.record({
            account: caller.account,
            ip: req.ip,
            action,
            target: what,
            outcome: 'ok',
            details,
          });
        const requestAuth: RequestAuth = {
          console: auth,
          csrfToken: identified?.session?.csrfToken,
          acceptLanguage: req.headers['accept-language'],
          startSession: async (account) => {
            const s = await auth.sessions.create(account, req.ip);
            reply.setCookie(SESSION_COOKIE, s.id, {
              path: '/',
              httpOnly: true,
              secure: o.secureCookie !== false,
              sameSite: 'strict',
            });
            return { csrfToken: s.csrfToken };
          },
          endSession: async () => {
            if (identified?.session) await auth.sessions.delete(identified.session.id);
            reply.clearCookie(SESSION_COOKIE, { path: '/' });
          },
        };
        const ctx: RouteContext<unknown, unknown, unknown> = {
          params,
          query,
          body,
          caller,
          services,
          ip: req.ip,
          audit,
          auth: requestAuth,
        };
        const result = await spec.handler(ctx);
        // a handler that answered an error status changed nothing worth recording
        if (spec.access === 'write' && spec.audit && answerStatus(result) < 400)
          await audit(spec.audit, target, {
            ...(params && Object.keys(params).length > 0 ? { params } : {}),
            ...(body !== undefined ? { body: recordableBody(body) } : {}),
          });
        return send(reply, result);
      },
    });
  }
}

/** The JSON answer for an error thrown anywhere in a request. */
export function errorAnswer(err: unknown): { status: number; body: { error: string; details?: unknown } } {
  if (err instanceof ApiError)
    return {
      status: err.status,
      body: { error: err.message, ...(err.details !== undefined ? { details: err.details } : {}) },
    };
  const e = err as { statusCode?: number; message?: string };
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500)
    return { status: e.statusCode, body: { error: e.message ?? 'bad request' } };
  return { status: 500, body: { error: 'internal error' } };
}
