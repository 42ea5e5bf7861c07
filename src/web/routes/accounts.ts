// Administrator accounts, roles and API tokens (section 'accounts'). Hashes and tokens are
// never answered, except a new token once, when it is created.
import { z } from 'zod';
import { ApiError, route, SECTIONS, type RouteSpec } from '../route.js';
import { LANGUAGES, type AccountView } from '../accounts-repo.js';
import type { ConsoleAuth } from '../console-auth.js';
import { passwordProblem } from '../passwords.js';
import { ADMINISTRATOR, builtInRole, completePermissions } from '../roles.js';
import { accountName, authOf } from './auth.js';
import { parseDuration } from '../../config/units.js';

const roleName = z
  .string()
  .trim()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9][A-Za-z0-9 ._-]*$/, 'letters, digits, spaces and . _ - only');

const permission = z.enum(['none', 'read', 'write']);
const permissions = z.partialRecord(z.enum(SECTIONS), permission);

const nameParam = z.strictObject({ name: z.string().min(1).max(200) });

function checkPassword(account: string, password: string): void {
  const problem = passwordProblem(account, password);
  if (problem) throw new ApiError(400, problem);
}

async function mustGet(c: ConsoleAuth, name: string): Promise<AccountView> {
  const a = await c.accounts.get(name);
  if (!a) throw new ApiError(404, `no account ${name}`);
  return a;
}

/** Refuses a change that would leave no enabled administrator. */
async function keepAnAdministrator(c: ConsoleAuth, a: AccountView, what: string): Promise<void> {
  if (a.role !== ADMINISTRATOR || a.disabled) return;
  if ((await c.accounts.countWithRole(ADMINISTRATOR, { enabledOnly: true })) <= 1)
    throw new ApiError(409, `${what} would leave no administrator`);
}

async function mustBeRole(c: ConsoleAuth, role: string): Promise<void> {
  if (!(await c.accounts.role(role))) throw new ApiError(400, `no role ${role}`);
}

/** Ends what an account had open: after a reset, when disabled or deleted. */
async function endAccess(c: ConsoleAuth, name: string, o: { tokens: boolean }): Promise<void> {
  await c.sessions.deleteForAccount(name);
  if (o.tokens) await c.sessions.revokeTokensOf(name);
}

/** Token expiry: a duration from now ("90d") or an ISO date/time. */
const expiryParam = z.string().transform((text, ctx) => {
  const ms = parseDuration(text);
  const at = ms !== undefined ? Date.now() + ms : Date.parse(text);
  if (Number.isNaN(at)) {
    ctx.addIssue({ code: 'custom', message: `"${text}" is neither a duration (90d) nor a date/time` });
    return z.NEVER;
  }
  return at;
});

export function accountRoutes(): RouteSpec[] {
  return [
    // --- roles ---
    route({
      method: 'GET',
      path: '/roles',
      section: 'accounts',
      access: 'read',
      summary: 'Roles (built-in and custom) and the console sections they grant access to',
      async handler(ctx) {
        return { sections: SECTIONS, roles: await authOf(ctx).console.accounts.roles() };
      },
    }),
    route({
      method: 'POST',
      path: '/roles',
      section: 'accounts',
      access: 'write',
      audit: 'accounts.role.create',
      summary: 'Create a custom role',
      body: z.strictObject({ name: roleName, description: z.string().max(500).default(''), permissions }),
      async handler(ctx) {
        const c = authOf(ctx).console;
        if (await c.accounts.role(ctx.body.name))
          throw new ApiError(409, `role ${ctx.body.name} exists already`);
        const role = { ...ctx.body, permissions: completePermissions(ctx.body.permissions) };
        await c.accounts.saveRole(role);
        return { status: 201, json: { ...role, builtIn: false } };
      },
    }),
    route({
      method: 'PUT',
      path: '/roles/:name',
      section: 'accounts',
      access: 'write',
      audit: 'accounts.role.update',
      summary: 'Change a custom role',
      params: nameParam,
      body: z.strictObject({ description: z.string().max(500).default(''), permissions }),
      async handler(ctx) {
        const c = authOf(ctx).console;
        const { name } = ctx.params;
        if (builtInRole(name)) throw new ApiError(409, `${name} is built in and cannot be changed`);
        if (!(await c.accounts.role(name))) throw new ApiError(404, `no role ${name}`);
        const role = {
          name,
          description: ctx.body.description,
          permissions: completePermissions(ctx.body.permissions),
        };
        await c.accounts.saveRole(role);
        return { ...role, builtIn: false };
      },
    }),
    route({
      method: 'DELETE',
      path: '/roles/:name',
      section: 'accounts',
      access: 'write',
      audit: 'accounts.role.delete',
      summary: 'Delete a custom role no account has',
      params: nameParam,
      async handler(ctx) {
        const c = authOf(ctx).console;
        const { name } = ctx.params;
        if (builtInRole(name)) throw new ApiError(409, `${name} is built in and cannot be deleted`);
        const users = await c.accounts.countWithRole(name);
        if (users > 0)
          throw new ApiError(409, `${users} account(s) have role ${name}: give them another role first`);
        if (!(await c.accounts.deleteRole(name))) throw new ApiError(404, `no role ${name}`);
        return { deleted: name };
      },
    }),

    // --- accounts ---
    route({
      method: 'GET',
      path: '/accounts',
      section: 'accounts',
      access: 'read',
      summary: 'Administrator accounts',
      async handler(ctx) {
        return { accounts: await authOf(ctx).console.accounts.list() };
      },
    }),
    route({
      method: 'GET',
      path: '/accounts/:name',
      section: 'accounts',
      access: 'read',
      summary: 'One administrator account',
      params: nameParam,
      async handler(ctx) {
        return mustGet(authOf(ctx).console, ctx.params.name);
      },
    }),
    route({
      method: 'POST',
      path: '/accounts',
      section: 'accounts',
      access: 'write',
      audit: 'accounts.create',
      summary: 'Create an administrator account',
      body: z.strictObject({
        name: accountName,
        password: z.string().max(1000),
        role: z.string().min(1).max(100),
        language: z.enum(LANGUAGES).default('auto'),
      }),
      async handler(ctx) {
        const c = authOf(ctx).console;
        checkPassword(ctx.body.name, ctx.body.password);
        await mustBeRole(c, ctx.body.role);
        if (!(await c.accounts.create(ctx.body)))
          throw new ApiError(409, `account ${ctx.body.name} exists already`);
        return { status: 201, json: await mustGet(c, ctx.body.name) };
      },
    }),
    route({
      method: 'PATCH',
      path: '/accounts/:name',
      section: 'accounts',
      access: 'write',
      audit: 'accounts.update',
      summary: "Change an account's role, language, or disable/enable it",
      params: nameParam,
      body: z.strictObject({
        role: z.string().min(1).max(100).optional(),
        language: z.enum(LANGUAGES).optional(),
        disabled: z.boolean().optional(),
      }),
      async handler(ctx) {
        const c = authOf(ctx).console;
        const a = await mustGet(c, ctx.params.name);
        const { role, disabled } = ctx.body;
        if (role !== undefined) await mustBeRole(c, role);
        if ((role !== undefined && role !== ADMINISTRATOR) || disabled === true)
          await keepAnAdministrator(
            c,
            a,
            role !== undefined && role !== a.role ? 'changing its role' : 'disabling it',
          );
        if (disabled === true && a.name === ctx.caller.account)
          throw new ApiError(409, 'you cannot disable your own account');
        await c.accounts.update(a.name, ctx.body);
        if (disabled === true) await endAccess(c, a.name, { tokens: false });
        return mustGet(c, a.name);
      },
    }),
    route({
      method: 'DELETE',
      path: '/accounts/:name',
      section: 'accounts',
      access: 'write',
      audit: 'accounts.delete',
      summary: 'Delete an account (not your own, not the last administrator)',
      params: nameParam,
      async handler(ctx) {
        const c = authOf(ctx).console;
        const a = await mustGet(c, ctx.params.name);
        if (a.name === ctx.caller.account) throw new ApiError(409, 'you cannot delete your own account');
        await keepAnAdministrator(c, a, 'deleting it');
        await c.accounts.delete(a.name);
        await endAccess(c, a.name, { tokens: true });
        return { deleted: a.name };
      },
    }),
    route({
      method: 'POST',
      path: '/accounts/:name/unlock',
      section: 'accounts',
      access: 'write',
      audit: 'accounts.unlock',
      summary: 'Unlock an account locked after failed logons',
      params: nameParam,
      async handler(ctx) {
        const c = authOf(ctx).console;
        if (!(await c.accounts.unlock(ctx.params.name)))
          throw new ApiError(404, `no account ${ctx.params.name}`);
        return mustGet(c, ctx.params.name);
      },
    }),
    route({
      method: 'PUT',
      path: '/accounts/:name/password',
      section: 'accounts',
      access: 'write',
      audit: 'accounts.password.reset',
      summary: "Set another account's password (its sessions end)",
      params: nameParam,
      body: z.strictObject({ password: z.string().max(1000) }),
      async handler(ctx) {
        const c = authOf(ctx).console;
        const a = await mustGet(c, ctx.params.name);
        checkPassword(a.name, ctx.body.password);
        await c.accounts.setPassword(a.name, ctx.body.password);
        await endAccess(c, a.name, { tokens: false });
        return { changed: true };
      },
    }),

    // --- API tokens ---
    route({
      method: 'GET',
      path: '/tokens',
      section: 'accounts',
      access: 'read',
      summary: 'API tokens (never the tokens themselves)',
      query: z.strictObject({ account: z.string().max(200).optional() }),
      async handler(ctx) {
        return { tokens: await authOf(ctx).console.sessions.tokens(ctx.query.account) };
      },
    }),
    route({
      method: 'POST',
      path: '/tokens',
      section: 'accounts',
      access: 'write',
      audit: 'accounts.token.create',
      summary: 'Create an API token for an account (the token is shown in this answer only)',
      body: z.strictObject({
        name: z.string().trim().min(1).max(100),
        /** Default: the caller's own account. */
        account: z.string().max(200).optional(),
        /** ISO date/time, or a duration from now such as 90d; none = no expiry. */
        expires: expiryParam.optional(),
      }),
      async handler(ctx) {
        const c = authOf(ctx).console;
        const account = ctx.body.account ?? ctx.caller.account;
        await mustGet(c, account);
        const expiresAt = ctx.body.expires ?? null;
        if (expiresAt !== null && expiresAt <= Date.now())
          throw new ApiError(400, 'expires: that is in the past');
        const { token, view } = await c.sessions.createToken(account, ctx.body.name, expiresAt);
        return { status: 201, json: { ...view, token } };
      },
    }),
    route({
      method: 'DELETE',
      path: '/tokens/:id',
      section: 'accounts',
      access: 'write',
      audit: 'accounts.token.revoke',
      summary: 'Revoke an API token',
      params: z.strictObject({ id: z.string().min(1).max(100) }),
      async handler(ctx) {
        if (!(await authOf(ctx).console.sessions.revokeToken(ctx.params.id)))
          throw new ApiError(404, `no token ${ctx.params.id}`);
        return { revoked: ctx.params.id };
      },
    }),
  ];
}
