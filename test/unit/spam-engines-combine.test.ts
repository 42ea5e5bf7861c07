// How the external engines' scores join the built-in one (combine.ts): relative to each
// engine's threshold, weighted, clamped, added.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  combineScores,
  contribution,
  engineContributions,
  engineRatio,
} from '../../src/spam-engines/combine.js';
import type { ExternalSpamResult } from '../../src/spam-engines/types.js';

const rspamd = (score: number, action = 'no action', threshold = 15): ExternalSpamResult => ({
  engine: 'rspamd',
  score,
  threshold,
  action,
  isSpam: ['reject', 'add header', 'rewrite subject'].includes(action),
  symbols: [],
  elapsedMs: 1,
});

const sa = (score: number, threshold = 5): ExternalSpamResult => ({
  engine: 'spamassassin',
  score,
  threshold,
  action: score >= threshold ? 'spam' : 'no action',
  isSpam: score >= threshold,
  symbols: [
    { name: 'GTUBE', score: 1000, description: 'x' },
    { name: 'NO_RELAYS', score: 0 },
    { name: 'BAYES_00', score: -1.9 },
  ],
  elapsedMs: 1,
});

test('an engine at its own threshold with weight 1 adds exactly the built-in threshold', () => {
  assert.equal(contribution(rspamd(15, 'reject'), { weight: 1 }, 5).score, 5);
  assert.equal(contribution(sa(5), { weight: 1 }, 4).score, 4);
  assert.equal(
    combineScores({ score: 0, threshold: 5 }, [rspamd(15, 'reject')], { rspamd: { weight: 1 } }).isSpam,
    true,
  );
});

test('weights scale the contribution; weight 0 counts nothing (watch only)', () => {
  assert.equal(contribution(rspamd(15, 'reject'), { weight: 0.5 }, 5).score, 2.5);
  assert.equal(contribution(rspamd(15, 'reject'), { weight: 0 }, 5).score, 0);
  const c = combineScores({ score: 3, threshold: 5 }, [rspamd(15, 'reject')], { rspamd: { weight: 0.5 } });
  assert.equal(c.score, 5.5);
  assert.equal(c.isSpam, true);
});

test("ham's everyday score stays small: 3 of rspamd's 15 is a fifth of the built-in threshold", () => {
  assert.equal(contribution(rspamd(3), { weight: 1 }, 5).score, 1);
  const c = combineScores({ score: 2, threshold: 5 }, [rspamd(3), sa(0.5)], {
    rspamd: { weight: 1 },
    spamassassin: { weight: 1 },
  });
  assert.equal(c.score, 3.5);
  assert.equal(c.isSpam, false);
});

test('clamped: GTUBE at 1000 in SpamAssassin adds at most twice the threshold; negatives at most one', () => {
  assert.equal(engineRatio(sa(1000)), 2);
  assert.equal(contribution(sa(1000), { weight: 1 }, 5).score, 10);
  assert.equal(engineRatio(sa(-50)), -1);
  assert.equal(contribution(sa(-50), { weight: 1 }, 5).score, -5);
  assert.equal(contribution(sa(-2.5), { weight: 1 }, 5).score, -2.5);
});

test('adding an engine never lowers the score of spam it agrees on, and can only add what it believes', () => {
  const builtinSpam = { score: 6, threshold: 5 };
  // A lukewarm engine (positive but under its bar) adds a little: the message stays spam.
  assert.equal(combineScores(builtinSpam, [rspamd(4)], { rspamd: { weight: 1 } }).isSpam, true);
  // Spam the built-in engine missed, found by both external engines.
  const missed = combineScores({ score: 1, threshold: 5 }, [rspamd(9, 'add header'), sa(4)], {
    rspamd: { weight: 1 },
    spamassassin: { weight: 1 },
  });
  assert.equal(missed.score, 8); // 1 + 9/15×5 + 4/5×5
  assert.equal(missed.isSpam, true);
});

test('a threshold override replaces the reported one (e.g. rspamd judged against its add-header score)', () => {
  assert.equal(contribution(rspamd(6, 'add header'), { weight: 1, threshold: 6 }, 5).score, 5);
  assert.equal(contribution(rspamd(6, 'add header'), { weight: 1 }, 5).score, 2);
});

test("an unusable threshold (0 or less) falls back on the engine's own verdict", () => {
  assert.equal(engineRatio(rspamd(3, 'reject', 0)), 1);
  assert.equal(engineRatio(rspamd(3, 'no action', 0)), 0);
  assert.equal(engineRatio(rspamd(3, 'reject', -5)), 1);
});

test('contributions: only engines with a weighting; the shape SpamInputs.engines takes; a readable detail', () => {
  const list = engineContributions([rspamd(15, 'reject'), sa(1000)], { spamassassin: { weight: 1 } }, 5);
  assert.deepEqual(list, [
    {
      name: 'spamassassin',
      score: 10,
      detail: 'spamassassin 1000/5 (spam), weight 1: GTUBE=1000, BAYES_00=-1.9',
    },
  ]);
  assert.deepEqual(engineContributions([], { rspamd: { weight: 1 } }, 5), []);
});

test('combined score is the built-in score plus every contribution, against the built-in threshold', () => {
  const c = combineScores({ score: 1.234, threshold: 4 }, [rspamd(7.5, 'add header'), sa(2)], {
    rspamd: { weight: 1 },
    spamassassin: { weight: 0.5 },
  });
  assert.deepEqual(
    c.contributions.map((x) => [x.name, x.score]),
    [
      ['rspamd', 2],
      ['spamassassin', 0.8],
    ],
  );
  assert.equal(c.score, 4.03);
  assert.equal(c.threshold, 4);
  assert.equal(c.isSpam, true);
});
