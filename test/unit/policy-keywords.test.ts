// Keyword lists: the four modes, regular expressions, case, and where each entry was found.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileKeywordList, keywordCondition } from '../../src/policy/conditions/keywords.js';
import type { KeywordEntry, KeywordMode, TextArea } from '../../src/policy/types.js';
import type { ExtractedFile, Facts } from '../../src/scan/facts.js';
import { attachment, context, file } from '../helpers/policy-fixtures.js';

function entry(pattern: string, over: Partial<KeywordEntry> = {}): KeywordEntry {
  return { pattern, regex: false, caseSensitive: false, description: pattern, score: 1, ...over };
}

function run(
  mode: KeywordMode,
  entries: KeywordEntry[],
  over: Partial<Facts>,
  o: { areas?: TextArea[]; threshold?: number; files?: ExtractedFile[] } = {},
) {
  const list = compileKeywordList({ name: 'secrets', mode, threshold: o.threshold ?? 1, entries });
  return keywordCondition(list, o.areas ?? ['subject', 'body', 'attachmentText']).evaluate(
    context(over, o.files),
  );
}

const mail: Partial<Facts> = {
  subject: 'Q3 numbers (CONFIDENTIAL)',
  textBody: 'Please do not forward. The merger code name is Bluebird.',
  htmlText: '',
};

test('any: one entry is enough; each entry found is reported with where', () => {
  const ev = run('any', [entry('confidential'), entry('bluebird'), entry('unicorn')], mail);
  assert.deepEqual(ev, [
    {
      condition: 'keywords',
      detail: 'keyword "confidential" of list secrets in subject',
      where: 'subject',
      value: 'CONFIDENTIAL',
    },
    {
      condition: 'keywords',
      detail: 'keyword "bluebird" of list secrets in body',
      where: 'body',
      value: 'Bluebird',
    },
  ]);
  assert.deepEqual(run('any', [entry('unicorn')], mail), []);
});

test('all: every entry must be found, anywhere among the areas', () => {
  assert.equal(run('all', [entry('confidential'), entry('merger')], mail).length, 2);
  assert.deepEqual(run('all', [entry('confidential'), entry('unicorn')], mail), []);
});

test('none: matches when no entry is found', () => {
  const ev = run('none', [entry('unsubscribe'), entry('newsletter')], mail);
  assert.deepEqual(ev, [
    {
      condition: 'keywords',
      detail: 'none of the 2 entries of list secrets found in subject, body, attachmentText',
    },
  ]);
  assert.deepEqual(run('none', [entry('unsubscribe'), entry('merger')], mail), []);
});

test('score: found entries add up (once each) against the threshold; negative scores count', () => {
  const entries = [
    entry('confidential', { score: 5 }),
    entry('merger', { score: 4 }),
    entry('forward', { score: 2 }),
    entry('unicorn', { score: 50 }),
  ];
  const ev = run('score', entries, mail, { threshold: 10 });
  assert.equal(ev[0]?.detail, 'list secrets scored 11 (threshold 10)');
  assert.deepEqual(
    ev.slice(1).map((e) => e.detail),
    [
      'keyword "confidential" (score 5) of list secrets in subject',
      'keyword "merger" (score 4) of list secrets in body',
      'keyword "forward" (score 2) of list secrets in body',
    ],
  );
  assert.deepEqual(run('score', entries, mail, { threshold: 12 }), []);
  const withNegative = [...entries, entry('please', { score: -3 })];
  assert.deepEqual(run('score', withNegative, mail, { threshold: 10 }), [], '11 - 3 = 8');
});

test('regular expressions: \\b whole words, case, (?i), Unicode', () => {
  const word = entry('\\bcode\\b', { regex: true, description: 'the word code' });
  assert.equal(run('any', [word], mail)[0]?.value, 'code');
  assert.deepEqual(run('any', [word], { textBody: 'decoder barcodes' }), [], '\\b keeps it to whole words');
  const cs = entry('Confidential', { caseSensitive: true });
  assert.deepEqual(run('any', [cs], mail), [], 'case-sensitive entries respect case');
  const inline = entry('(?i)confidential', { regex: true, caseSensitive: true });
  assert.equal(run('any', [inline], mail).length, 1, 'a leading (?i) turns case off');
  const jp = entry('社外秘|極秘', { regex: true, description: 'Japanese markings' });
  const ev = run('any', [jp], { subject: '【極秘】 来期計画' });
  assert.equal(ev[0]?.value, '極秘');
  assert.equal(ev[0]?.detail, 'keyword "Japanese markings" of list secrets in subject');
  const card = entry('\\d{4}-\\d{4}', { regex: true, description: 'a PIN-like pair' });
  assert.equal(run('any', [card], { textBody: 'ref 1234-5678' })[0]?.value, '1234-5678');
});

test('literal entries are not expressions', () => {
  assert.deepEqual(run('any', [entry('a.b')], { textBody: 'axb' }), []);
  assert.equal(run('any', [entry('(c) 2024 [draft]')], { textBody: 'Copyright (C) 2024 [Draft]' }).length, 1);
});

test('areas: headers, attachment names and attachment text, with the attachment id', () => {
  const over: Partial<Facts> = {
    subject: 'hi',
    headers: [{ name: 'x-classification', value: 'Secret' }],
    attachments: [attachment('2', { name: 'secret-plan.docx' }), attachment('3', { name: 'notes.txt' })],
  };
  const files = [file('3', 'The secret ingredient is love.')];
  const secret = [entry('secret')];
  assert.deepEqual(run('any', secret, over, { areas: ['subject', 'body'], files }), []);
  assert.deepEqual(run('any', secret, over, { areas: ['headers'], files })[0], {
    condition: 'keywords',
    detail: 'keyword "secret" of list secrets in header x-classification',
    where: 'header:x-classification',
    value: 'Secret',
  });
  assert.deepEqual(run('any', secret, over, { areas: ['attachmentNames'], files })[0], {
    condition: 'keywords',
    detail: 'keyword "secret" of list secrets in the name of attachment 2',
    where: 'attachment:2',
    value: 'secret',
    attachment: '2',
  });
  assert.deepEqual(run('any', secret, over, { areas: ['attachmentText'], files })[0], {
    condition: 'keywords',
    detail: 'keyword "secret" of list secrets in attachment 3',
    where: 'attachment:3',
    value: 'secret',
    attachment: '3',
  });
});

test('the HTML rendering of the body is searched too', () => {
  assert.equal(
    run('any', [entry('wire transfer')], { textBody: '', htmlText: 'Urgent WIRE TRANSFER today' }).length,
    1,
  );
});

test('Unicode-only syntax works case-insensitively too (\\p{..}, astral characters)', () => {
  const han = entry('\\p{Script=Han}{3}', { regex: true, description: 'three kanji' });
  assert.equal(run('any', [han], { textBody: 'abc 機密情報 def' })[0]?.value, '機密情');
  const emoji = entry('🔒.', { regex: true });
  assert.equal(run('any', [emoji], { textBody: 'x 🔒🔑 y' })[0]?.value, '🔒🔑', '"." is a whole character');
});

test('a 200-entry list of \\b expressions over a megabyte stays fast', () => {
  const entries = Array.from({ length: 200 }, (_, i) => entry(`\\bword${i}\\b`, { regex: true }));
  const textBody = 'lorem ipsum dolor sit amet '.repeat(40_000) + 'word199';
  const started = Date.now();
  const ev = run('any', entries, { textBody });
  assert.equal(ev[0]?.value, 'word199');
  // about 50 ms on a laptop; V8 runs \\b under the "iu" flags a hundred times slower
  assert.ok(Date.now() - started < 3000, `took ${Date.now() - started} ms`);
});
