// The spam text model: what it reads of a message (its head as it reached the gateway), the
// features and their encoding, batch training that does not depend on the learning order, and
// its score in the built-in engine.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { messageHead, HEAD_BYTES } from '../../src/scan/parse/message-head.js';
import { parseMessage } from '../../src/scan/parse/index.js';
import { defaultScanSettings } from '../../src/scan/scan-settings.js';
import { LearnQueue, messageKey } from '../../src/spam/bayes/classifier.js';
import { emptyBatch, MemoryTokenStore } from '../../src/spam/bayes/token-store.js';
import { tokenize } from '../../src/spam/bayes/tokenizer.js';
import { BuiltinSpamEngine } from '../../src/spam/engine.js';
import { resolveSpamSettings, spamSettingsSchema } from '../../src/spam/spam-settings.js';
import {
  decodeFeatures,
  encodeFeatures,
  FEATURE_BITS,
  textFeatures,
} from '../../src/spam/text-model/features.js';
import { TextModel, trainTextModel, type TextExample } from '../../src/spam/text-model/model.js';
import { retrainTextModel } from '../../src/spam/text-model/trainer.js';

const OURS =
  'Received: from mx.partner.test (mx.partner.test [192.0.2.7])\r\n' +
  '\tby gw.example.com (Sekimori) with ESMTPS id 01ABC; Mon, 2 Jun 2025 10:00:00 +0000\r\n';

describe('message head', () => {
  test('starts below the Received line Sekimori wrote, dropping what mailbox servers added above it', () => {
    const raw = Buffer.from(
      'Delivered-To: bob@example.com\r\n' +
        'Received: from gw.example.com by imap.example.com; Mon, 2 Jun 2025 10:00:01 +0000\r\n' +
        OURS +
        'X-Sekimori-Spam: No\r\n' +
        'X-Sekimori-Spam-Score: 1.0 (threshold 5.0, level medium)\r\n' +
        'Received: from client.partner.test by mx.partner.test; Mon, 2 Jun 2025 09:59:59 +0000\r\n' +
        'From: Alice <alice@partner.test>\r\nSubject: minutes\r\n\r\nThe minutes are attached.\r\n',
    );
    const head = messageHead(raw);
    assert.ok(head.startsWith('Received: from client.partner.test by mx.partner.test'), head);
    assert.doesNotMatch(head, /Sekimori|Delivered-To|imap\.example\.com/);
    assert.match(head, /\r\n\r\nThe minutes are attached\.\r\n$/);
  });

  test('a Sekimori line forged lower down does not hide the sender’s headers', () => {
    const head = messageHead(
      Buffer.from(`${OURS}From: a@partner.test\r\n${OURS}Subject: hi\r\n\r\nbody\r\n`),
    );
    assert.ok(head.startsWith('From: a@partner.test\r\nReceived: from mx.partner.test'), head);
    assert.match(head, /Subject: hi/);
  });

  test('is the message from its first byte when no Sekimori line is there, at most HEAD_BYTES long', () => {
    const raw = Buffer.from(`Subject: long\r\nX-Folded: a\r\n b\r\n\r\n${'x'.repeat(10_000)}`);
    const head = messageHead(raw);
    assert.equal(head.length, HEAD_BYTES);
    assert.ok(head.startsWith('Subject: long\r\nX-Folded: a\r\n b\r\n\r\nxxx'));
  });

  test('the parser hands it on with the facts', async () => {
    const parsed = await parseMessage(
      Buffer.from(`${OURS}From: a@partner.test\r\nSubject: hi\r\n\r\nbody\r\n`),
      { sender: '', recipients: [], clientIp: '', helo: '', acceptedDomains: [] },
      defaultScanSettings(),
    );
    assert.equal(parsed.head, 'From: a@partner.test\r\nSubject: hi\r\n\r\nbody\r\n');
  });
});

describe('features', () => {
  test('are the distinct slots of five-character runs and word tokens', () => {
    const f = textFeatures('abcdeabcde', ['offer', 'offer', 'abcde']);
    assert.equal(new Set(f).size, f.length);
    // runs abcde, bcdea, cdeab, deabc, eabcd (abcde twice) and two distinct tokens
    assert.ok(f.length >= 6 && f.length <= 7, String(f.length));
    assert.ok(f.every((x) => x < 1 << FEATURE_BITS));
    assert.deepEqual([...textFeatures('abcdeabcde', ['offer', 'abcde'])], [...f]);
    // Each message starts from nothing; fewer than five characters make no run.
    assert.equal(textFeatures('abcde', []).length, 1);
    assert.equal(textFeatures('abcd', []).length, 0);
    assert.notDeepEqual([...textFeatures('abcde', [])], [...textFeatures('bbcde', [])]);
  });

  test('survive their compact encoding, large gaps included', () => {
    const f = Uint32Array.from([16_384, 0, 1, 127, (1 << FEATURE_BITS) - 1, 128, 16_383]);
    const enc = encodeFeatures(f);
    assert.ok(enc.length < f.length * 3);
    assert.deepEqual(
      [...decodeFeatures(enc)],
      [...f].sort((a, b) => a - b),
    );
    assert.deepEqual([...decodeFeatures(encodeFeatures(new Uint32Array(0)))], []);
  });
});

function toyExamples(): TextExample[] {
  const spamWords = ['casino', 'bonus', 'jackpot', 'pills', 'winner'];
  const hamWords = ['minutes', 'meeting', 'schedule', 'review', 'budget'];
  const out: TextExample[] = [];
  for (let i = 0; i < 20; i++) {
    const spam = i % 2 === 0;
    const words = spam ? spamWords : hamWords;
    out.push({
      key: `k${String(i).padStart(2, '0')}`,
      label: spam ? 'spam' : 'ham',
      features: encodeFeatures(
        textFeatures(`Subject: ${words[i % 5]} ${i}`, [...words.slice(0, 3 + (i % 3)), 'the', 'and']),
      ),
    });
  }
  return out;
}

describe('training', () => {
  test('separates spam from ham words', async () => {
    const model = await trainTextModel(toyExamples());
    assert.equal(model.nspam, 10);
    assert.equal(model.nham, 10);
    assert.ok(model.margin(textFeatures('', ['casino', 'jackpot', 'the'])) > 1);
    assert.ok(model.margin(textFeatures('', ['meeting', 'budget', 'the'])) < -1);
  });

  test('gives the same model whichever label was learned first', async () => {
    const examples = toyExamples();
    const spamFirst = [...examples].sort((a, b) => (a.label === b.label ? 0 : a.label === 'spam' ? -1 : 1));
    const hamFirst = [...spamFirst].reverse();
    const a = await trainTextModel(spamFirst);
    const b = await trainTextModel(hamFirst);
    assert.deepEqual(a.weights, b.weights);
  });

  test('weights survive their stored form; a stored model of the wrong size is refused', async () => {
    const model = await trainTextModel(toyExamples());
    const back = TextModel.decode(model.encodeWeights(), model.nspam, model.nham);
    assert.deepEqual(back.weights, model.weights);
    const small = new TextModel(new Float32Array(16), 1, 1);
    assert.throws(() => TextModel.decode(small.encodeWeights(), 1, 1), /not \d+/);
  });
});

describe('in the engine', () => {
  const message = (subject: string, body: string, i: number) =>
    Buffer.from(
      `From: sender${i}@sender.test\r\nTo: user@example.com\r\nSubject: ${subject}\r\n` +
        `Message-ID: <m${i}@sender.test>\r\nDate: Mon, 2 Jun 2025 10:00:00 +0900\r\n\r\n${body}\r\n`,
    );
  const parse = (raw: Buffer) =>
    parseMessage(
      raw,
      { sender: '', recipients: [], clientIp: '', helo: '', acceptedDomains: ['example.com'] },
      defaultScanSettings(),
    );

  async function trained(): Promise<MemoryTokenStore> {
    const store = new MemoryTokenStore();
    const q = new LearnQueue(store);
    for (let i = 0; i < 12; i++) {
      q.learn(
        await parse(message(`casino bonus ${i}`, 'cheap pills casino jackpot winner today', i)),
        'spam',
      );
      q.learn(
        await parse(message(`meeting ${i}`, 'the minutes of the budget review are attached', 100 + i)),
        'ham',
      );
    }
    await q.flush();
    const r = await retrainTextModel(store);
    assert.deepEqual([r.nspam, r.nham], [12, 12]);
    return store;
  }

  const engineFor = (store: MemoryTokenStore, doc: object) => {
    const settings = resolveSpamSettings(spamSettingsSchema.parse(doc));
    return new BuiltinSpamEngine({ settings: () => settings, tokens: store });
  };

  test('adds its log-odds times the TEXT_MODEL score, both ways', async () => {
    const store = await trained();
    const engine = engineFor(store, { bayes: { minSpam: 10, minHam: 10 }, ruleScores: { TEXT_MODEL: 0.5 } });
    const spam = await engine.score(
      await parse(message('casino jackpot', 'cheap pills casino winner', 500)),
      {},
    );
    const ham = await engine.score(
      await parse(message('budget meeting', 'minutes of the review attached', 501)),
      {},
    );
    const s = spam.reasons.find((r) => r.rule === 'TEXT_MODEL');
    const h = ham.reasons.find((r) => r.rule === 'TEXT_MODEL');
    assert.ok(s && s.score > 0, JSON.stringify(spam.reasons));
    assert.ok(h && h.score < 0, JSON.stringify(ham.reasons));
    const margin = Number(/log-odds (-?[0-9.]+)/.exec(s.detail)?.[1]);
    assert.ok(Math.abs(s.score - Math.min(6, 0.5 * margin)) < 0.01, `${s.score} vs ${margin}`);
    // However sure the model is, it adds at most 6 points and takes away at most 4.
    const strong = engineFor(store, { bayes: { minSpam: 10, minHam: 10 }, ruleScores: { TEXT_MODEL: 100 } });
    const capped = async (raw: Buffer) =>
      (await strong.score(await parse(raw), {})).reasons.find((r) => r.rule === 'TEXT_MODEL')?.score;
    assert.equal(await capped(message('casino jackpot', 'cheap pills casino winner', 502)), 6);
    assert.equal(await capped(message('budget meeting', 'minutes of the review attached', 503)), -4);
    assert.match(s.detail, /trained on 12 spam, 12 ham/);
  });

  test('is silent until enough is learned, when turned off, or scored 0', async () => {
    const store = await trained();
    const probe = await parse(message('casino jackpot', 'cheap pills casino winner', 600));
    for (const doc of [
      { bayes: { minSpam: 13, minHam: 10 } },
      { bayes: { minSpam: 10, minHam: 10, textModel: false } },
      { bayes: { minSpam: 10, minHam: 10 }, ruleScores: { TEXT_MODEL: 0 } },
    ]) {
      const v = await engineFor(store, doc).score(probe, {});
      assert.ok(!v.reasons.some((r) => r.rule === 'TEXT_MODEL'), JSON.stringify(doc));
    }
  });

  test('learning a message again fills in the features of one learned before the text model', async () => {
    const store = new MemoryTokenStore();
    const parsed = await parse(message('casino', 'cheap pills', 700));
    // As an older version stored it: counted and marked learned, no features.
    const old = emptyBatch();
    old.seen.set(messageKey(parsed.facts), 'spam');
    old.nspam = 1;
    await store.apply(old);
    assert.deepEqual(await store.examples(10), []);
    const q = new LearnQueue(store);
    q.learn(parsed, 'spam');
    assert.deepEqual(await q.flush(), { learned: 0, skipped: 1, relearned: 0, forgotten: 0 });
    assert.deepEqual(await store.totals(), { nspam: 1, nham: 0 });
    const [ex] = await store.examples(10);
    assert.deepEqual(
      [...decodeFeatures(ex?.features ?? new Uint8Array())],
      [...textFeatures(parsed.head ?? '', tokenize(parsed.facts))].sort((a, b) => a - b),
    );
  });
});
