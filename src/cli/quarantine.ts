import type { Command } from 'commander';
import { join } from 'node:path';
import { QuarantineRepository, type QuarantineQuery } from '../quarantine/repository.js';
import { releaseFromQuarantine, type ReleaseResult } from '../quarantine/release.js';
import { deleteFromQuarantine } from '../quarantine/delete.js';
import { Spool } from '../queue/spool.js';
import { silentLogger } from '../util/log.js';
import { callGateway, GatewayNotRunning } from '../control/client.js';
import { controlSocketPath } from '../control/protocol.js';
import { parseTimeRange } from './time.js';
import {
  CliError,
  EXIT,
  nodeConfig,
  printJson,
  printTable,
  withNodeOptions,
  withStore,
  type NodeOptions,
  type SearchOptions,
  parseLimit,
} from './common.js';

interface ListOptions extends SearchOptions {
  area?: string;
  subject?: string;
  rule?: string;
  status?: string;
}

function withRepo<T>(opts: NodeOptions, fn: (repo: QuarantineRepository) => Promise<T>): Promise<T> {
  return withStore(opts, (store) => fn(new QuarantineRepository(store)));
}

export function registerQuarantine(program: Command): void {
  const q = program
    .command('quarantine')
    .description('search, show, release and delete quarantined messages');

  withNodeOptions(q.command('list'))
    .description('list quarantined messages, newest first')
    .option('-a, --area <name>', 'quarantine area')
    .option('-s, --sender <pattern>', 'sender ("*" wildcard)')
    .option('-r, --recipient <pattern>', 'recipient ("*" wildcard)')
    .option('--subject <text>', 'subject contains ("*" wildcard)')
    .option('--rule <id>', 'quarantined by this rule')
    .option('--since <time>', 'from (ISO time or a duration ago, e.g. 2h)')
    .option('--until <time>', 'up to')
    .option('--status <status>', 'quarantined (default), released or deleted')
    .option('-n, --limit <n>', 'at most this many (default 100)')
    .option('--json', 'print JSON')
    .action(async (opts: ListOptions) => {
      const query: QuarantineQuery = {
        area: opts.area,
        sender: opts.sender,
        recipient: opts.recipient,
        subject: opts.subject,
        ruleId: opts.rule,
        status: opts.status,
        ...parseTimeRange(opts),
        limit: opts.limit ? parseLimit(opts.limit) : undefined,
      };
      const entries = await withRepo(opts, (repo) => repo.list(query));
      if (opts.json) return printJson(entries);
      printTable(
        ['ID', 'TIME', 'AREA', 'SENDER', 'RECIPIENTS', 'SUBJECT', 'REASON'],
        entries.map((e) => [
          e.id,
          new Date(e.createdAt).toISOString(),
          e.area,
          e.sender || '<>',
          e.recipients.join(','),
          e.subject ?? '',
          e.reason,
        ]),
      );
    });

  withNodeOptions(q.command('show'))
    .description('show a quarantined message: envelope, reason, facts and matched rules')
    .argument('<id>', 'quarantine ID')
    .option('--json', 'print JSON')
    .option('--raw', 'print the message itself')
    .action(async (id: string, opts: NodeOptions & { json?: boolean; raw?: boolean }) => {
      const entry = await withRepo(opts, (repo) => repo.get(id));
      if (!entry) throw new CliError(`no quarantined message ${id}`, EXIT.notFound);
      if (opts.raw) {
        process.stdout.write(entry.message);
        return;
      }
      const { message, ...rest } = entry;
      if (opts.json) return printJson({ ...rest, message: message.toString('utf8') });
      process.stdout.write(
        [
          `ID:          ${entry.id}`,
          `Queue ID:    ${entry.queueId}`,
          `Area:        ${entry.area}`,
          `Status:      ${entry.status}`,
          `Time:        ${new Date(entry.createdAt).toISOString()}`,
          `Sender:      ${entry.sender || '<>'}`,
          `Recipients:  ${entry.recipients.join(', ')}`,
          `Subject:     ${entry.subject ?? ''}`,
          `Rule:        ${entry.ruleId ?? ''}`,
          `Reason:      ${entry.reason}`,
          '',
        ].join('\n'),
      );
    });

  withNodeOptions(q.command('release'))
    .description('send quarantined messages on to their recipients through delivery')
    .argument('<ids...>', 'quarantine IDs')
    .option('--rescan', 'scan and apply the rules again instead of delivering as is')
    .option('--json', 'print JSON')
    .action(async (ids: string[], opts: NodeOptions & { rescan?: boolean; json?: boolean }) => {
      const config = nodeConfig(opts);
      let results: ReleaseResult[];
      try {
        results = (await callGateway(controlSocketPath(config.dataDir), {
          op: 'quarantine.release',
          ids,
          rescan: opts.rescan ?? false,
        })) as ReleaseResult[];
      } catch (e) {
        if (!(e instanceof GatewayNotRunning)) throw new CliError((e as Error).message);
        // Not running here: queue it in this node's spool; it goes out when the gateway starts.
        const spool = new Spool(join(config.dataDir, 'queue'), silentLogger());
        await spool.init();
        results = await withRepo(opts, (repo) =>
          releaseFromQuarantine(repo, async (env, msg) => (await spool.enqueueLocal(env, msg)).id, ids, opts),
        );
      }
      reportEach(results, 'released', opts.json, (r) => `queued as ${r.queueId ?? ''}`);
    });

  withNodeOptions(q.command('delete'))
    .description('delete quarantined messages')
    .argument('<ids...>', 'quarantine IDs')
    .option('--json', 'print JSON')
    .action(async (ids: string[], opts: NodeOptions & { json?: boolean }) => {
      const results = await withRepo(opts, (repo) => deleteFromQuarantine(repo, ids));
      reportEach(results, 'deleted', opts.json, () => '');
    });
}

function reportEach(
  results: ReleaseResult[],
  verb: string,
  json: boolean | undefined,
  detail: (r: ReleaseResult) => string,
): void {
  if (json) printJson(results);
  else {
    for (const r of results) {
      if (r.error) process.stderr.write(`${r.id}: ${r.error}\n`);
      else process.stdout.write(`${r.id}: ${verb} ${detail(r)}\n`.replace(/ \n$/, '\n'));
    }
  }
  const failed = results.filter((r) => r.error).length;
  if (failed > 0) throw new CliError(`${failed} of ${results.length} not ${verb}`, EXIT.notFound);
}
