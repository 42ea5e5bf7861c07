// The built-in engine: GTUBE and SpamAssassin's samples, heuristics, detection levels, the
// other stages' inputs, approved senders, DKIM lists and text exemptions, settings validation.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { parseMessage } from '../../src/scan/parse/index.js';
import { defaultScanSettings } from '../../src/scan/scan-settings.js';
import { BuiltinSpamEngine, spamHeaders } from '../../src/spam/engine.js';
import { GTUBE } from '../../src/spam/rules/gtube.js';
import { splitMbox } from '../../src/spam/mbox.js';
import {
  defaultSpamSettings,
  resolveSpamSettings,
  spamSettingsSchema,
  type SpamSettings,
} from '../../src/spam/spam-settings.js';
import type { SpamInputs } from '../../src/spam/types.js';

const EXAMPLES = '/usr/share/doc/spamassassin/examples';

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

async function score(
  raw: string | Buffer,
  inputs: SpamInputs = {},
  settings: SpamSettings = defaultSpamSettings(),
) {
  return new BuiltinSpamEngine({ settings: () => settings }).score(await parse(raw), inputs);
}

function settingsOf(doc: unknown): SpamSettings {
  return resolveSpamSettings(spamSettingsSchema.parse(doc));
}

const plain = (headers: string, body: string) =>
  `${headers}\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${body}\r\n`;

const GOOD_HEADERS = [
  'From: Alice <alice@partner.test>',
  'To: user@example.com',
  'Subject: Minutes of Tuesday',
  'Date: Tue, 3 Jun 2025 09:00:00 +0900',
  'Message-ID: <abc123@partner.test>',
].join('\r\n');

const gtubeMessage = () =>
  existsSync(`${EXAMPLES}/sample-spam.txt`)
    ? readFileSync(`${EXAMPLES}/sample-spam.txt`)
    : Buffer.from(plain(GOOD_HEADERS, `This is the GTUBE, the\r\n\r\n${GTUBE}\r\n`));

describe('spam engine', () => {
  test('GTUBE is spam with the default settings (score 1000)', async () => {
    const v = await score(gtubeMessage());
    assert.equal(v.isSpam, true);
    assert.ok(v.score >= 1000);
    assert.equal(v.level, 'medium');
    assert.equal(v.threshold, 5);
    assert.ok(v.reasons.some((r) => r.rule === 'GTUBE' && r.score === 1000));
  });

  test(
    "SpamAssassin's sample-nonspam.txt is not spam",
    { skip: !existsSync(`${EXAMPLES}/sample-nonspam.txt`) && 'spamassassin examples not installed' },
    async () => {
      const raw = splitMbox(readFileSync(`${EXAMPLES}/sample-nonspam.txt`))[0] as Buffer;
      const v = await score(raw);
      assert.equal(v.isSpam, false, JSON.stringify(v.reasons));
      assert.ok(v.score < 2, `${v.score}`);
    },
  );

  test('an ordinary message scores nothing', async () => {
    const v = await score(plain(GOOD_HEADERS, 'Here are the minutes. See you next week.'));
    assert.equal(v.score, 0);
    assert.deepEqual(v.reasons, []);
  });

  test('header, body and URL heuristics fire with their reasons', async () => {
    const raw = [
      'From: "service@bank.test" <alerts@mailer.example.net>',
      'From: other@elsewhere.test',
      'To: user@example.com',
      'Subject: ACT NOW TO WIN BIG!!!',
      'Date: someday soon',
      'Message-ID: not-an-id',
      'Received: from 203.0.113.5 (unknown [198.51.100.7]) by mx.example.com; Tue, 3 Jun 2025 09:00:00 +0900',
      'MIME-Version: 1.0',
      'Content-Type: text/html; charset=utf-8',
      '',
      '<p>Hello!!! Go!!! <a href="http://198.51.100.7/login">http://www.bank.test/login</a>',
      '<a href="https://bit.ly/abc">short</a> <a href="http://bank.test@evil.example/">x</a></p>',
      '',
    ].join('\r\n');
    const v = await score(raw);
    const rules = new Set(v.reasons.map((r) => r.rule));
    for (const r of [
      'INVALID_DATE',
      'INVALID_MID',
      'MULTIPLE_FROM',
      'FROM_NAME_HAS_OTHER_ADDR',
      'RCVD_HELO_IP_MISMATCH',
      'RCVD_NUMERIC_HELO',
      'SUBJECT_ALL_CAPS',
      'SUBJECT_EXCLAIM',
      'BODY_EXCLAIM',
      'HTML_ONLY',
      'URL_IP_HOST',
      'URL_SHORTENER',
      'URL_USERINFO',
      'URL_ANCHOR_MISMATCH',
    ]) {
      assert.ok(rules.has(r), `${r} missing from ${[...rules].join(' ')}`);
    }
    assert.equal(v.isSpam, true);
    const mismatch = v.reasons.find((r) => r.rule === 'URL_ANCHOR_MISMATCH');
    assert.match(mismatch?.detail ?? '', /bank\.test.*198\.51\.100\.7/);
  });

  test('random subject tags, random mailer names and made-up sender addresses', async () => {
    const v = await score(
      plain(
        [
          'From: corn427@mailer.example.net',
          'To: user@example.com',
          'Subject: your report !  ufhvv',
          'Date: Tue, 3 Jun 2025 09:00:00 +0900',
          'Message-ID: <x1@mailer.example.net>',
          'X-Mailer: fNthRC4yresSVXVvrmumpAEY',
        ].join('\r\n'),
        'See the report.',
      ),
    );
    const rules = new Set(v.reasons.map((r) => r.rule));
    for (const r of ['SUBJECT_RANDOM_TAG', 'X_MAILER_RANDOM', 'FROM_LOCAL_DIGITS'])
      assert.ok(rules.has(r), `${r} missing from ${[...rules].join(' ')}`);
    // A product name, a year in a subject and two digits in an address are ordinary.
    const ok = await score(
      plain(
        [
          'From: Bob Smith <bob42@partner.test>',
          'To: user@example.com',
          'Subject: Budget for 2025',
          'Date: Tue, 3 Jun 2025 09:00:00 +0900',
          'Message-ID: <abc123@partner.test>',
          'X-Mailer: Microsoft Outlook 16.0',
        ].join('\r\n'),
        'Numbers attached.',
      ),
    );
    assert.deepEqual(ok.reasons, []);
  });

  test('Japanese unsolicited-advertisement label and half-width katakana', async () => {
    const raw = plain(
      [
        'From: ad@shop.example.net',
        'To: user@example.com',
        'Subject: =?UTF-8?B?5pyq5om/6Ku+5bqD5ZGK4oC7772+772w776Z?=',
        'Date: Tue, 3 Jun 2025 09:00:00 +0900',
        'Message-ID: <ja1@shop.example.net>',
      ].join('\r\n'),
      '完全無料で登録！副業で高収入、在宅ワークで月収100万円。',
    );
    const v = await score(raw);
    const rules = v.reasons.map((r) => r.rule);
    assert.ok(rules.includes('JA_UNSOLICITED_AD'), rules.join(' '));
    assert.ok(rules.includes('JA_HALFWIDTH_KANA_SUBJECT'), rules.join(' '));
    assert.ok(rules.includes('JA_SPAM_PHRASES_MANY') || rules.includes('JA_SPAM_PHRASES'), rules.join(' '));
  });

  test('detection levels and the custom threshold', async () => {
    const raw = plain(GOOD_HEADERS, 'x');
    assert.equal((await score(raw, {}, settingsOf({ level: 'high' }))).threshold, 4);
    assert.equal((await score(raw, {}, settingsOf({ level: 'low' }))).threshold, 6);
    const custom = await score(
      raw,
      { dnsbl: [{ zone: 'bl.test', score: 3.2 }] },
      settingsOf({ level: 'custom', threshold: 3 }),
    );
    assert.equal(custom.threshold, 3);
    assert.equal(custom.isSpam, true);
    assert.throws(() => spamSettingsSchema.parse({ level: 'custom' }), /threshold/);
    assert.throws(() => spamSettingsSchema.parse({ level: 'custom', threshold: 11 }));
    assert.throws(() => spamSettingsSchema.parse({ level: 'medium', threshold: 4 }), /only used/);
    assert.throws(
      () => spamSettingsSchema.parse({ exemptions: [{ in: 'subject', pattern: '(' }] }),
      /regular expression/,
    );
    assert.throws(() => spamSettingsSchema.parse({ graymail: { exceptions: ['not-an-ip'] } }), /IP/);
  });

  test('authentication and reputation results add to the score', async () => {
    const raw = plain(GOOD_HEADERS, 'x');
    const v = await score(raw, {
      auth: {
        spf: 'fail',
        dkim: [{ result: 'fail', domain: 'partner.test' }],
        dmarc: { result: 'fail', policy: 'reject', domain: 'partner.test' },
      },
      dnsbl: [{ zone: 'zen.example', code: '127.0.0.2', score: 2.5 }],
      uribl: [{ zone: 'dbl.example', domain: 'evil.example', score: 1.5 }],
      engines: [{ name: 'rspamd', score: 1.2, detail: 'rspamd 6.3' }],
    });
    const byRule = Object.fromEntries(v.reasons.map((r) => [r.rule, r.score]));
    assert.deepEqual(byRule, {
      SPF_FAIL: 1,
      DKIM_INVALID: 1,
      DMARC_FAIL_REJECT: 3,
      DNSBL: 2.5,
      URIBL: 1.5,
      ENGINE_RSPAMD: 1.2,
    });
    assert.equal(v.score, 10.2);
    assert.equal(v.isSpam, true);
    const passed = await score(raw, {
      auth: { spf: 'pass', dkim: [{ result: 'pass', domain: 'partner.test' }], dmarc: { result: 'pass' } },
    });
    assert.equal(passed.score, -0.7);
  });

  test('rule scores can be changed; approved senders, DKIM approval and exemptions skip scoring', async () => {
    const gtube = gtubeMessage();
    const zeroed = await score(gtube, {}, settingsOf({ ruleScores: { GTUBE: 0 } }));
    assert.equal(zeroed.isSpam, false);

    const approved = await score(gtube, { senderApproved: true });
    assert.equal(approved.isSpam, false);
    assert.equal(approved.skipped, 'approved-sender');

    const dkim = await score(gtube, {
      auth: { dkim: [{ result: 'pass', domain: 'partner.test' }], dkimApproved: 'partner.test' },
    });
    assert.equal(dkim.skipped, 'dkim-approved');
    assert.equal(dkim.isSpam, false);

    const exempt = await score(
      gtube,
      {},
      settingsOf({
        exemptions: [{ in: 'header', header: 'X-Test-Run', pattern: '^yes$', description: 'monitoring' }],
      }),
    );
    assert.equal(exempt.skipped, undefined, 'no such header: scored');
    const withHeader = Buffer.concat([Buffer.from('X-Test-Run: yes\r\n'), gtube]);
    assert.equal(
      (
        await score(
          withHeader,
          {},
          settingsOf({ exemptions: [{ in: 'header', header: 'X-Test-Run', pattern: '^yes$' }] }),
        )
      ).skipped,
      'exempt',
    );

    const disabled = await score(gtube, {}, settingsOf({ enabled: false }));
    assert.equal(disabled.skipped, 'disabled');
  });

  test('DKIM enforcement failures are spam; untrustworthy authentication adds to the score', async () => {
    const raw = plain(GOOD_HEADERS, 'x');
    const enforced = await score(raw, { auth: { dkim: [], dkimEnforcedFailure: 'partner.test' } });
    assert.equal(enforced.isSpam, true);
    assert.ok(enforced.reasons.some((r) => r.rule === 'DKIM_ENFORCED' && r.score === 100));
    const suspicious = await score(raw, { auth: { suspicious: ['2 From header fields'] } });
    assert.deepEqual(suspicious.reasons, [
      { rule: 'AUTH_SUSPICIOUS', score: 1.5, detail: '2 From header fields' },
    ]);
    const allowed = await score(raw, {
      dnsbl: [{ zone: 'list.dnswl.example', code: '127.0.10.0', score: -2 }],
    });
    assert.equal(allowed.reasons[0]?.rule, 'DNSWL');
    assert.equal(allowed.score, -2);
  });

  test('headers for the delivered message', async () => {
    const v = await score(gtubeMessage());
    const h = spamHeaders(v);
    assert.equal(h[0]?.value, 'Yes');
    assert.match(h[1]?.value ?? '', /^1000\.0 \(threshold 5\.0, level medium\)$/);
    assert.match(h[2]?.value ?? '', /GTUBE=1000/);
  });
});
