// Speed of the spam stage's built-in engine: messages scored per second on the SpamAssassin
// corpus, with the classifier's counts in the store as the gateway keeps them (SQLite in a
// temporary file, or PostgreSQL with --database). 70 % of the corpus is learned, the other 30 %
// is scored three ways:
//   - "no cache": the token cache is dropped before every message, so each message reads all
//     its tokens from the database (in batched IN queries) - a gateway without the cache;
//   - "cold cache": one pass starting from an empty cache, as a node after a start or after
//     another node learned;
//   - "warm cache": the same messages again, every token count already in memory.
// Tokenizing alone and the in-memory store give the ceiling; the text model's training from
// the learned messages is timed too.
//
//   node dist/bench/spam-speed.js [--database URL] [--rounds N] [--json]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { LearnQueue } from '../src/spam/bayes/classifier.js';
import { KyselyTokenStore } from '../src/spam/bayes/kysely-store.js';
import { MemoryTokenStore, type TokenStore } from '../src/spam/bayes/token-store.js';
import { tokenize } from '../src/spam/bayes/tokenizer.js';
import { BuiltinSpamEngine } from '../src/spam/engine.js';
import { defaultSpamSettings } from '../src/spam/spam-settings.js';
import { retrainTextModel } from '../src/spam/text-model/trainer.js';
import { openStore } from '../src/store/store.js';
import { loadCorpus, type CorpusItem } from './lib/spam-corpus.js';

interface Measure {
  case: string;
  messages: number;
  seconds: number;
  perSecond: number;
  /** Per CPU second of this process (user + system): steadier than wall time on a busy machine. */
  perCpuSecond: number;
}

/** Runs `fn` for every message. */
function timed(name: string, items: CorpusItem[], fn: (i: CorpusItem) => Promise<unknown>): Promise<Measure> {
  return measured(name, items.length, async () => {
    for (const i of items) await fn(i);
  });
}

/** Wall and CPU time of one piece of work over `messages` messages. */
async function measured(name: string, messages: number, work: () => Promise<unknown>): Promise<Measure> {
  const start = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  await work();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const used = process.cpuUsage(cpu);
  return {
    case: name,
    messages,
    seconds: Math.round(seconds * 1000) / 1000,
    perSecond: Math.round(messages / seconds),
    perCpuSecond: Math.round(messages / ((used.user + used.system) / 1e6)),
  };
}

/** Learns the messages and trains the text model from them; returns how long training took. */
async function learn(store: TokenStore, items: CorpusItem[]): Promise<Measure> {
  const q = new LearnQueue(store);
  for (const i of items) q.learn(i, i.spam ? 'spam' : 'ham');
  await q.flush();
  return measured('text model training', items.length, () => retrainTextModel(store));
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      database: { type: 'string' },
      rounds: { type: 'string', default: '1' },
      json: { type: 'boolean', default: false },
    },
  });
  const rounds = Math.max(1, Number(values.rounds) || 1);
  const items = await loadCorpus();
  const train = items.filter((i) => i.slot < 70);
  const test = items.filter((i) => i.slot >= 70);
  const settings = defaultSpamSettings();
  const engineOn = (tokens: TokenStore) => new BuiltinSpamEngine({ settings: () => settings, tokens });
  const score = (engine: BuiltinSpamEngine) => (i: CorpusItem) =>
    engine.score({ facts: i.facts, files: [], head: i.head }, {});
  const results: Measure[] = [];
  for (let r = 0; r < rounds; r++)
    results.push(await timed('tokenize only', test, async (i) => tokenize(i.facts)));

  const memory = new MemoryTokenStore();
  await learn(memory, train);
  for (let r = 0; r < rounds; r++)
    results.push(await timed('in-memory store', test, score(engineOn(memory))));

  const dir = mkdtempSync(join(tmpdir(), 'sekimori-spam-speed-'));
  const url = values.database ?? `sqlite:${join(dir, 'store.db')}`;
  const store = await openStore(url);
  try {
    const tokens = new KyselyTokenStore(store.db);
    await tokens.clear();
    results.push(await learn(tokens, train));
    const engine = engineOn(tokens);
    for (let r = 0; r < rounds; r++) {
      results.push(
        await timed('store, no cache', test, async (i) => {
          tokens.invalidate();
          await score(engine)(i);
        }),
      );
      tokens.invalidate();
      results.push(await timed('store, cold cache', test, score(engine)));
      results.push(await timed('store, warm cache', test, score(engine)));
    }
    if (values.database) await tokens.clear();
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const kind = url.startsWith('postgres') ? 'PostgreSQL' : 'SQLite';
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ store: kind, trained: train.length, results }, null, 2)}\n`);
    return;
  }
  const lines = [
    `spam stage (built-in engine), ${kind} store, ${train.length} messages learned, ${test.length} scored`,
    '',
    'case                 messages   seconds     msg/s   msg/CPU-s',
    ...results.map(
      (m) =>
        `${m.case.padEnd(20)} ${String(m.messages).padStart(8)} ${m.seconds.toFixed(3).padStart(9)} ${String(m.perSecond).padStart(9)} ${String(m.perCpuSecond).padStart(11)}`,
    ),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

await main();
