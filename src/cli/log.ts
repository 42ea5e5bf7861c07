import type { Command } from 'commander';
import { openStore } from '../store/store.js';
import { queryTracking, type TrackingQuery } from '../log/tracking.js';
import { parseDuration } from '../config/units.js';
import {
  CliError,
  EXIT,
  nodeConfig,
  printJson,
  printTable,
  withNodeOptions,
  type NodeOptions,
} from './common.js';

interface TrackingOptions extends NodeOptions {
  sender?: string;
  recipient?: string;
  since?: string;
  until?: string;
  result?: string;
  id?: string;
  limit?: string;
  json?: boolean;
}

/** "2h" (that long ago) or an ISO date/time. */
function parseTime(text: string, flag: string): number {
  const ago = parseDuration(text);
  if (ago !== undefined) return Date.now() - ago;
  const t = Date.parse(text);
  if (Number.isNaN(t))
    throw new CliError(`${flag}: "${text}" is neither a duration (2h) nor a date/time`, EXIT.usage);
  return t;
}

export function registerLog(program: Command): void {
  const log = program.command('log').description('query the product logs');
  withNodeOptions(log.command('tracking'))
    .description('message tracking: every message, its recipients and delivery attempts')
    .option('-s, --sender <pattern>', 'sender address ("*" wildcard)')
    .option('-r, --recipient <pattern>', 'recipient address ("*" wildcard)')
    .option('--since <time>', 'from this time (ISO date/time, or a duration ago such as 2h)')
    .option('--until <time>', 'up to this time')
    .option('--result <result>', 'delivered, deferred, bounced, expired, held, deleted, queued')
    .option('--id <queueId>', 'one message')
    .option('-n, --limit <n>', 'at most this many messages (default 100)')
    .option('--json', 'print JSON')
    .action(async (opts: TrackingOptions) => {
      const q: TrackingQuery = {};
      if (opts.sender) q.sender = opts.sender;
      if (opts.recipient) q.recipient = opts.recipient;
      if (opts.since) q.since = parseTime(opts.since, '--since');
      if (opts.until) q.until = parseTime(opts.until, '--until');
      if (opts.result) q.result = opts.result;
      if (opts.id) q.queueId = opts.id;
      if (opts.limit) {
        const n = Number(opts.limit);
        if (!Number.isInteger(n) || n < 1)
          throw new CliError(`--limit: "${opts.limit}" is not a positive number`, EXIT.usage);
        q.limit = n;
      }
      const store = await openStore(nodeConfig(opts).databaseUrl);
      try {
        const messages = await queryTracking(store, q);
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
      } finally {
        await store.close();
      }
    });
}
