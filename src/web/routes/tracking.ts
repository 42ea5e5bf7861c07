// Message tracking in the console: search every message the group handled, and read one
// message's whole story (connection, scan, rules and evidence, quarantine, copies, deliveries).
import { z } from 'zod';
import ipaddr from 'ipaddr.js';
import { ApiError, route, type RouteSpec } from '../route.js';
import { countTracking, queryTracking } from '../../log/tracking.js';
import { messageStory } from '../../log/message-story.js';
import { isTrustedClient } from '../../smtp/trusted.js';
import { limitParam, offsetParam, patternParam, timeParam } from './search-params.js';

const searchQuery = z.object({
  sender: patternParam.optional().describe('envelope sender ("*" wildcard)'),
  recipient: patternParam.optional().describe('envelope recipient ("*" wildcard)'),
  subject: patternParam.optional().describe('subject contains ("*" wildcard)'),
  clientIp: patternParam.optional().describe('client IP ("*" wildcard, e.g. 192.0.2.*)'),
  since: timeParam.optional(),
  until: timeParam.optional(),
  verdict: patternParam
    .optional()
    .describe('scan and policy summary contains, e.g. virus, spam, a rule name'),
  attachment: patternParam.optional().describe('an attachment name contains ("*.exe", "invoice")'),
  status: z
    .string()
    .min(1)
    .optional()
    .describe('queued, delivered, deferred, bounced, partly-bounced, expired, held, deleted, quarantined'),
  limit: limitParam,
  offset: offsetParam,
});

export function trackingRoutes(): RouteSpec[] {
  return [
    route({
      method: 'GET',
      path: '/tracking',
      section: 'tracking',
      access: 'read',
      summary: 'Search message tracking, newest first (wildcards "*", case-insensitive)',
      query: searchQuery,
      async handler({ services, query }) {
        const { status, limit, offset, ...rest } = query;
        const q = { ...rest, ...(status ? { result: status } : {}) };
        const [messages, total] = await Promise.all([
          queryTracking(services.store, { ...q, limit, offset }),
          countTracking(services.store, q),
        ]);
        return { total, limit, offset, messages };
      },
    }),
    route({
      method: 'GET',
      path: '/tracking/:queueId',
      section: 'tracking',
      access: 'read',
      summary:
        "One message's story in time order: connection, acceptance, facts, rules, quarantine, copies, deliveries",
      params: z.object({ queueId: z.string().min(1).max(32) }),
      async handler({ services, params }) {
        const story = await messageStory(services.store, params.queueId, {
          isTrusted: (ip) =>
            ipaddr.isValid(ip) && isTrustedClient(ip, services.settings.current().trustedNetworks),
        });
        if (!story) throw new ApiError(404, `no message ${params.queueId} in tracking`);
        return story;
      },
    }),
  ];
}
