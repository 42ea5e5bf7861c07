// Graymail, social-engineering indicators, the C&C list (CSV and matching) and mbox splitting.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { parseMessage } from '../../src/scan/parse/index.js';
import { defaultScanSettings } from '../../src/scan/scan-settings.js';
import { CncList, parseCncCsv } from '../../src/spam/cnc.js';
import { BuiltinSpamEngine } from '../../src/spam/engine.js';
import { detectGraymail } from '../../src/spam/graymail.js';
import { splitMbox } from '../../src/spam/mbox.js';
import { editDistance, lookalikeOf, nameKey, nameKeys, socialIndicators } from '../../src/spam/social.js';
import {
  defaultSpamSettings,
  resolveSpamSettings,
  spamSettingsSchema,
} from '../../src/spam/spam-settings.js';

const ACCEPTED = ['example.com', '*.example.co.jp'];

async function parse(raw: string, env: { sender?: string; clientIp?: string; recipients?: string[] } = {}) {
  return parseMessage(
    Buffer.from(raw),
    {
      sender: env.sender ?? 'someone@outside.test',
      recipients: env.recipients ?? ['user@example.com'],
      clientIp: env.clientIp ?? '198.51.100.20',
      helo: 'h',
      acceptedDomains: ACCEPTED,
    },
    defaultScanSettings(),
  );
}

const msg = (headers: string[], body = 'Hello', type = 'text/plain') =>
  [
    ...headers,
    'Date: Tue, 3 Jun 2025 09:00:00 +0900',
    'Message-ID: <x1@outside.test>',
    'MIME-Version: 1.0',
    `Content-Type: ${type}; charset=utf-8`,
    '',
    body,
    '',
  ].join('\r\n');

describe('graymail', () => {
  const settings = defaultSpamSettings().graymail;

  test('newsletters, marketing and social notifications, each with reasons', async () => {
    const newsletter = await parse(
      msg([
        'From: news@shop.test',
        'To: user@example.com',
        'Subject: Weekly news',
        'List-Unsubscribe: <https://shop.test/u>',
        'Precedence: bulk',
      ]),
    );
    assert.deepEqual(detectGraymail(newsletter.facts, settings), {
      graymail: true,
      category: 'newsletter',
      reasons: ['List-Unsubscribe', 'Precedence: bulk'],
    });
    const marketing = await parse(
      msg([
        'From: deals@shop.test',
        'To: user@example.com',
        'Subject: Sale',
        'X-SG-EID: abc',
        'List-Unsubscribe: <mailto:u@shop.test>',
      ]),
    );
    const m = detectGraymail(marketing.facts, settings);
    assert.equal(m.category, 'marketing');
    assert.match(m.reasons[0] ?? '', /SendGrid/);
    const mailchimp = await parse(
      msg(['From: a@shop.test', 'To: user@example.com', 'Subject: s', 'X-MC-User: 123']),
    );
    assert.equal(detectGraymail(mailchimp.facts, settings).category, 'marketing');
    const social = await parse(
      msg([
        'From: Facebook <notification@facebookmail.com>',
        'To: user@example.com',
        'Subject: You have a new friend',
      ]),
    );
    assert.deepEqual(detectGraymail(social.facts, settings), {
      graymail: true,
      category: 'social',
      reasons: ['from facebookmail.com'],
    });
    const japanese = await parse(
      msg(
        ['From: info@shop.test', 'To: user@example.com', 'Subject: 新着情報'],
        '<p>新商品のご案内です。<a href="https://shop.test/stop">配信停止はこちら</a></p>',
        'text/html',
      ),
    );
    assert.equal(detectGraymail(japanese.facts, settings).category, 'marketing');
  });

  test('conversations and discussion lists are not graymail; exception IPs never are', async () => {
    const personal = await parse(msg(['From: bob@partner.test', 'To: user@example.com', 'Subject: Lunch?']));
    assert.equal(detectGraymail(personal.facts, settings).graymail, false);
    const list = await parse(
      msg([
        'From: bob@partner.test',
        'To: dev@lists.test',
        'Subject: patch',
        'List-Id: <dev.lists.test>',
        'List-Post: <mailto:dev@lists.test>',
        'List-Unsubscribe: <mailto:x>',
        'Precedence: list',
      ]),
    );
    assert.equal(detectGraymail(list.facts, settings).graymail, false);
    const raw = msg([
      'From: news@shop.test',
      'To: user@example.com',
      'Subject: News',
      'List-Unsubscribe: <https://shop.test/u>',
    ]);
    const s = resolveSpamSettings(
      spamSettingsSchema.parse({ graymail: { exceptions: ['198.51.100.0/24'] } }),
    ).graymail;
    const excepted = detectGraymail((await parse(raw)).facts, s);
    assert.equal(excepted.graymail, false);
    assert.match(excepted.reasons[0] ?? '', /exception/);
    assert.equal(detectGraymail((await parse(raw, { clientIp: '203.0.113.1' })).facts, s).graymail, true);
  });

  test('a newsletter is graymail, not spam', async () => {
    const raw = msg(
      [
        'From: news@shop.test',
        'To: user@example.com',
        'Subject: Our spring catalogue',
        'List-Unsubscribe: <https://shop.test/u>',
      ],
      'The new catalogue is out.',
    );
    const parsed = await parse(raw);
    const spam = await new BuiltinSpamEngine({ settings: () => defaultSpamSettings() }).score(parsed, {});
    assert.equal(spam.isSpam, false);
    assert.equal(detectGraymail(parsed.facts, defaultSpamSettings().graymail).graymail, true);
  });
});

describe('social engineering', () => {
  const social = resolveSpamSettings(
    spamSettingsSchema.parse({
      social: { internalNames: ['山田 太郎', 'Jane Doe'], protectedDomains: ['mybank.test'] },
    }),
  ).social;
  const kinds = async (raw: string, env?: Parameters<typeof parse>[1]) =>
    socialIndicators((await parse(raw, env)).facts, { acceptedDomains: ACCEPTED, settings: social });

  test('names compare without spaces, case, honorifics or order; edit distance counts transpositions', () => {
    assert.equal(nameKey('山田　太郎 様'), nameKey('山田太郎'));
    assert.equal(nameKeys('Doe, Jane')[1], nameKeys('jane doe')[1]);
    assert.equal(editDistance('example', 'exmaple'), 1);
    assert.equal(editDistance('example', 'examples'), 1);
  });

  test('an internal name on mail from outside; the recipients’ own names count', async () => {
    const spoof = await kinds(
      msg(['From: 山田太郎 <yamada.taro@freemail.test>', 'To: user@example.com', 'Subject: 至急']),
    );
    assert.ok(
      spoof.some((i) => i.kind === 'display-name-spoof'),
      JSON.stringify(spoof),
    );
    const byRecipient = await kinds(
      msg(['From: "Kato Ken" <ceo@freemail.test>', 'To: "Ken Kato" <kato@example.com>', 'Subject: hi']),
    );
    assert.ok(byRecipient.some((i) => i.kind === 'display-name-spoof'));
    const fromInside = await kinds(
      msg(['From: Jane Doe <jane@example.com>', 'To: user@example.com', 'Subject: hi']),
      {
        sender: 'jane@example.com',
        recipients: ['user@example.com'],
      },
    );
    // The parser says internal only when the sender is internal; here the envelope is, so no indicator.
    assert.ok(!fromInside.some((i) => i.kind === 'display-name-spoof'));
    const forged = await kinds(
      msg(['From: Jane Doe <jane@example.com>', 'To: user@example.com', 'Subject: hi']),
    );
    assert.ok(forged.some((i) => i.kind === 'internal-domain-spoof'));
  });

  test('look-alike domains: typos, digits for letters, other suffixes, IDN homoglyphs, prefixes', () => {
    const p = ['example.com', 'mybank.test'];
    assert.equal(lookalikeOf('exarnple.com', p, 1), 'example.com');
    assert.equal(lookalikeOf('examp1e.com', p, 1), 'example.com');
    assert.equal(lookalikeOf('exmaple.com', p, 1), 'example.com');
    assert.equal(lookalikeOf('example.co', p, 1), 'example.com');
    assert.equal(lookalikeOf('example.com.evil.test', p, 1), 'example.com');
    assert.equal(lookalikeOf('xn--exmple-4nf.com', p, 1), 'example.com', 'Cyrillic а in punycode');
    assert.equal(lookalikeOf('exаmple.com', p, 1), 'example.com', 'Cyrillic а as written');
    assert.equal(lookalikeOf('mybamk.test', p, 1), 'mybank.test');
    assert.equal(lookalikeOf('example.com', p, 1), undefined);
    assert.equal(lookalikeOf('mail.example.com', p, 1), undefined);
    assert.equal(lookalikeOf('wikipedia.org', p, 1), undefined);
  });

  test('look-alike sender, reply-to mismatch and urgent payment wording (en, ja) as facts', async () => {
    const all = await kinds(
      msg(
        [
          'From: CFO <cfo@examp1e.com>',
          'Reply-To: cfo.office@freemail.test',
          'To: user@example.com',
          'Subject: Urgent wire transfer',
        ],
        'Please process the payment today, it is urgent.',
      ),
    );
    const got = new Set(all.map((i) => i.kind));
    for (const k of ['lookalike-domain', 'reply-to-mismatch', 'urgent-payment'] as const)
      assert.ok(got.has(k), `${k}: ${JSON.stringify(all)}`);
    const ja = await kinds(
      msg(
        ['From: keiri@partner.test', 'To: user@example.com', 'Subject: 振込先変更'],
        '至急、下記の口座へお振込みをお願いします。',
      ),
    );
    assert.ok(
      ja.some((i) => i.kind === 'urgent-payment'),
      JSON.stringify(ja),
    );
    const calm = await kinds(
      msg(
        ['From: bob@partner.test', 'To: user@example.com', 'Subject: Invoice'],
        'The invoice for May is attached.',
      ),
    );
    assert.deepEqual(calm, []);
  });
});

describe('C&C list', () => {
  const csv = [
    'type,value,description',
    '# a comment',
    'address,Boss@Evil.example,known sender',
    'domain,cnc.example,botnet controller',
    'url,http://drop.example/gate.php,dropper',
    'ip,203.0.113.0/24,bad network',
    'ipv4,198.51.100.66,single host',
    `sha256,${createHash('sha256').update('malware!').digest('hex').toUpperCase()},"payload, v2"`,
    '',
  ].join('\n');

  test('CSV import: types, aliases, normalisation, quoted descriptions, errors by line', () => {
    const r = parseCncCsv(csv);
    assert.deepEqual(r.errors, []);
    assert.equal(r.entries.length, 6);
    assert.deepEqual(r.entries[0], {
      type: 'address',
      value: 'boss@evil.example',
      description: 'known sender',
    });
    assert.equal(r.entries[4]?.type, 'ip');
    assert.equal(r.entries[5]?.description, 'payload, v2');
    assert.equal(r.entries[5]?.value, createHash('sha256').update('malware!').digest('hex'));
    const bad = parseCncCsv('domain,not a domain\nfoo,bar\nsha256,1234\n');
    assert.deepEqual(
      bad.errors.map((e) => e.line),
      [1, 2, 3],
    );
  });

  test('matches sender, recipients, reply-to, URLs, client IP and attachments', async () => {
    const list = new CncList(parseCncCsv(csv).entries);
    const raw = [
      'From: boss@evil.example',
      'To: victim@example.com, x@mail.cnc.example',
      'Reply-To: r@sub.cnc.example',
      'Subject: hi',
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary=b',
      '',
      '--b',
      'Content-Type: text/plain',
      '',
      'see http://drop.example/gate.php and http://203.0.113.9/x',
      '--b',
      'Content-Type: application/octet-stream; name=a.bin',
      'Content-Transfer-Encoding: base64',
      '',
      Buffer.from('malware!').toString('base64'),
      '--b--',
      '',
    ].join('\r\n');
    const parsed = await parse(raw, { sender: 'bounce@cnc.example', clientIp: '198.51.100.66' });
    const where = new Set(list.match(parsed.facts).map((m) => `${m.where}:${m.type}`));
    for (const w of [
      'sender:domain',
      'from:address',
      'recipient:domain',
      'reply-to:domain',
      'url:url',
      'url:ip',
      'client-ip:ip',
      'attachment:sha256',
    ]) {
      assert.ok(where.has(w), `${w} missing from ${[...where].join(' ')}`);
    }
    const clean = await parse(
      msg(['From: a@partner.test', 'To: user@example.com', 'Subject: s'], 'http://example.org/'),
    );
    assert.deepEqual(list.match(clean.facts), []);
  });
});

describe('mbox', () => {
  test('splits on From lines after a blank line, keeps unescaped body lines, unquotes >From', () => {
    const mbox = [
      'From alice@a.test Mon Jun  2 10:00:00 2025',
      'Subject: one',
      '',
      'From here on it is a body line',
      '>From quoted',
      '',
      'From bob@b.test Tue Jun  3 10:00:00 2025',
      'Subject: two',
      '',
      'body two',
      '',
    ].join('\n');
    const parts = splitMbox(Buffer.from(mbox)).map((b) => b.toString());
    assert.equal(parts.length, 2);
    assert.match(parts[0] ?? '', /^Subject: one\n\nFrom here on it is a body line\nFrom quoted\n/);
    assert.match(parts[1] ?? '', /^Subject: two/);
    assert.equal(splitMbox(Buffer.from('Subject: plain\n\nx\n')).length, 1);
  });
});
