// The Bayesian classifier: tokenizer (Japanese, HTML, URLs, headers), chi-square combining,
// learning that changes later verdicts, Japanese spam in UTF-8 and ISO-2022-JP.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseMessage } from '../../src/scan/parse/index.js';
import { defaultScanSettings } from '../../src/scan/scan-settings.js';
import { Bayes, chi2Q, combine } from '../../src/spam/bayes/classifier.js';
import { cjkTokens } from '../../src/spam/bayes/japanese.js';
import { MemoryTokenStore } from '../../src/spam/bayes/token-store.js';
import { tokenize } from '../../src/spam/bayes/tokenizer.js';
import { BuiltinSpamEngine } from '../../src/spam/engine.js';
import { resolveSpamSettings, spamSettingsSchema } from '../../src/spam/spam-settings.js';

async function parse(raw: string | Buffer) {
  return parseMessage(
    Buffer.isBuffer(raw) ? raw : Buffer.from(raw),
    {
      sender: 'x@sender.test',
      recipients: ['user@example.com'],
      clientIp: '192.0.2.1',
      helo: 'h',
      acceptedDomains: ['example.com'],
    },
    defaultScanSettings(),
  );
}

let n = 0;
function message(
  subject: string,
  body: string,
  opts: { from?: string; html?: boolean; charset?: string } = {},
) {
  n++;
  return [
    `From: ${opts.from ?? 'Sender <sender@sender.test>'}`,
    'To: user@example.com',
    `Subject: ${subject}`,
    `Date: Mon, 2 Jun 2025 10:00:0${n % 10} +0900`,
    `Message-ID: <m${n}@sender.test>`,
    'MIME-Version: 1.0',
    `Content-Type: ${opts.html ? 'text/html' : 'text/plain'}; charset=${opts.charset ?? 'utf-8'}`,
    'Content-Transfer-Encoding: 8bit',
    '',
    body,
    '',
  ].join('\r\n');
}

const JA_SPAM = [
  [
    '【完全無料】今すぐ登録',
    '今すぐ登録で高収入！在宅ワークで月収100万円を稼げる副業をご紹介します。登録はこちら http://fukugyou.example.net/reg',
  ],
  [
    '出会いが見つかる',
    '人妻との出会いが今すぐ見つかる！完全無料の出会い系サイトに登録するだけ。http://deai.example.net/',
  ],
  [
    '日給3万円の副業',
    '副業で日給3万円！誰でも簡単に稼げる在宅ワーク。今すぐクリックして無料登録してください。',
  ],
  [
    '当選のお知らせ',
    '当選おめでとうございます！賞金100万円を受け取るには今すぐ登録してください。手数料は完全無料です。',
  ],
  [
    '限定公開の裏情報',
    '未公開株の裏情報を限定公開！確実に儲かる投資情報を完全無料でお届けします。今すぐ登録。',
  ],
  ['在宅ワーク募集', '高額報酬の在宅ワーク募集中。スマホだけで月収50万円を稼げる副業です。今すぐ登録！'],
];
const JA_HAM = [
  [
    '定例会議の議事録',
    'お疲れ様です。来週の定例会議の議事録を添付いたしますので、ご確認をお願いいたします。',
  ],
  [
    '見積書の送付',
    '山田様 いつもお世話になっております。先日ご依頼いただいた見積書を送付いたします。ご検討のほどよろしくお願いいたします。',
  ],
  [
    '進捗の共有',
    'プロジェクトの進捗について共有します。設計レビューは金曜日に実施予定です。資料の準備をお願いします。',
  ],
  [
    '打ち合わせのお礼',
    '本日の打ち合わせありがとうございました。次回の日程について候補日をお送りします。ご確認をお願いいたします。',
  ],
  [
    'メンテナンスのお知らせ',
    'システムメンテナンスのお知らせです。今週土曜日の深夜にサーバーの再起動を行います。ご協力をお願いいたします。',
  ],
  [
    '売上報告書',
    '先月の売上報告書を作成しましたので、共有フォルダに保存しました。ご確認をお願いいたします。',
  ],
];

// Written with Python's iso2022_jp codec: the same texts a Japanese mail client sends.
const ISO_SPAM_BODY =
  'GyRCOiMkOSQwTDVOQUVQTz8kR0l7NkgkTjliPH1GfiRyISo6X0JwJW8hPCUvJEc3bjx9JHIyVCQyJGtKfUshJHI0MEE0TDVOQSRHJDQwRkZiISMbKEINChskQkVQTz8kTyQzJEEkaRsoQiBodHRwOi8vZnVrdWd5b3UuZXhhbXBsZS5uZXQvam9pbg0K';
const ISO_SPAM_SUBJECT = '=?iso-2022-jp?b?GyRCIVo0MEE0TDVOQSFbSXs2SCRHOWI8fUZ+GyhC?=';
const ISO_HAM_BODY =
  'GyRCJCpAJE9DJEskSiRDJEYkKiRqJF4kOSEjMnE1RCRONUQ7dk8/JEg4K0BRPXEkckF3SVUkJCQ/JDckXiQ5JE4kRyEiJDQzTkcnJHIkKjRqJCQkJCQ/JDckXiQ5ISMbKEINCg==';
const ISO_HAM_SUBJECT = '=?iso-2022-jp?b?GyRCNUQ7dk8/JE5Bd0lVGyhC?=';

function isoMessage(subject: string, bodyBase64: string): Buffer {
  const head = [
    'From: sender@sender.test',
    'To: user@example.com',
    `Subject: ${subject}`,
    'Date: Tue, 3 Jun 2025 09:00:00 +0900',
    `Message-ID: <iso${++n}@sender.test>`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=ISO-2022-JP',
    'Content-Transfer-Encoding: 7bit',
    '',
    '',
  ].join('\r\n');
  return Buffer.concat([Buffer.from(head), Buffer.from(bodyBase64, 'base64')]);
}

describe('spam tokenizer', () => {
  test('Japanese runs give character bigrams and script words', () => {
    const out = new Set<string>();
    cjkTokens('副業で高収入', '', out);
    for (const t of ['副業', '業で', 'で高', '高収', '収入', 'w:副業', 'w:高収入']) assert.ok(out.has(t), t);
    assert.ok(!out.has('w:で'), 'hiragana particles are not words');
  });

  test('text, headers, URLs and HTML cues become prefixed tokens', async () => {
    const raw = message(
      'ＦＲＥＥ Money!!! 今すぐ',
      '<p>Click <a href="http://192.0.2.9/x">here</a> <span style="display:none">hidden</span> 完全無料</p>',
      { html: true, from: '"Big Bank" <promo@deals.example.net>' },
    );
    const tokens = tokenize((await parse(raw)).facts);
    for (const t of [
      'subject:free', // NFKC folds the full-width letters, then lower case
      'subject:money!!!',
      'subject:今す',
      'subject:punct:!!!',
      'subject:caps:FREE', // words in capitals keep their case too
      'bi:click here', // neighbouring body words
      'from:addr:promo',
      'from:addr:deals.example.net',
      'from:name:big',
      'url:ip',
      'html:hidden',
      'click',
      '完全',
      'body:html-only',
      'content-type:text/html',
      'charset:utf-8',
    ]) {
      assert.ok(tokens.has(t), `missing ${t}: ${[...tokens].join(' ')}`);
    }
  });

  test('relay IPs, Date layout, Message-ID and MIME boundary shapes become tokens', async () => {
    const raw = [
      'Received: from mx.example.com (mx.example.com [10.0.0.5]) by inbound.example.com; Tue, 3 Jun 2025 09:00:05 +0900',
      'Received: from relay (dsl.example.net [198.51.100.7]) by mx.example.com; Tue, 3 Jun 2025 09:00:01 +0900',
      'From: promo@deals.example.net',
      'To: user@example.com',
      'Subject: Offer',
      'Date: Tue, 3 Jun 2025 09:00:00 +0900',
      'Message-ID: <200206030900.VAA15757@deals.example.net>',
      'MIME-Version: 1.0',
      'Content-Type: multipart/alternative; boundary="----=_NextPart_000_0012_01C2"',
      '',
      '------=_NextPart_000_0012_01C2',
      'Content-Type: text/plain',
      '',
      'Buy now.',
      '------=_NextPart_000_0012_01C2--',
      '',
    ].join('\r\n');
    const tokens = tokenize((await parse(raw)).facts);
    for (const t of [
      'received:ip:198',
      'received:ip:198.51',
      'received:ip:198.51.100',
      'date:shape:W, 9 M 9999 99:99:99 +9999',
      'date:tz:+0900',
      'message-id:shape:9.A9',
      'content-type:boundary:----=_AaAa_9_9_9A9',
      'content-transfer-encoding:none',
    ]) {
      assert.ok(tokens.has(t), `missing ${t}: ${[...tokens].join(' ')}`);
    }
    assert.ok(!tokens.has('received:ip:10'), 'private relays are left out');
  });
});

describe('chi-square combining', () => {
  test('chi2Q is the upper tail: 1 at 0, small far out', () => {
    assert.equal(chi2Q(0, 4), 1);
    assert.ok(chi2Q(40, 4) < 1e-6);
  });

  test('spammy clues give a high probability, hammy clues a low one, none 0.5', () => {
    assert.ok(combine([0.99, 0.98, 0.95, 0.9]) > 0.95);
    assert.ok(combine([0.01, 0.02, 0.05, 0.1]) < 0.05);
    assert.equal(combine([]), 0.5);
    const mixed = combine([0.99, 0.01]);
    assert.ok(mixed > 0.3 && mixed < 0.7, `${mixed}`);
  });
});

describe('learning', () => {
  const settings = resolveSpamSettings(spamSettingsSchema.parse({ bayes: { minSpam: 3, minHam: 3 } }));

  test('learning changes later verdicts, and moving a message between labels undoes it', async () => {
    const store = new MemoryTokenStore();
    const bayes = new Bayes(store, { minSpam: 3, minHam: 3 });
    const engine = new BuiltinSpamEngine({ settings: () => settings, tokens: store });
    const probe = await parse(
      message(
        'Cheap replica watches',
        'Buy cheap replica watches and luxury handbags today, huge discount on rolex replica',
      ),
    );
    const before = await engine.score(probe, {});
    assert.equal(before.bayes?.ready, false, 'nothing learned yet');
    assert.equal(before.isSpam, false);

    const spam = [
      ['Replica watches sale', 'Cheap replica watches, rolex replica and luxury handbags at a huge discount'],
      ['Luxury replica', 'Luxury replica handbags and watches, discount prices, buy today'],
      ['Discount rolex', 'Rolex replica watches with huge discount, cheap luxury for everyone'],
    ];
    const ham = [
      [
        'Meeting notes',
        'Attached are the notes from the architecture meeting; please review the action items',
      ],
      ['Build failure', 'The nightly build failed in the parser tests, I am looking at the stack trace now'],
      ['Lunch on Friday', 'Shall we move the team lunch on Friday to the new place near the station?'],
    ];
    const q = bayes.queue();
    for (const [s, b] of spam) q.learn(await parse(message(s as string, b as string)), 'spam');
    for (const [s, b] of ham) q.learn(await parse(message(s as string, b as string)), 'ham');
    assert.deepEqual(await q.flush(), { learned: 6, skipped: 0, relearned: 0, forgotten: 0 });

    const after = await engine.score(probe, {});
    assert.ok(after.bayes && after.bayes.ready && after.bayes.probability > 0.9, JSON.stringify(after.bayes));
    const bayesReason = after.reasons.find((r) => r.rule.startsWith('BAYES_'));
    assert.ok(bayesReason && bayesReason.score >= 3.5, JSON.stringify(after.reasons));

    const hamProbe = await parse(
      message(
        'Parser tests',
        'The parser tests in the nightly build pass again, notes from the meeting attached',
      ),
    );
    const hamVerdict = await engine.score(hamProbe, {});
    assert.ok((hamVerdict.bayes?.probability ?? 1) < 0.1, JSON.stringify(hamVerdict.bayes));

    // The same message again is not counted twice; learned the other way, it moves.
    const first = (await parse(message(spam[0]![0]!, spam[0]![1]!))).facts;
    first.messageId = undefined;
    assert.equal((await bayes.learn({ facts: first }, 'spam')).learned, 1);
    assert.equal((await bayes.learn({ facts: first }, 'spam')).skipped, 1);
    assert.equal((await bayes.learn({ facts: first }, 'ham')).relearned, 1);
    assert.deepEqual(await store.totals(), { nspam: 3, nham: 4 });
    assert.equal((await bayes.forget(first)).forgotten, 1);
    assert.deepEqual(await store.totals(), { nspam: 3, nham: 3 });
  });

  test('Japanese spam is learned and recognised, in UTF-8 and in ISO-2022-JP', async () => {
    const store = new MemoryTokenStore();
    const bayes = new Bayes(store, { minSpam: 3, minHam: 3 });
    const q = bayes.queue();
    for (const [s, b] of JA_SPAM) q.learn(await parse(message(s as string, b as string)), 'spam');
    for (const [s, b] of JA_HAM) q.learn(await parse(message(s as string, b as string)), 'ham');
    await q.flush();

    const isoSpam = await parse(isoMessage(ISO_SPAM_SUBJECT, ISO_SPAM_BODY));
    assert.match(isoSpam.facts.subject, /副業で高収入/, 'the parser decoded ISO-2022-JP');
    assert.match(isoSpam.facts.textBody, /在宅ワーク/);
    const spamResult = await bayes.classify(isoSpam.facts);
    assert.ok(spamResult.probability > 0.9, `spam ${spamResult.probability}`);

    const isoHam = await parse(isoMessage(ISO_HAM_SUBJECT, ISO_HAM_BODY));
    const hamResult = await bayes.classify(isoHam.facts);
    assert.ok(hamResult.probability < 0.1, `ham ${hamResult.probability}`);

    const utf8Spam = await parse(
      message('今すぐ無料登録', '完全無料の副業で高収入！今すぐ登録して在宅ワークで稼げる。'),
    );
    assert.ok((await bayes.classify(utf8Spam.facts)).probability > 0.9);

    // With the engine: the learned probability plus the Japanese cues make it spam.
    const settings = resolveSpamSettings(spamSettingsSchema.parse({ bayes: { minSpam: 3, minHam: 3 } }));
    const verdict = await new BuiltinSpamEngine({ settings: () => settings, tokens: store }).score(
      isoSpam,
      {},
    );
    assert.equal(verdict.isSpam, true, JSON.stringify(verdict.reasons));
    assert.ok(verdict.reasons.some((r) => r.rule === 'JA_SPAM_PHRASES' || r.rule === 'JA_SPAM_PHRASES_MANY'));
  });
});
