// `sekimori sender …`: blocked IPs and senders (list, unblock, block by hand) and the sender
// filtering log. Block operations go to the running gateway over the control socket; when it
// is not running they go straight to Redis (rateStore: redis), since memory blocks die with it.
import type { Command } from 'commander';
import {
  CliError,
  EXIT,
  formatAge,
  nodeConfig,
  parseLimit,
  printJson,
  printTable,
  withNodeOptions,
  withStore,
  type NodeOptions,
} from '../cli/common.js';
import { toRuntimeSettings } from '../config/settings.js';
import { parseDuration } from '../config/units.js';
import { callGateway, GatewayNotRunning } from '../control/client.js';
import { controlSocketPath, type ControlRequest } from '../control/protocol.js';
import { SettingsRepository } from '../store/settings-repo.js';
import { openStore } from '../store/store.js';
import { silentLogger } from '../util/log.js';
import type { SenderControlRequest } from './control.js';
import { handleSenderControl } from './control.js';
import { querySenderEvents, StoreSenderEventLog } from './events.js';
import { SenderFilter } from './filter.js';
import { entryKind } from './lists.js';
import type { Block } from './rate-store.js';
import { RedisRateStore } from './redis-store.js';

/** Sends a sender.* request to the gateway, or runs it against Redis when no gateway runs. */
async function senderRequest(opts: NodeOptions, req: SenderControlRequest): Promise<unknown> {
  const config = nodeConfig(opts);
  try {
    // The control protocol's request type gains SenderControlRequest when the lead wires it.
    return await callGateway(controlSocketPath(config.dataDir), req as unknown as ControlRequest, 30_000);
  } catch (e) {
    if (!(e instanceof GatewayNotRunning)) throw e;
  }
  const store = await openStore(config.databaseUrl);
  try {
    const { document } = await new SettingsRepository(store).load();
    const settings = toRuntimeSettings(document);
    const sf = settings.senderFilter;
    if (sf.rateStore !== 'redis') {
      throw new CliError(
        `Sekimori is not running (data directory ${config.dataDir}); with senderFilter.rateStore "memory" its blocks live only in the running gateway`,
        EXIT.notFound,
      );
    }
    const redis = RedisRateStore.connect(sf.redisUrl, sf.redisKeyPrefix, {
      maxRetriesPerRequest: 0,
      connectTimeout: 5000,
      retryStrategy: () => null,
    });
    redis.client.on('error', () => undefined);
    if (!(await redis.ready(5000))) {
      await redis.close();
      throw new CliError(`Sekimori is not running and Redis at ${sf.redisUrl} does not answer`);
    }
    const events = new StoreSenderEventLog(store, silentLogger());
    const filter = new SenderFilter({
      settings: () => settings,
      log: silentLogger(),
      node: config.nodeName,
      events,
      store: redis,
    });
    try {
      return await handleSenderControl(filter, req);
    } catch (e) {
      throw new CliError(`cannot reach Redis at ${sf.redisUrl}: ${(e as Error).message}`);
    } finally {
      await events.flush();
      await redis.close();
    }
  } finally {
    await store.close();
  }
}

function checkSubject(text: string): string {
  const t = text.trim().replace(/^<(.*)>$/, '$1');
  const kind = entryKind(t);
  if (kind === 'address' || (kind === 'network' && !t.includes('/'))) return t;
  throw new CliError(`"${text}" is neither an IP address nor a sender address`, EXIT.usage);
}

const time = (ms: number | undefined) => (ms === undefined ? 'permanent' : new Date(ms).toISOString());

const counts = (c: Record<string, number> | undefined) =>
  c
    ? Object.entries(c)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ')
    : '';

function printBlocks(blocks: Block[]): void {
  if (blocks.length === 0) {
    process.stdout.write('no blocked IPs or senders\n');
    return;
  }
  const now = Date.now();
  printTable(
    ['SUBJECT', 'SCOPE', 'REASON', 'CODE', 'SINCE', 'UNTIL', 'LEFT', 'COUNTS', 'NODE'],
    blocks.map((b) => [
      b.subject,
      b.scope,
      b.reason,
      String(b.code),
      time(b.since),
      time(b.until),
      b.until === undefined ? '-' : formatAge(b.until - now),
      counts(b.counts),
      b.node,
    ]),
  );
}

export function registerSender(program: Command): void {
  const sender = program.command('sender').description('sender filter: blocked IPs and senders, and its log');
  const blocked = sender
    .command('blocked')
    .description('IPs and senders blocked by throttling, the IP profiler or hand');

  withNodeOptions(blocked.command('list'))
    .description('blocks in force: subject, reason (threat or rule), counts, since and until')
    .option('--json', 'print JSON')
    .action(async (opts: NodeOptions & { json?: boolean }) => {
      const blocks = (await senderRequest(opts, { op: 'sender.blocks' })) as Block[];
      if (opts.json) return printJson(blocks);
      printBlocks(blocks);
    });

  withNodeOptions(blocked.command('unblock'))
    .description('lift the block of an IP or sender address (logged)')
    .argument('<subject>', 'IP address or sender address')
    .action(async (subject: string, opts: NodeOptions) => {
      const b = (await senderRequest(opts, {
        op: 'sender.unblock',
        subject: checkSubject(subject),
        by: 'cli',
      })) as Block | null;
      if (!b) throw new CliError(`${subject} is not blocked`, EXIT.notFound);
      process.stdout.write(`unblocked ${b.subject} (was blocked for ${b.reason} since ${time(b.since)})\n`);
    });

  withNodeOptions(blocked.command('add'))
    .description('block an IP or sender address by hand (logged)')
    .argument('<subject>', 'IP address or sender address')
    .option('--for <duration>', 'temporary block (e.g. 2h) with 450; without it the block is permanent (550)')
    .option('--code <code>', '450 or 550 (default: 450 when temporary, 550 when permanent)')
    .option('--json', 'print JSON')
    .action(async (subject: string, opts: NodeOptions & { for?: string; code?: string; json?: boolean }) => {
      const req: SenderControlRequest = { op: 'sender.block', subject: checkSubject(subject), by: 'cli' };
      if (opts.for !== undefined) {
        const ms = parseDuration(opts.for);
        if (!ms)
          throw new CliError(`--for: "${opts.for}" is not a duration (write e.g. 30m or 2h)`, EXIT.usage);
        req.durationMs = ms;
      }
      if (opts.code !== undefined) {
        if (opts.code !== '450' && opts.code !== '550')
          throw new CliError('--code: write 450 or 550', EXIT.usage);
        req.code = Number(opts.code) as 450 | 550;
      }
      const b = (await senderRequest(opts, req)) as Block | null;
      if (opts.json) return printJson(b);
      if (!b) throw new CliError(`cannot block ${subject}`);
      process.stdout.write(`${b.subject} blocked (${b.reason}, ${b.code}) until ${time(b.until)}\n`);
    });

  withNodeOptions(sender.command('events'))
    .description('the sender filtering log: blocks set, lifted by hand, and ended')
    .option('--since <duration>', 'only this far back (e.g. 2h, 7d)')
    .option('-s, --subject <subject>', 'one IP or sender address')
    .option('-n, --limit <n>', 'at most this many events (default 100)')
    .option('--json', 'print JSON')
    .action(
      async (opts: NodeOptions & { since?: string; subject?: string; limit?: string; json?: boolean }) => {
        const q: { since?: number; subject?: string; limit?: number } = {};
        if (opts.since !== undefined) {
          const ms = parseDuration(opts.since);
          if (ms === undefined) throw new CliError(`--since: "${opts.since}" is not a duration`, EXIT.usage);
          q.since = Date.now() - ms;
        }
        if (opts.subject) q.subject = checkSubject(opts.subject);
        if (opts.limit !== undefined) q.limit = parseLimit(opts.limit);
        const rows = await withStore(opts, (store) => querySenderEvents(store, q));
        if (opts.json) return printJson(rows);
        printTable(
          ['TIME', 'ACTION', 'SUBJECT', 'REASON', 'CODE', 'UNTIL', 'COUNTS', 'BY'],
          rows.map((r) => [
            new Date(r.at).toISOString(),
            r.action,
            r.subject,
            r.reason,
            String(r.code),
            time(r.until),
            counts(r.counts),
            r.by,
          ]),
        );
      },
    );
}
