import type { Command } from 'commander';
import { queryTracking, type TrackingQuery } from '../log/tracking.js';
import { parseTimeRange } from './time.js';
import { queryPolicyEvents } from '../log/policy-events.js';
import {
  parseLimit,
  printJson,
  printTable,
  withNodeOptions,
  withStore,
  type SearchOptions,
} from './common.js';

interface TrackingOptions extends SearchOptions {
  result?: string;
  id?: string;
  subject?: string;
  clientIp?: string;
  verdict?: string;
  attachment?: string;
}

/** Search options the command passes on to the query as they are. */
const PASSED_ON = ['sender', 'recipient', 'result', 'subject', 'clientIp', 'verdict', 'attachment'] as const;

export function registerLog(program: Command): void {
  const log = program.command('log').description('query the product logs');
  withNodeOptions(log.command('tracking'))
    .description('message tracking: every message, its recipients and delivery attempts')
    .option('-s, --sender <pattern>', 'sender address ("*" wildcard)')
    .option('-r, --recipient <pattern>', 'recipient address ("*" wildcard)')
    .option('--since <time>', 'from this time (ISO date/time, or a duration ago such as 2h)')
    .option('--until <time>', 'up to this time')
    .option('--result <result>', 'delivered, deferred, bounced, expired, held, deleted, queued')
    .option('--subject <pattern>', 'subject contains ("*" wildcard)')
    .option('--client-ip <pattern>', 'client IP ("*" wildcard, e.g. 192.0.2.*)')
    .option('--verdict <text>', 'scan and policy summary contains (virus, spam, quarantine, a rule name…)')
    .option('--attachment <pattern>', 'an attachment name contains ("*" wildcard, e.g. *.exe)')
    .option('--id <queueId>', 'one message')
    .option('-n, --limit <n>', 'at most this many messages (default 100)')
    .option('--json', 'print JSON')
    .action(async (opts: TrackingOptions) => {
      const q: TrackingQuery = parseTimeRange(opts);
      for (const key of PASSED_ON) if (opts[key]) q[key] = opts[key];
      if (opts.id) q.queueId = opts.id;
      if (opts.limit) q.limit = parseLimit(opts.limit);
      const messages = await withStore(opts, (store) => queryTracking(store, q));
      if (opts.json) return printJson(messages);
      const rows: string[][] = [];
      for (const m of messages) {
        rows.push([
          new Date(m.receivedAt).toISOString(),
          m.queueId,
          m.clientIp,
          m.sender || '<>',
          m.recipients.join(','),
          String(m.size),
          m.status,
          m.subject ?? '',
        ]);
        for (const d of m.deliveries) {
          rows.push([
            `  ${new Date(d.at).toISOString()}`,
            '',
            d.host ?? '',
            '',
            d.recipient,
            '',
            d.result,
            d.reply,
          ]);
        }
      }
      printTable(
        ['TIME', 'QUEUE ID', 'CLIENT/HOST', 'SENDER', 'RECIPIENTS', 'SIZE', 'RESULT', 'SUBJECT/REPLY'],
        rows,
      );
    });

  withNodeOptions(log.command('policy'))
    .description('policy events: each rule that matched a message, the evidence and the action')
    .option('--id <queueId>', 'one message')
    .option('--rule <id>', 'one rule')
    .option('-s, --sender <address>', 'sender')
    .option('-r, --recipient <address>', 'recipient')
    .option('--since <time>', 'from this time (ISO date/time, or a duration ago such as 2h)')
    .option('--until <time>', 'up to this time')
    .option('-n, --limit <n>', 'at most this many events (default 100)')
    .option('--json', 'print JSON')
    .action(async (opts: TrackingOptions & { rule?: string }) => {
      const events = await withStore(opts, (store) =>
        queryPolicyEvents(store, {
          queueId: opts.id,
          ruleId: opts.rule,
          sender: opts.sender,
          recipient: opts.recipient,
          ...parseTimeRange(opts),
          limit: opts.limit ? parseLimit(opts.limit) : undefined,
        }),
      );
      if (opts.json) return printJson(events);
      printTable(
        ['TIME', 'QUEUE ID', 'RECIPIENT', 'RULE', 'ACTION', 'EVIDENCE'],
        events.map((e) => [
          new Date(e.at).toISOString(),
          e.queueId,
          e.recipient,
          e.ruleName,
          e.action,
          e.evidence.map((x) => x.detail).join('; '),
        ]),
      );
    });
}
