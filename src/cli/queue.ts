import type { Command } from 'commander';
import { join } from 'node:path';
import { FilterInputError, queueFilterFrom, type QueueFilterInput } from '../queue/filter-input.js';
import { callGateway, GatewayNotRunning } from '../control/client.js';
import { controlSocketPath, type ControlRequest } from '../control/protocol.js';
import { Spool } from '../queue/spool.js';
import { QueueManager } from '../queue/manager.js';
import { isEmptyFilter, type QueueEntrySummary, type QueueFilter } from '../queue/filter.js';
import { QUEUE_NAMES } from '../queue/types.js';
import { toRuntimeSettings, defaultSettingsDocument } from '../config/settings.js';
import { silentLogger } from '../util/log.js';
import {
  CliError,
  EXIT,
  formatAge,
  nodeConfig,
  printJson,
  printTable,
  withNodeOptions,
  type NodeOptions,
} from './common.js';
import type { NodeConfig } from '../config/node.js';

interface FilterOptions extends NodeOptions {
  queue?: string;
  sender?: string;
  recipient?: string;
  olderThan?: string;
  newerThan?: string;
  all?: boolean;
  json?: boolean;
}

function withFilterOptions(cmd: Command): Command {
  return withNodeOptions(cmd)
    .option('-q, --queue <name>', `only this queue (${QUEUE_NAMES.join(', ')})`)
    .option('-s, --sender <pattern>', 'only messages from this sender ("*" wildcard)')
    .option('-r, --recipient <pattern>', 'only messages to this recipient ("*" wildcard)')
    .option('--older-than <duration>', 'only messages at least this old (e.g. 2h)')
    .option('--newer-than <duration>', 'only messages at most this old (e.g. 30m)')
    .option('--json', 'print JSON');
}

const FLAGS: Record<keyof QueueFilterInput, string> = {
  queue: '--queue',
  sender: '--sender',
  recipient: '--recipient',
  olderThan: '--older-than',
  newerThan: '--newer-than',
};

function toFilter(opts: FilterOptions, ids: string[] = []): QueueFilter {
  try {
    return queueFilterFrom(opts, ids);
  } catch (e) {
    if (e instanceof FilterInputError) throw new CliError(`${FLAGS[e.field]}: ${e.message}`, EXIT.usage);
    throw e;
  }
}

/** Asks the running gateway; when none runs, works on the spool directly. */
async function run(config: NodeConfig, req: ControlRequest): Promise<unknown> {
  try {
    return await callGateway(controlSocketPath(config.dataDir), req);
  } catch (e) {
    if (!(e instanceof GatewayNotRunning)) throw new CliError((e as Error).message);
  }
  const log = silentLogger();
  const spool = new Spool(join(config.dataDir, 'queue'), log);
  await spool.init();
  const settings = toRuntimeSettings(defaultSettingsDocument());
  const manager = new QueueManager({
    spool,
    log,
    settings: () => settings,
    handler: {
      handle: () => Promise.reject(new Error('offline')),
    },
    bounce: () => Promise.reject(new Error('offline')),
  });
  await manager.load();
  switch (req.op) {
    case 'queue.list':
      return manager.list(req.filter as QueueFilter);
    case 'queue.show':
      return (await manager.show(req.id)) ?? null;
    case 'queue.hold':
      return manager.hold(req.filter as QueueFilter);
    case 'queue.release':
      return manager.release(req.filter as QueueFilter);
    case 'queue.delete':
      return manager.delete(req.filter as QueueFilter);
    case 'queue.flush':
      return manager.flush(req.filter as QueueFilter);
    default:
      throw new CliError('the gateway is not running', EXIT.failure);
  }
}

function printList(entries: QueueEntrySummary[]): void {
  const now = Date.now();
  printTable(
    ['ID', 'QUEUE', 'SIZE', 'AGE', 'SENDER', 'RECIPIENTS', 'LAST ERROR'],
    entries.map((e) => [
      e.id,
      e.queue,
      String(e.size),
      formatAge(now - e.receivedAt),
      e.sender || '<>',
      e.pendingRecipients.join(','),
      e.lastError ?? '',
    ]),
  );
  process.stdout.write(`-- ${entries.length} message${entries.length === 1 ? '' : 's'}\n`);
}

export function registerQueue(program: Command): void {
  const queue = program.command('queue').description('list and act on queued messages');

  withFilterOptions(queue.command('list'))
    .description('list queued messages')
    .action(async (opts: FilterOptions) => {
      const list = (await run(nodeConfig(opts), {
        op: 'queue.list',
        filter: toFilter(opts),
      })) as QueueEntrySummary[];
      if (opts.json) printJson(list);
      else printList(list);
    });

  withNodeOptions(queue.command('show'))
    .description('show one message: envelope, delivery state and headers')
    .argument('<id>', 'queue ID')
    .option('--json', 'print JSON')
    .action(async (id: string, opts: FilterOptions) => {
      const entry = (await run(nodeConfig(opts), { op: 'queue.show', id })) as
        (QueueEntrySummary & { headers: string }) | null;
      if (!entry) throw new CliError(`no message ${id} in the queue`, EXIT.notFound);
      if (opts.json) return printJson(entry);
      const lines = [
        `ID:          ${entry.id}`,
        `Queue:       ${entry.queue}`,
        `Received:    ${new Date(entry.receivedAt).toISOString()}`,
        `Size:        ${entry.size}`,
        `Sender:      ${entry.sender || '<>'}`,
        `Recipients:  ${entry.recipients.join(', ')}`,
        `Pending:     ${entry.pendingRecipients.join(', ')}`,
        `Attempts:    ${entry.attempts}`,
      ];
      if (entry.nextAttemptAt) lines.push(`Next try:    ${new Date(entry.nextAttemptAt).toISOString()}`);
      if (entry.lastError) lines.push(`Last error:  ${entry.lastError}`);
      process.stdout.write(`${lines.join('\n')}\n\n${entry.headers}\n`);
    });

  for (const [name, description] of [
    ['hold', 'put messages on hold (kept, not delivered, until released)'],
    ['release', 'release held messages for delivery'],
    ['delete', 'delete messages from the queue (no bounce)'],
    ['flush', 'try deferred messages again now'],
  ] as const) {
    withFilterOptions(queue.command(name))
      .description(`${description}; selected by IDs and/or filters`)
      .argument('[ids...]', 'queue IDs')
      .option('--all', 'every message the filters select (needed when no ID and no filter is given)')
      .action(async (ids: string[], opts: FilterOptions) => {
        const filter = toFilter(opts, ids);
        if (isEmptyFilter(filter)) {
          if (!opts.all) throw new CliError(`queue ${name}: give queue IDs, a filter, or --all`, EXIT.usage);
          filter.olderThan = 0; // --all: everything
        }
        const result = (await run(nodeConfig(opts), { op: `queue.${name}`, filter })) as {
          affected: string[];
        };
        if (opts.json) return printJson(result);
        for (const id of result.affected) process.stdout.write(`${id}\n`);
        process.stderr.write(`${name}: ${result.affected.length} message(s)\n`);
        if (result.affected.length === 0 && ids.length > 0) {
          throw new CliError(`queue ${name}: none of the given messages could be acted on`, EXIT.notFound);
        }
      });
  }
}
