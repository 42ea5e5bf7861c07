// `sekimori spam …`: train the Bayesian classifier from files, directories and mboxes, show
// what it has learned, forget; and `sekimori cnc …`: the C&C / suspicious objects list.
// Both work on the store directly (the group shares it), so the gateway need not run.
import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import {
  CliError,
  EXIT,
  nodeConfig,
  printJson,
  printTable,
  withNodeOptions,
  type NodeOptions,
} from '../cli/common.js';
import { toRuntimeSettings } from '../config/settings.js';
import { parseDuration } from '../config/units.js';
import { parseMessage } from '../scan/parse/index.js';
import { defaultScanSettings, type ScanSettings } from '../scan/scan-settings.js';
import { SettingsRepository } from '../store/settings-repo.js';
import { openStore, type Store } from '../store/store.js';
import { LearnQueue, type LearnSummary } from './bayes/classifier.js';
import { KyselyTokenStore } from './bayes/kysely-store.js';
import type { Label } from './bayes/token-store.js';
import { retrainTextModel, type TrainingResult } from './text-model/trainer.js';
import { CNC_TYPES, CncRepository, normalizeEntry, parseCncCsv, type CncType } from './cnc.js';
import { listFiles, readMessages } from './mbox.js';
import { encodeMessages, REPORT_BATCH } from './control.js';
import { callGateway, GatewayNotRunning } from '../control/client.js';
import { controlSocketPath } from '../control/protocol.js';

/** Messages written per transaction when learning. */
const BATCH = 500;

async function withStore<T>(opts: NodeOptions, fn: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore(nodeConfig(opts).databaseUrl);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

/** The parser limits of the stored settings, so messages are read as the gateway reads them. */
async function scanLimits(store: Store): Promise<ScanSettings> {
  try {
    return toRuntimeSettings((await new SettingsRepository(store).load()).document).scan;
  } catch {
    return defaultScanSettings();
  }
}

interface LearnOptions extends NodeOptions {
  spam?: boolean;
  ham?: boolean;
  json?: boolean;
  quiet?: boolean;
}

interface Totals extends LearnSummary {
  files: number;
  messages: number;
  unreadable: string[];
  /** Files that are not mail (no From, Subject, Date… header): skipped with a warning. */
  notMessages: string[];
  /** The text model trained afterwards, when anything was learned or forgotten. */
  textModel?: TrainingResult;
}

function emptyTotals(): Totals {
  return {
    learned: 0,
    skipped: 0,
    relearned: 0,
    forgotten: 0,
    files: 0,
    messages: 0,
    unreadable: [],
    notMessages: [],
  };
}

const MESSAGE_HEADERS = new Set(['from', 'to', 'subject', 'date', 'message-id', 'received', 'return-path']);

async function checkPaths(paths: string[]): Promise<void> {
  for (const p of paths) {
    try {
      await listFiles(p);
    } catch (e) {
      throw new CliError(`cannot read ${p}: ${(e as Error).message}`, EXIT.usage);
    }
  }
}

async function learnPaths(
  store: Store,
  paths: string[],
  label: Label | null,
  progress: (t: Totals, note?: string) => void,
): Promise<Totals> {
  const limits = await scanLimits(store);
  const tokens = new KyselyTokenStore(store.db);
  const queue = new LearnQueue(tokens);
  const totals = emptyTotals();
  const flush = async () => {
    const s = await queue.flush();
    totals.learned += s.learned;
    totals.skipped += s.skipped;
    totals.relearned += s.relearned;
    totals.forgotten += s.forgotten;
    progress(totals);
  };
  for (const path of paths) {
    const files = new Set<string>();
    try {
      for await (const m of readMessages(path)) {
        const parsed = await parseMessage(
          m.raw,
          { sender: '', recipients: [], clientIp: '', helo: '', acceptedDomains: [] },
          limits,
        );
        // A file without mail headers (a README, a JSON index) would teach only noise.
        if (!parsed.facts.headers.some((h) => MESSAGE_HEADERS.has(h.name))) {
          totals.notMessages.push(m.name);
          continue;
        }
        files.add(m.name.replace(/#\d+$/, ''));
        if (label === null) queue.forget(parsed.facts);
        else queue.learn(parsed, label);
        totals.messages++;
        if (queue.size >= BATCH) await flush();
      }
    } catch (e) {
      totals.unreadable.push(`${path}: ${(e as Error).message}`);
    }
    totals.files += files.size;
  }
  await flush();
  // Messages already learned (skipped) may have had their features filled in, so any message
  // read is a reason to train; training takes seconds for tens of thousands of messages.
  if (totals.messages > 0) {
    progress(totals, 'training the text model…');
    totals.textModel = await retrainTextModel(tokens);
  }
  return totals;
}

function textModelLine(r: TrainingResult | undefined): string {
  if (!r) return '';
  return `text model trained on ${r.nspam} spam and ${r.nham} ham in ${(r.ms / 1000).toFixed(1)} s\n`;
}

function stderrProgress(enabled: boolean, verb: string) {
  return (t: Totals, note?: string) => {
    if (enabled) process.stderr.write(note ? `${note}\n` : `${verb} ${t.messages} messages…\n`);
  };
}

function registerLearn(spam: Command): void {
  withNodeOptions(spam.command('learn'))
    .description('train the classifier with messages known to be spam or ham')
    .argument('<path...>', 'message files, directories of them (searched recursively) or mbox files')
    .option('--spam', 'the messages are spam')
    .option('--ham', 'the messages are legitimate (ham)')
    .option('-q, --quiet', 'no progress on stderr')
    .option('--json', 'print the summary as JSON')
    .action(async (paths: string[], opts: LearnOptions) => {
      if (opts.spam === opts.ham) throw new CliError('say --spam or --ham (one of them)', EXIT.usage);
      const label: Label = opts.spam ? 'spam' : 'ham';
      await checkPaths(paths);
      const totals = await withStore(opts, (store) =>
        learnPaths(store, paths, label, stderrProgress(!opts.quiet && !opts.json, 'read')),
      );
      if (opts.json) printJson({ label, ...totals });
      else {
        process.stdout.write(
          `learned ${totals.learned} messages as ${label} from ${totals.files} files` +
            `${totals.relearned ? `, ${totals.relearned} moved from ${label === 'spam' ? 'ham' : 'spam'}` : ''}` +
            `${totals.skipped ? `, ${totals.skipped} already learned` : ''}` +
            `${totals.unreadable.length ? `, ${totals.unreadable.length} unreadable` : ''}` +
            `${totals.notMessages.length ? `, ${totals.notMessages.length} files skipped (not mail)` : ''}\n` +
            textModelLine(totals.textModel),
        );
        for (const u of totals.unreadable.slice(0, 20)) process.stderr.write(`unreadable: ${u}\n`);
        for (const u of totals.notMessages.slice(0, 5)) process.stderr.write(`not mail, skipped: ${u}\n`);
      }
      if (totals.messages === 0) throw new CliError('no message found', EXIT.notFound);
      if (totals.unreadable.length > 0)
        throw new CliError(`${totals.unreadable.length} messages could not be read`);
    });

  withNodeOptions(spam.command('forget'))
    .description('unlearn messages learned before (as spam or ham)')
    .argument('<path...>', 'message files, directories or mbox files')
    .option('-q, --quiet', 'no progress on stderr')
    .option('--json', 'print the summary as JSON')
    .action(async (paths: string[], opts: LearnOptions) => {
      await checkPaths(paths);
      const totals = await withStore(opts, (store) =>
        learnPaths(store, paths, null, stderrProgress(!opts.quiet && !opts.json, 'read')),
      );
      if (opts.json) printJson(totals);
      else
        process.stdout.write(
          `forgot ${totals.forgotten} of ${totals.messages} messages\n${textModelLine(totals.textModel)}`,
        );
      if (totals.messages === 0) throw new CliError('no message found', EXIT.notFound);
    });
}

function registerStats(spam: Command): void {
  withNodeOptions(spam.command('stats'))
    .description('what the classifier has learned')
    .option('--json', 'print JSON')
    .action(async (opts: NodeOptions & { json?: boolean }) => {
      const { stats, settings } = await withStore(opts, async (store) => {
        const stats = await new KyselyTokenStore(store.db).stats();
        let settings;
        try {
          settings = toRuntimeSettings((await new SettingsRepository(store).load()).document).spam;
        } catch {
          settings = undefined;
        }
        return { stats, settings };
      });
      const minSpam = settings?.bayes.minSpam ?? 200;
      const minHam = settings?.bayes.minHam ?? 200;
      const ready = stats.nspam >= minSpam && stats.nham >= minHam;
      const out = {
        ...stats,
        lastLearned: stats.lastLearned ? new Date(stats.lastLearned).toISOString() : null,
        textModel: stats.textModel
          ? { ...stats.textModel, trainedAt: new Date(stats.textModel.trainedAt).toISOString() }
          : null,
        minSpam,
        minHam,
        ready,
        level: settings?.level ?? 'medium',
        threshold: settings?.threshold ?? 5,
      };
      if (opts.json) return printJson(out);
      process.stdout.write(
        [
          `spam learned:  ${stats.nspam}`,
          `ham learned:   ${stats.nham}`,
          `tokens:        ${stats.tokens}`,
          `last learned:  ${out.lastLearned ?? 'never'}`,
          `classifier:    ${ready ? 'in use' : `not in use until ${minSpam} spam and ${minHam} ham are learned`}`,
          `text model:    ${
            stats.textModel
              ? `trained on ${stats.textModel.nspam} spam and ${stats.textModel.nham} ham at ${new Date(stats.textModel.trainedAt).toISOString()}`
              : 'not trained'
          }`,
          `detection:     level ${out.level}, threshold ${out.threshold}`,
        ].join('\n') + '\n',
      );
    });

  withNodeOptions(spam.command('expire'))
    .description('drop tokens seen only once and not used for a while')
    .option('--older-than <duration>', 'e.g. 180d', '180d')
    .action(async (opts: NodeOptions & { olderThan: string }) => {
      const ms = parseDuration(opts.olderThan);
      if (ms === undefined)
        throw new CliError(`--older-than: "${opts.olderThan}" is not a duration`, EXIT.usage);
      const n = await withStore(opts, (store) => new KyselyTokenStore(store.db).expire(Date.now() - ms));
      process.stdout.write(`dropped ${n} tokens\n`);
    });

  withNodeOptions(spam.command('retrain'))
    .description('train the text model again from the learned messages (learn and forget do it too)')
    .option('--json', 'print JSON')
    .action(async (opts: NodeOptions & { json?: boolean }) => {
      const r = await withStore(opts, (store) => retrainTextModel(new KyselyTokenStore(store.db)));
      if (opts.json) printJson(r);
      else process.stdout.write(textModelLine(r));
      if (r.nspam + r.nham === 0)
        throw new CliError('nothing learned yet: use sekimori spam learn', EXIT.notFound);
    });

  withNodeOptions(spam.command('clear'))
    .description('forget everything the classifier has learned')
    .option('--yes', 'really')
    .action(async (opts: NodeOptions & { yes?: boolean }) => {
      if (!opts.yes) throw new CliError('this forgets all learning; add --yes', EXIT.usage);
      await withStore(opts, (store) => new KyselyTokenStore(store.db).clear());
      process.stdout.write('the classifier has forgotten everything\n');
    });
}

/** A header block naming one of MESSAGE_HEADERS: a cheap "is this mail" before sending it on. */
function looksLikeMail(raw: Buffer): boolean {
  const head = raw.toString('latin1', 0, Math.min(raw.length, 64 * 1024));
  const end = head.search(/\r?\n\r?\n/);
  const block = end === -1 ? head : head.slice(0, end);
  return block
    .split(/\r?\n/)
    .some((l) => MESSAGE_HEADERS.has(l.slice(0, l.indexOf(':')).trim().toLowerCase()));
}

/**
 * Reports through the running gateway of this data directory, so its classifier (and token
 * cache) has the reports at once; undefined when no gateway runs (the caller learns in the store).
 */
async function reportThroughGateway(socket: string, paths: string[]): Promise<Totals | undefined> {
  const totals = emptyTotals();
  let batch: Buffer[] = [];
  const send = async () => {
    if (batch.length === 0) return;
    const s = (await callGateway(socket, {
      op: 'spam.report',
      messages: encodeMessages(batch),
    })) as LearnSummary;
    totals.learned += s.learned;
    totals.skipped += s.skipped;
    totals.relearned += s.relearned;
    totals.messages += batch.length;
    batch = [];
  };
  try {
    // Asks first, so that a stopped gateway costs no reading.
    await callGateway(socket, { op: 'status' }, 5_000);
  } catch (e) {
    if (e instanceof GatewayNotRunning) return undefined;
    throw e;
  }
  for (const path of paths) {
    const files = new Set<string>();
    try {
      for await (const m of readMessages(path)) {
        if (!looksLikeMail(m.raw)) {
          totals.notMessages.push(m.name);
          continue;
        }
        files.add(m.name.replace(/#\d+$/, ''));
        batch.push(m.raw);
        if (batch.length >= REPORT_BATCH) await send();
      }
    } catch (e) {
      if (e instanceof GatewayNotRunning) throw new CliError('the gateway stopped during the report');
      totals.unreadable.push(`${path}: ${(e as Error).message}`);
    }
    totals.files += files.size;
  }
  await send();
  return totals;
}

function registerReport(spam: Command): void {
  withNodeOptions(spam.command('report'))
    .description(
      'report messages as spam: the classifier learns them (through the running gateway, else in the store)',
    )
    .argument('<path...>', 'message files, directories of them (searched recursively) or mbox files')
    .option('--json', 'print the summary as JSON')
    .action(async (paths: string[], opts: NodeOptions & { json?: boolean }) => {
      await checkPaths(paths);
      const viaGateway = await reportThroughGateway(controlSocketPath(nodeConfig(opts).dataDir), paths);
      const totals =
        viaGateway ?? (await withStore(opts, (store) => learnPaths(store, paths, 'spam', () => undefined)));
      const through = viaGateway ? 'gateway' : 'store';
      if (opts.json) printJson({ label: 'spam', through, ...totals });
      else
        process.stdout.write(
          `reported ${totals.messages} messages as spam (through the ${through === 'gateway' ? 'running gateway' : 'store; no gateway runs'}): ` +
            `${totals.learned} learned, ${totals.relearned} moved from ham, ${totals.skipped} already learned\n`,
        );
      for (const u of totals.unreadable.slice(0, 20)) process.stderr.write(`unreadable: ${u}\n`);
      if (totals.messages === 0) throw new CliError('no message found', EXIT.notFound);
      if (totals.unreadable.length > 0)
        throw new CliError(`${totals.unreadable.length} messages could not be read`);
    });
}

export function registerSpam(program: Command): void {
  const spam = program
    .command('spam')
    .description('the Bayesian spam classifier: learn, report, forget, statistics');
  registerLearn(spam);
  registerReport(spam);
  registerStats(spam);
}

function cncType(text: string): CncType {
  if (!(CNC_TYPES as readonly string[]).includes(text))
    throw new CliError(`"${text}" is not a type (${CNC_TYPES.join(', ')})`, EXIT.usage);
  return text as CncType;
}

export function registerCnc(program: Command): void {
  const cnc = program.command('cnc').description('the C&C / suspicious objects list');

  withNodeOptions(cnc.command('import'))
    .description('import "type,value,description" lines (types: address, domain, url, ip, sha256)')
    .argument('<file>', 'CSV file')
    .option('--replace', 'the list becomes exactly this file (default: add to it)')
    .option('--json', 'print the summary as JSON')
    .action(async (file: string, opts: NodeOptions & { replace?: boolean; json?: boolean }) => {
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (e) {
        throw new CliError(`cannot read ${file}: ${(e as Error).message}`, EXIT.usage);
      }
      const { entries, errors } = parseCncCsv(text);
      if (errors.length > 0) {
        if (opts.json) printJson({ imported: 0, errors });
        else for (const e of errors.slice(0, 50)) process.stderr.write(`${file}:${e.line}: ${e.message}\n`);
        throw new CliError(`${errors.length} bad lines; nothing imported`, EXIT.usage);
      }
      const n = await withStore(opts, (store) =>
        new CncRepository(store.db).import(entries, { source: file, replace: opts.replace === true }),
      );
      if (opts.json) printJson({ imported: n, errors: [] });
      else process.stdout.write(`imported ${n} entries${opts.replace ? ' (list replaced)' : ''}\n`);
    });

  withNodeOptions(cnc.command('list'))
    .description('show the list')
    .option('--type <type>', 'only this type')
    .option('--json', 'print JSON')
    .action(async (opts: NodeOptions & { type?: string; json?: boolean }) => {
      const type = opts.type === undefined ? undefined : cncType(opts.type);
      const rows = await withStore(opts, (store) => new CncRepository(store.db).list(type ? { type } : {}));
      if (opts.json)
        return printJson(rows.map((r) => ({ ...r, addedAt: new Date(r.addedAt).toISOString() })));
      printTable(
        ['TYPE', 'VALUE', 'SOURCE', 'DESCRIPTION'],
        rows.map((r) => [r.type, r.value, r.source, r.description]),
      );
    });

  withNodeOptions(cnc.command('remove'))
    .description('remove one entry')
    .argument('<type>', CNC_TYPES.join(' | '))
    .argument('<value>')
    .action(async (typeText: string, value: string, opts: NodeOptions) => {
      const type = cncType(typeText);
      const norm = normalizeEntry(type, value);
      if ('error' in norm) throw new CliError(norm.error, EXIT.usage);
      const removed = await withStore(opts, (store) => new CncRepository(store.db).remove(type, norm.value));
      if (!removed) throw new CliError(`${type} ${norm.value} is not on the list`, EXIT.notFound);
      process.stdout.write(`removed ${type} ${norm.value}\n`);
    });

  withNodeOptions(cnc.command('clear'))
    .description('empty the list')
    .option('--yes', 'really')
    .action(async (opts: NodeOptions & { yes?: boolean }) => {
      if (!opts.yes) throw new CliError('this empties the C&C list; add --yes', EXIT.usage);
      const n = await withStore(opts, (store) => new CncRepository(store.db).clear());
      process.stdout.write(`removed ${n} entries\n`);
    });
}
