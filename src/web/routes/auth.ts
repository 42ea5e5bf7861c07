// Logon, logoff, the first-start password, the caller's own password and language, and the
// OpenAPI document: the routes a caller reaches before (or regardless of) any role.
import { z } from 'zod';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApiError, route, type RouteContext, type RouteSpec } from '../route.js';
import { resolveLanguage, type RequestAuth } from '../console-auth.js';
import { passwordProblem, verifyPassword } from '../passwords.js';
import { ADMINISTRATOR } from '../roles.js';
import { LANGUAGES } from '../accounts-repo.js';
import { openApiDocument } from '../openapi.js';
import { allRoutes } from './index.js';

export const accountName = z
  .string()
  .trim()
  .min(1)
  .max(100)
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._@-]*$/,
    'letters, digits and . _ @ - only, starting with a letter or digit',
  );

/** The sign-on machinery; the server sets it on every request. */
export function authOf(ctx: RouteContext<unknown, unknown, unknown>): RequestAuth {
  if (!ctx.auth) throw new ApiError(500, 'console authentication is not available');
  return ctx.auth;
}

function rejectWeak(account: string, password: string): void {
  const problem = passwordProblem(account, password);
  if (problem) throw new ApiError(400, problem);
}

const sessionView = z.object({
  setupRequired: z.boolean(),
  logonNotice: z.string(),
  loggedOn: z.boolean(),
  account: z.string().optional(),
  role: z.string().optional(),
  permissions: z.record(z.string(), z.enum(['none', 'read', 'write'])).optional(),
  language: z.enum(['ja', 'en']).optional(),
  csrfToken: z.string().optional(),
});

export function authRoutes(): RouteSpec[] {
  return [
    route({
      method: 'GET',
      path: '/session',
      section: 'public',
      access: 'read',
      summary: 'Whether the console needs its first password, the logon notice, and the logged-on caller',
      response: sessionView,
      async handler(ctx) {
        const auth = authOf(ctx);
        const { caller } = ctx;
        const base = {
          setupRequired: await auth.console.setupRequired(),
          logonNotice: ctx.services.settings.current().console.logonNotice,
          loggedOn: caller.account !== '',
        };
        if (!base.loggedOn) return base;
        return {
          ...base,
          account: caller.account,
          role: caller.role,
          permissions: caller.permissions,
          language: caller.language,
          ...(auth.csrfToken ? { csrfToken: auth.csrfToken } : {}),
        };
      },
    }),
    route({
      method: 'POST',
      path: '/session',
      section: 'public',
      access: 'write',
      summary: 'Log on (sets the session cookie; answers the CSRF token)',
      body: z.strictObject({ account: z.string().max(200), password: z.string().max(1000) }),
      response: sessionView,
      async handler(ctx) {
        const auth = authOf(ctx);
        const result = await auth.console.logon(ctx.body.account.trim(), ctx.body.password, ctx.ip);
        if (!result.ok) {
          if (result.reason === 'locked')
            throw new ApiError(
              423,
              'the account is locked after too many failed logons; try later or ask an administrator',
            );
          throw new ApiError(401, 'wrong account name or password');
        }
        const { csrfToken } = await auth.startSession(result.account.name);
        const role = await auth.console.accounts.role(result.account.role);
        return {
          setupRequired: false,
          logonNotice: ctx.services.settings.current().console.logonNotice,
          loggedOn: true,
          account: result.account.name,
          role: result.account.role,
          permissions: role?.permissions,
          language: resolveLanguage(result.account.language, auth.acceptLanguage),
          csrfToken,
        };
      },
    }),
    route({
      method: 'DELETE',
      path: '/session',
      section: 'self',
      access: 'write',
      summary: 'Log off',
      async handler(ctx) {
        const auth = authOf(ctx);
        if (ctx.caller.via !== 'session') throw new ApiError(400, 'an API token has no session to end');
        await auth.endSession();
        await ctx.audit('logoff', ctx.caller.account);
        return { loggedOn: false };
      },
    }),
    route({
      method: 'POST',
      path: '/setup/password',
      section: 'public',
      access: 'write',
      summary: 'Set the first administrator password with the setup code (only while no account exists)',
      body: z.strictObject({
        setupCode: z.string().max(200),
        account: accountName.default('admin'),
        password: z.string().max(1000),
      }),
      async handler(ctx) {
        const auth = authOf(ctx);
        const c = auth.console;
        if (!(await c.setupRequired()))
          throw new ApiError(409, 'the console is already set up: log on instead');
        // wrong codes slow down like wrong passwords
        const delay = c.throttle.delayFor(ctx.ip, '(setup)');
        if (delay > 0) await sleep(delay);
        rejectWeak(ctx.body.account, ctx.body.password);
        const claim = c.setup.claim(ctx.body.setupCode);
        if (!claim) {
          c.throttle.failed(ctx.ip, '(setup)');
          await c.audit.record({
            account: '',
            ip: ctx.ip,
            action: 'setup.password',
            target: ctx.body.account,
            outcome: 'failed',
          });
          throw new ApiError(403, 'wrong setup code (see the console-setup-code file in the data directory)');
        }
        const created = await c.accounts
          .create({ name: ctx.body.account, password: ctx.body.password, role: ADMINISTRATOR })
          .catch((err: unknown) => {
            claim.giveBack();
            throw err;
          });
        if (!created) throw new ApiError(409, 'the console is already set up: log on instead');
        await c.setup.discard();
        c.throttle.succeeded(ctx.ip, '(setup)');
        await c.audit.record({
          account: ctx.body.account,
          ip: ctx.ip,
          action: 'setup.password',
          target: ctx.body.account,
          outcome: 'ok',
        });
        ctx.services.log.info({ account: ctx.body.account }, 'console: first administrator account created');
        return { account: ctx.body.account, role: ADMINISTRATOR };
      },
    }),
    route({
      method: 'PUT',
      path: '/session/password',
      section: 'self',
      access: 'write',
      summary: 'Change your own password (your other sessions end)',
      body: z.strictObject({ current: z.string().max(1000), new: z.string().max(1000) }),
      async handler(ctx) {
        const c = authOf(ctx).console;
        const name = ctx.caller.account;
        const account = await c.accounts.withHash(name);
        if (!account || !(await verifyPassword(account.passwordHash, ctx.body.current)))
          throw new ApiError(400, 'the current password is wrong');
        rejectWeak(name, ctx.body.new);
        await c.accounts.setPassword(name, ctx.body.new);
        await c.sessions.deleteForAccount(name, { except: ctx.caller.sessionId });
        await ctx.audit('session.password', name);
        return { changed: true };
      },
    }),
    route({
      method: 'PUT',
      path: '/session/language',
      section: 'self',
      access: 'write',
      summary: 'Choose your console language (auto follows the browser)',
      audit: 'session.language',
      body: z.strictObject({ language: z.enum(LANGUAGES) }),
      async handler(ctx) {
        await authOf(ctx).console.accounts.update(ctx.caller.account, { language: ctx.body.language });
        return { language: ctx.body.language };
      },
    }),
    route({
      method: 'GET',
      path: '/openapi.json',
      section: 'public',
      access: 'read',
      summary: 'This API described as OpenAPI 3.1',
      async handler() {
        return openApiDocument(allRoutes(), '1.0.0');
      },
    }),
  ];
}
