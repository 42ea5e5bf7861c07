// The quarantine in the console: search, look at one message (envelope, reason, rule, facts,
// headers and a text preview — the body is never rendered as HTML), download it, release it
// through delivery or delete it.
import { z } from 'zod';
import { ApiError, route, type RouteSpec } from '../route.js';
import { deleteFromQuarantine } from '../../quarantine/delete.js';
import type { Facts } from '../../scan/facts.js';
import { limitParam, offsetParam, patternParam, timeParam } from './search-params.js';

/** Characters of body text shown in the preview. */
const PREVIEW_CHARS = 4096;
/** Bytes of the header block shown. */
const HEADER_BYTES = 64 * 1024;

const searchQuery = z.object({
  area: z.string().min(1).optional(),
  sender: patternParam.optional().describe('"*" wildcard'),
  recipient: patternParam.optional().describe('"*" wildcard'),
  subject: patternParam.optional().describe('subject contains ("*" wildcard)'),
  rule: z.string().min(1).optional().describe('quarantined by this rule id'),
  since: timeParam.optional(),
  until: timeParam.optional(),
  status: z.enum(['quarantined', 'released', 'deleted', 'archived']).default('quarantined'),
  limit: limitParam,
  offset: offsetParam,
});

const quarantineId = z.object({ id: z.string().min(1).max(40) });

/** The header block of a message, as text. */
function headerBlock(message: Buffer): string {
  const head = message.subarray(0, HEADER_BYTES);
  const end = head.indexOf('\r\n\r\n');
  const alt = head.indexOf('\n\n');
  const cut = end >= 0 ? end : alt >= 0 ? alt : head.length;
  return head.subarray(0, cut).toString('utf8');
}

/** The body as plain text from the stored facts (text parts, else text rendered from HTML). */
function textPreview(details: unknown): { text: string; truncated: boolean } {
  const facts = (details as { facts?: Partial<Facts> } | null)?.facts;
  const text = facts?.textBody?.trim() ? facts.textBody : (facts?.htmlText ?? '');
  return { text: text.slice(0, PREVIEW_CHARS), truncated: text.length > PREVIEW_CHARS };
}

export function quarantineRoutes(): RouteSpec[] {
  return [
    route({
      method: 'GET',
      path: '/quarantine',
      section: 'quarantine',
      access: 'read',
      summary: 'Search quarantined messages, newest first',
      query: searchQuery,
      async handler({ services, query }) {
        const { rule, ...rest } = query;
        const messages = await services.quarantine.list({ ...rest, ruleId: rule });
        return { limit: query.limit, offset: query.offset, messages };
      },
    }),
    route({
      method: 'GET',
      path: '/quarantine/:id',
      section: 'quarantine',
      access: 'read',
      summary: 'One quarantined message: envelope, reason, rule, facts, headers and a text preview',
      params: quarantineId,
      async handler({ services, params }) {
        const entry = await services.quarantine.get(params.id);
        if (!entry) throw new ApiError(404, `no quarantined message ${params.id}`);
        const { message, details, ...rest } = entry;
        const d = (details ?? {}) as { facts?: unknown; matched?: unknown };
        return {
          ...rest,
          facts: d.facts ?? null,
          matched: d.matched ?? [],
          headers: headerBlock(message),
          preview: textPreview(details),
        };
      },
    }),
    route({
      method: 'GET',
      path: '/quarantine/:id/download',
      section: 'quarantine',
      access: 'read',
      summary: 'The quarantined message as it arrived (message/rfc822, <id>.eml)',
      params: quarantineId,
      async handler({ services, params, audit }) {
        const entry = await services.quarantine.get(params.id);
        if (!entry) throw new ApiError(404, `no quarantined message ${params.id}`);
        // Reading a quarantined message is an administrator action worth a trace.
        await audit('quarantine.download', params.id, { area: entry.area });
        return { contentType: 'message/rfc822', filename: `${entry.id}.eml`, bytes: entry.message };
      },
    }),
    route({
      method: 'POST',
      path: '/quarantine/actions',
      section: 'quarantine',
      access: 'write',
      summary:
        'Release (through delivery; a released spam is learned as ham) or delete messages; one result per id',
      body: z.strictObject({
        action: z.enum(['release', 'delete']),
        ids: z.array(z.string().min(1).max(40)).min(1).max(1000),
        rescan: z.boolean().optional().describe('release: scan and apply the rules again'),
      }),
      async handler({ services, body, audit }) {
        const ids = [...new Set(body.ids)];
        const results =
          body.action === 'release'
            ? await services.releaseQuarantined(ids, { rescan: body.rescan ?? false })
            : await deleteFromQuarantine(services.quarantine, ids);
        const done = results.filter((r) => !r.error).map((r) => r.id);
        await audit(`quarantine.${body.action}`, done.join(','), {
          ...(body.rescan ? { rescan: true } : {}),
          failed: results.filter((r) => r.error).map((r) => r.id),
        });
        return { action: body.action, results };
      },
    }),
  ];
}
