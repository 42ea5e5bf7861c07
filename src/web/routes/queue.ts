// This node's mail queue in the console: list and filter, one message in detail, and the
// administrator's bulk actions (hold, release, delete, deliver now) with one result per message.
import { z } from 'zod';
import { ApiError, route, type RouteSpec } from '../route.js';
import type { ConsoleServices } from '../services.js';
import { isEmptyFilter, type QueueFilter } from '../../queue/filter.js';
import { FilterInputError, queueFilterFrom, type QueueFilterInput } from '../../queue/filter-input.js';
import { QUEUE_NAMES } from '../../queue/types.js';
import { deliveriesOf, trackingRow } from '../../log/tracking.js';
import { limitParam, offsetParam, patternParam } from './search-params.js';

const filterFields = {
  queue: z.enum(QUEUE_NAMES as [string, ...string[]]).optional(),
  sender: patternParam.optional().describe('"*" wildcard'),
  recipient: patternParam.optional().describe('"*" wildcard'),
  olderThan: z.string().min(1).optional().describe('at least this old, e.g. 2h'),
  newerThan: z.string().min(1).optional().describe('at most this old, e.g. 30m'),
};

const ACTIONS = ['hold', 'release', 'delete', 'deliver-now'] as const;
type QueueAction = (typeof ACTIONS)[number];

function toFilter(input: QueueFilterInput, ids?: string[]): QueueFilter {
  try {
    return queueFilterFrom(input, ids);
  } catch (e) {
    if (e instanceof FilterInputError) throw new ApiError(400, `${e.field}: ${e.message}`);
    throw e;
  }
}

function run(services: ConsoleServices, action: QueueAction, filter: QueueFilter) {
  switch (action) {
    case 'hold':
      return services.queue.hold(filter);
    case 'release':
      return services.queue.release(filter);
    case 'delete':
      return services.queue.delete(filter);
    case 'deliver-now':
      return services.queue.flush(filter);
  }
}

/** Why an action left a named message alone. */
function whyNot(services: ConsoleServices, id: string, action: QueueAction): string {
  const entry = services.queue.list({ ids: [id] })[0];
  if (!entry) return 'not in the queue';
  if (action === 'hold') return 'already on hold';
  if (action === 'release') return `not on hold (in ${entry.queue})`;
  return `nothing to do in ${entry.queue}`;
}

export function queueRoutes(): RouteSpec[] {
  return [
    route({
      method: 'GET',
      path: '/queue',
      section: 'queue',
      access: 'read',
      summary: "This node's queued messages (oldest first) and the count in each queue",
      query: z.object({ ...filterFields, limit: limitParam, offset: offsetParam }),
      async handler({ services, query }) {
        const { limit, offset, ...input } = query;
        const all = services.queue.list(toFilter(input));
        return {
          counts: services.queue.counts(),
          total: all.length,
          limit,
          offset,
          messages: all.slice(offset, offset + limit),
        };
      },
    }),
    route({
      method: 'GET',
      path: '/queue/:id',
      section: 'queue',
      access: 'read',
      summary: 'One queued message: envelope, delivery state, attempts, last error and headers',
      params: z.object({ id: z.string().min(1).max(32) }),
      async handler({ services, params }) {
        const entry = await services.queue.show(params.id);
        if (!entry) throw new ApiError(404, `no message ${params.id} in the queue`);
        const [attempts, tracked] = await Promise.all([
          deliveriesOf(services.store, [params.id]),
          trackingRow(services.store, params.id),
        ]);
        return {
          ...entry,
          // how it arrived, from message tracking (the queue keeps the envelope for delivery only)
          client: tracked ? { ip: tracked.client_ip, helo: tracked.helo } : null,
          attemptLog: attempts.map(({ queueId: _q, ...d }) => d),
        };
      },
    }),
    route({
      method: 'POST',
      path: '/queue/actions',
      section: 'queue',
      access: 'write',
      summary:
        'hold, release, delete or deliver-now the messages given by ids and/or a filter ' +
        '(neither: all must be true); one result per message',
      body: z.strictObject({
        action: z.enum(ACTIONS),
        ids: z.array(z.string().min(1).max(32)).max(10_000).optional(),
        filter: z.strictObject(filterFields).optional(),
        all: z.boolean().optional().describe('act on every message when no ids and no filter are given'),
      }),
      async handler({ services, body, audit }) {
        const ids = body.ids ? [...new Set(body.ids)] : [];
        const filter = toFilter(body.filter ?? {}, ids);
        if (isEmptyFilter(filter)) {
          if (!body.all) throw new ApiError(400, `queue ${body.action}: give ids, a filter, or all: true`);
          filter.olderThan = 0; // all: every message
        }
        const { affected } = await run(services, body.action, filter);
        const done = new Set(affected);
        const results = [
          ...affected.map((id) => ({ id, ok: true as const })),
          ...ids
            .filter((id) => !done.has(id))
            .map((id) => ({ id, ok: false as const, error: whyNot(services, id, body.action) })),
        ];
        await audit(`queue.${body.action}`, ids.length ? ids.join(',') : 'filter', {
          ...(body.filter ? { filter: body.filter } : {}),
          ...(body.all ? { all: true } : {}),
          affected: affected.length,
        });
        return { action: body.action, affected: affected.length, results };
      },
    }),
  ];
}
