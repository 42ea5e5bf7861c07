// Decoding in the parser: transfer encodings, RFC 2047 words, RFC 2231 parameters, the charsets
// Japanese mail uses, headers, addresses, HTML text and URLs; and the scan settings section.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseMessage } from '../../src/scan/parse/index.js';
import { decodeBase64, decodeQuotedPrintable } from '../../src/scan/parse/transfer.js';
import { decodeWords } from '../../src/scan/parse/encoded-words.js';
import { parseStructured } from '../../src/scan/parse/params.js';
import { decodeText } from '../../src/scan/parse/charset.js';
import { htmlToText } from '../../src/scan/parse/html.js';
import { parseAddressList } from '../../src/scan/parse/addresses.js';
import {
  defaultScanSettings,
  resolveScanSettings,
  scanSettingsSchema,
} from '../../src/scan/scan-settings.js';
import { CTX, message } from '../fixtures/mime/builders.js';

const limits = defaultScanSettings();
const JA = '日本語のテスト';
const JA_BYTES = {
  'iso-2022-jp': '1b2442467c4b5c386c244e2546253925481b2842',
  shift_jis: '93fa967b8cea82cc836583588367',
  'euc-jp': 'c6fccbdcb8eca4cea5c6a5b9a5c8',
};

test('base64: lenient about junk, and continues after padding in the middle', () => {
  assert.equal(decodeBase64(Buffer.from('aGVs\r\nbG8g d29y*bGQ=')).toString(), 'hello world');
  // Two base64 chunks glued together: Node stops at the first "=", some clients do not.
  assert.equal(decodeBase64(Buffer.from('aGk=\r\naGk=')).toString(), 'hihi');
});

test('quoted-printable: hex bytes, soft breaks (with padding), stray "=" kept', () => {
  const qp = Buffer.from('caf=C3=A9 =\r\nau lait=  \r\n!\r\na=zz=3d', 'latin1');
  assert.equal(decodeQuotedPrintable(qp).toString('utf8'), 'café au lait!\r\na=zz=');
});

test('RFC 2047: B and Q words, ISO-2022-JP, words split inside a character are joined', () => {
  assert.equal(decodeWords('=?ISO-2022-JP?B?GyRCRnxLXDhsGyhC?='), '日本語');
  assert.equal(decodeWords('=?utf-8?Q?caf=C3=A9_au_lait?= ok'), 'café au lait ok');
  // "見積書" in UTF-8 split between two words in the middle of a character.
  assert.equal(decodeWords('=?UTF-8?B?6KaL56k=?= =?UTF-8?B?jeabuA==?='), '見積書');
  assert.equal(decodeWords('plain =?us-ascii?q?x?= y'), 'plain x y');
});

test('RFC 2231: continuations with a charset, and RFC 2047 inside quotes', () => {
  const v = parseStructured(
    `attachment; filename*0*=UTF-8''%E8%A6%8B%E7%A9%8D; filename*1*=%E6%9B%B8.xlsm; size=10`,
  );
  assert.equal(v.value, 'attachment');
  assert.deepEqual(v.params.get('filename'), ['見積書.xlsm']);
  const w = parseStructured(
    'application/octet-stream; name="=?ISO-2022-JP?B?GyRCQEE1YT1xGyhCLnBkZi5leGU=?="',
  );
  assert.deepEqual(w.params.get('name'), ['請求書.pdf.exe']);
  // A repeated parameter keeps both values (clients take the first or the last).
  assert.deepEqual(parseStructured('multipart/mixed; boundary=a; boundary="b"').params.get('boundary'), [
    'a',
    'b',
  ]);
});

test('charsets: ISO-2022-JP, Shift_JIS, EUC-JP, UTF-8, Latin-1, and a guess when unlabelled', () => {
  for (const [cs, hex] of Object.entries(JA_BYTES))
    assert.equal(decodeText(Buffer.from(hex, 'hex'), cs), JA, cs);
  assert.equal(decodeText(Buffer.from(JA_BYTES.shift_jis, 'hex'), 'x-sjis'), JA);
  assert.equal(decodeText(Buffer.from(JA_BYTES.shift_jis, 'hex'), 'cp932'), JA);
  assert.equal(decodeText(Buffer.from('café', 'utf8'), 'utf-8'), 'café');
  assert.equal(decodeText(Buffer.from('6361666509', 'hex'), 'iso-8859-1'), 'cafe\t');
  assert.equal(decodeText(Buffer.from('caf\xe9', 'latin1'), 'iso-8859-1'), 'café');
  // Unlabelled or labelled us-ascii but really Japanese: guessed.
  assert.equal(decodeText(Buffer.from(JA_BYTES['iso-2022-jp'], 'hex')), JA);
  assert.equal(decodeText(Buffer.from(JA_BYTES.shift_jis, 'hex'), 'us-ascii'), JA);
  assert.equal(decodeText(Buffer.from(JA_BYTES['euc-jp'], 'hex'), 'x-unknown-charset'), JA);
  assert.equal(decodeText(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(JA, 'utf16le')])), JA);
});

test('Japanese bodies in each charset and transfer encoding reach textBody', async () => {
  for (const [cs, hex] of Object.entries(JA_BYTES)) {
    const bytes = Buffer.from(hex, 'hex');
    for (const cte of ['7bit', 'base64', 'quoted-printable']) {
      if (cte === '7bit' && cs !== 'iso-2022-jp') continue;
      const body =
        cte === 'base64'
          ? bytes.toString('base64')
          : cte === 'quoted-printable'
            ? [...bytes]
                .map((b) =>
                  b < 0x80 && b !== 0x3d && b > 0x20
                    ? String.fromCharCode(b)
                    : `=${b.toString(16).toUpperCase().padStart(2, '0')}`,
                )
                .join('')
            : bytes.toString('latin1');
      const raw = message([], {
        headers: [`Content-Type: text/plain; charset=${cs}`, `Content-Transfer-Encoding: ${cte}`],
        body,
      });
      const { facts } = await parseMessage(raw, CTX, limits);
      assert.equal(facts.textBody, JA, `${cs} ${cte}`);
      assert.deepEqual(facts.attachments, []);
    }
  }
});

test('headers: unfolded, names lower-cased, encoded subject decoded, 8-bit Shift_JIS guessed', async () => {
  const raw = Buffer.concat([
    Buffer.from(
      'From: =?ISO-2022-JP?B?GyRCRnxLXDhsGyhC?= <taro@example.jp>\r\n' +
        'To: "Bob, Jr." <bob@example.net>, carol@example.net (Carol C)\r\n' +
        'Cc: team: dave@example.net, eve@example.net;\r\n' +
        'Reply-To: <@relay.example:mallory@evil.test>\r\n' +
        'Subject: =?UTF-8?B?6KaL56mN5pu4?=\r\n  folded\r\n' +
        'Message-ID: <abc@example.jp>\r\n' +
        'X-Raw: ',
      'latin1',
    ),
    Buffer.from(JA_BYTES.shift_jis, 'hex'),
    Buffer.from('\r\nContent-Type: text/plain\r\n\r\nbody\r\n'),
  ]);
  const { facts } = await parseMessage(raw, CTX, limits);
  assert.equal(facts.subject, '見積書  folded');
  assert.deepEqual(facts.from, [{ name: '日本語', address: 'taro@example.jp' }]);
  assert.deepEqual(facts.to, [
    { name: 'Bob, Jr.', address: 'bob@example.net' },
    { name: 'Carol C', address: 'carol@example.net' },
  ]);
  assert.deepEqual(
    facts.cc.map((a) => a.address),
    ['dave@example.net', 'eve@example.net'],
  );
  assert.deepEqual(facts.replyTo, [{ name: '', address: 'mallory@evil.test' }]);
  assert.equal(facts.messageId, '<abc@example.jp>');
  assert.equal(facts.headers.find((h) => h.name === 'x-raw')?.value, JA);
  assert.ok(facts.headers.every((h) => h.name === h.name.toLowerCase()));
});

test('several From fields all show in facts.from (authentication must not trust one)', async () => {
  const raw = Buffer.from('From: a@example.com\r\nFrom: b@evil.test\r\nSubject: x\r\n\r\nhi\r\n');
  const { facts } = await parseMessage(raw, CTX, limits);
  assert.deepEqual(
    facts.from.map((a) => a.address),
    ['a@example.com', 'b@evil.test'],
  );
  assert.deepEqual(
    parseAddressList('"=?utf-8?q?A=2C_B?=" <ab@example.com>').map((a) => a.name),
    ['A, B'],
  );
});

test('HTML: scripts, styles and comments dropped, entities decoded, blocks as lines', () => {
  const html =
    '<html><head><style>p{color:red}</style><script>var x="<p>no</p>";</script></head>' +
    '<body><!-- hidden --><p>Hello&nbsp;&amp; welcome</p><div>caf&eacute; &#x65E5;&#26412;</div>' +
    '<table><tr><td>a</td><td>b</td></tr></table></body></html>';
  assert.equal(htmlToText(html), 'Hello & welcome\ncafé 日本\na b');
  // Deep nesting and unclosed tags cost linear time and never recurse.
  const deep = '<div>'.repeat(200_000) + 'x' + '<script>'.repeat(3);
  const t = Date.now();
  assert.equal(htmlToText(deep), 'x');
  assert.ok(Date.now() - t < 2000);
});

test('URLs from HTML attributes, meta refresh, CSS and bare text; de-duplicated and capped', async () => {
  const html =
    '<a href="HTTP://Evil.EXAMPLE/login?a=1&amp;b=2">x</a><img src=\'https://cdn.example/i.png\'>' +
    '<form action=//phish.example/post></form><meta http-equiv="refresh" content="0; url=http://redirect.example/">' +
    '<div style="background:url(http://css.example/bg.png)">visit www.bare.example/path, or http://evil.example/login?a=1&b=2.</div>';
  const raw = message([], { headers: ['Content-Type: text/html; charset=utf-8'], body: html });
  const { facts } = await parseMessage(raw, CTX, limits);
  assert.deepEqual(facts.urls.sort(), [
    'http://css.example/bg.png',
    'http://evil.example/login?a=1&b=2',
    'http://phish.example/post',
    'http://redirect.example/',
    'http://www.bare.example/path',
    'https://cdn.example/i.png',
  ]);
  assert.match(facts.htmlText, /visit www\.bare\.example\/path/);
  assert.match(facts.html, /<form action/);
  const many = Array.from({ length: 50 }, (_, i) => `http://u${i}.example/`).join(' ');
  const capped = await parseMessage(message([], { headers: [], body: many }), CTX, {
    ...limits,
    maxUrls: 10,
  });
  assert.equal(capped.facts.urls.length, 10);
  // Text right after a URL in Japanese is not part of it.
  const ja = await parseMessage(
    message([], {
      headers: ['Content-Type: text/plain; charset=utf-8'],
      body: Buffer.from('詳細はhttps://ex.example/aこちら'),
    }),
    CTX,
    limits,
  );
  assert.deepEqual(ja.facts.urls, ['https://ex.example/a']);
});

test('scan settings: defaults in bytes/ms, units accepted, bad values named', () => {
  const d = defaultScanSettings();
  assert.equal(d.maxMessageSizeToScan, 30 * 1024 * 1024);
  assert.equal(d.maxRecipientsToScan, 1000);
  assert.equal(d.maxArchiveDepth, 10);
  assert.equal(d.maxArchiveFiles, 1000);
  assert.equal(d.maxExpandedSize, 100 * 1024 * 1024);
  assert.equal(d.maxFileSize, 50 * 1024 * 1024);
  assert.equal(d.maxCompressionRatio, 100);
  assert.equal(d.timeout, 30_000);
  const s = resolveScanSettings(
    scanSettingsSchema.parse({ maxFileSize: '2MB', timeout: '5s', maxArchiveDepth: 3 }),
  );
  assert.equal(s.maxFileSize, 2 * 1024 * 1024);
  assert.equal(s.timeout, 5000);
  assert.equal(s.maxArchiveDepth, 3);
  const bad = scanSettingsSchema.safeParse({ maxFileSize: 'huge' });
  assert.equal(bad.success, false);
  assert.match(bad.error?.issues[0]?.message ?? '', /not a size/);
  assert.equal(scanSettingsSchema.safeParse({ nope: 1 }).success, false);
});
