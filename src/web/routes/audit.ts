// The audit log (section 'audit'): every logon, logoff, refused call and change, newest first.
import { z } from 'zod';
import { route, type RouteSpec } from '../route.js';
import { authOf } from './auth.js';
import { limitParam, timeParam } from './search-params.js';

export function auditRoutes(): RouteSpec[] {
  return [
    route({
      method: 'GET',
      path: '/audit',
      section: 'audit',
      access: 'read',
      summary: 'Search the audit log (newest first); action "accounts" also finds "accounts.create"…',
      query: z.strictObject({
        account: z.string().max(200).optional(),
        action: z.string().max(100).optional(),
        since: timeParam.optional(),
        until: timeParam.optional(),
        limit: limitParam,
      }),
      async handler(ctx) {
        return { entries: await authOf(ctx).console.audit.search(ctx.query) };
      },
    }),
  ];
}
