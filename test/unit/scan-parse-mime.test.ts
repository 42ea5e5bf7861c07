// The MIME walk: the part tree and its ids, every plausible reading of ambiguous structure,
// attached messages, uuencode, limits and failures, and the direction of a message.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { directionFor, parseMessage } from '../../src/scan/parse/index.js';
import { defaultScanSettings } from '../../src/scan/scan-settings.js';
import { CTX, attachment, b64, message } from '../fixtures/mime/builders.js';

const limits = defaultScanSettings();
const MZ = Buffer.concat([Buffer.from('MZ\x90\x00', 'latin1'), Buffer.alloc(200, 1)]);

test('multipart tree: body text, nested alternative, attachment ids and names', async () => {
  const alternative = [
    'Content-Type: multipart/alternative; boundary="ALT"',
    '',
    '--ALT',
    'Content-Type: text/plain; charset=utf-8',
    '',
    'plain text',
    '--ALT',
    'Content-Type: text/html; charset=utf-8',
    '',
    '<p>html <a href="https://x.example/">text</a></p>',
    '--ALT--',
  ];
  const raw = message(
    [],
    [
      { headers: [alternative[0] as string], body: alternative.slice(2).join('\r\n') },
      attachment('report.pdf', Buffer.from('%PDF-1.4\n%%EOF\n')),
      attachment('setup.exe', MZ),
    ],
  );
  const { facts, files } = await parseMessage(raw, CTX, limits);
  assert.equal(facts.textBody, 'plain text');
  assert.equal(facts.htmlText, 'html text');
  assert.deepEqual(facts.urls, ['https://x.example/']);
  assert.deepEqual(
    facts.attachments.map((a) => [a.id, a.name, a.trueType, a.declaredType, a.extension, a.depth]),
    [
      ['2', 'report.pdf', 'pdf', 'application/octet-stream', 'pdf', 0],
      ['3', 'setup.exe', 'exe', 'application/octet-stream', 'exe', 0],
    ],
  );
  assert.deepEqual(
    files.map((f) => [f.attachmentId, f.content.length]),
    [
      ['2', 15],
      ['3', MZ.length],
    ],
  );
  assert.equal(facts.attachments[1]?.sha256.length, 64);
  assert.deepEqual(facts.exceptions, []);
});

test('a single-part attachment message: the body itself is attachment "1"', async () => {
  const raw = message([], {
    headers: ['Content-Type: application/x-msdownload; name="a.exe"', 'Content-Transfer-Encoding: base64'],
    body: b64(MZ),
  });
  const { facts } = await parseMessage(raw, CTX, limits);
  assert.deepEqual(
    facts.attachments.map((a) => [a.id, a.name, a.trueType]),
    [['1', 'a.exe', 'exe']],
  );
});

test('two Content-Type headers: both readings are scanned (multipart and a plain attachment)', async () => {
  const body = [
    '--B1',
    'Content-Type: text/plain',
    '',
    'hello',
    '--B1',
    'Content-Type: application/octet-stream; name="x.exe"',
    'Content-Transfer-Encoding: base64',
    '',
    b64(MZ),
    '--B1--',
  ].join('\r\n');
  const raw = Buffer.from(
    `From: a@example.com\r\nContent-Type: application/zip\r\nContent-Type: multipart/mixed; boundary="B1"\r\n\r\n${body}`,
  );
  const { facts } = await parseMessage(raw, CTX, limits);
  const ids = facts.attachments.map((a) => `${a.id}:${a.declaredType}`);
  assert.ok(ids.includes('2:application/octet-stream'), ids.join(' '));
  assert.ok(ids.includes('1:application/zip'), ids.join(' '));
  assert.equal(facts.textBody, 'hello');
});

test('two boundary parameters, and a boundary in an odd place: every split is read', async () => {
  const body = [
    '--AAA',
    'Content-Type: text/plain',
    '',
    'visible to clients that take the first boundary',
    '--BBB',
    'Content-Type: application/octet-stream; name="hidden.exe"',
    'Content-Transfer-Encoding: base64',
    '',
    b64(MZ),
    '--BBB--',
    '--AAA--',
  ].join('\r\n');
  for (const ct of [
    'multipart/mixed; boundary="AAA"; boundary="BBB"',
    'multipart/mixed boundary="BBB"; x; boundary=AAA',
  ]) {
    const raw = Buffer.from(`From: a@example.com\r\nContent-Type: ${ct}\r\n\r\n${body}`);
    const { facts } = await parseMessage(raw, CTX, limits);
    assert.ok(
      facts.attachments.some((a) => a.name === 'hidden.exe' && a.trueType === 'exe'),
      `${ct}: ${JSON.stringify(facts.attachments.map((a) => a.name))}`,
    );
  }
});

test('a part after the closing delimiter is still read; filename vs name both kept', async () => {
  const body = [
    '--B',
    'Content-Type: text/plain',
    '',
    'hi',
    '--B--',
    'epilogue',
    '--B',
    'Content-Type: application/pdf; name="invoice.pdf"',
    'Content-Disposition: attachment; filename="invoice.pdf.exe"',
    'Content-Transfer-Encoding: base64',
    '',
    b64(MZ),
  ].join('\r\n');
  const raw = Buffer.from(`Content-Type: multipart/mixed; boundary=B\r\n\r\n${body}`);
  const { facts } = await parseMessage(raw, CTX, limits);
  const a = facts.attachments[0];
  assert.equal(a?.name, 'invoice.pdf.exe');
  assert.deepEqual(a?.altNames, ['invoice.pdf']);
  assert.equal(a?.doubleExtension, true);
  assert.equal(a?.trueType, 'exe');
});

test('two Content-Transfer-Encodings: each decoding is scanned', async () => {
  const raw = message(
    [],
    [
      {
        headers: [
          'Content-Type: application/octet-stream; name="a.bin"',
          'Content-Transfer-Encoding: 7bit',
          'Content-Transfer-Encoding: base64',
        ],
        body: b64(MZ),
      },
    ],
  );
  const { facts } = await parseMessage(raw, CTX, limits);
  assert.deepEqual(
    facts.attachments.map((a) => [a.id, a.trueType]),
    [
      ['1', 'text'],
      ['1~base64', 'exe'],
    ],
  );
});

test('attached message: the .eml is an attachment and its parts are its children', async () => {
  const inner = message(
    ['Subject: inner'],
    [{ headers: ['Content-Type: text/plain'], body: 'inner text' }, attachment('in.exe', MZ)],
    'INNER',
  );
  const raw = message(
    [],
    [
      { headers: ['Content-Type: text/plain'], body: 'outer text' },
      {
        headers: ['Content-Type: message/rfc822', 'Content-Disposition: attachment; filename="fwd.eml"'],
        body: inner,
      },
    ],
  );
  const { facts } = await parseMessage(raw, CTX, limits);
  const eml = facts.attachments.find((a) => a.id === '2');
  const exe = facts.attachments.find((a) => a.name === 'in.exe');
  assert.equal(eml?.name, 'fwd.eml');
  assert.equal(exe?.id, '2/2');
  assert.equal(exe?.parent, '2');
  assert.equal(exe?.trueType, 'exe');
  assert.deepEqual(eml?.children, ['2/2']);
  assert.equal(facts.textBody, 'outer text\ninner text');
  assert.equal(facts.subject, 'test');
});

test('uuencoded files in a text body, and x-uuencode parts, are attachments', async () => {
  const uu = (data: Buffer) => {
    const lines: string[] = [];
    for (let i = 0; i < data.length; i += 45) {
      const chunk = data.subarray(i, i + 45);
      let line = String.fromCharCode(32 + chunk.length);
      for (let j = 0; j < chunk.length; j += 3) {
        const [a = 0, b = 0, c = 0] = [chunk[j], chunk[j + 1], chunk[j + 2]];
        for (const v of [a >> 2, ((a & 3) << 4) | (b >> 4), ((b & 15) << 2) | (c >> 6), c & 63]) {
          line += String.fromCharCode(v === 0 ? 96 : v + 32);
        }
      }
      lines.push(line);
    }
    return ['begin 644 tool.exe', ...lines, '`', 'end'].join('\r\n');
  };
  const raw = message([], { headers: ['Content-Type: text/plain'], body: `see below\r\n\r\n${uu(MZ)}\r\n` });
  const { facts, files } = await parseMessage(raw, CTX, limits);
  assert.deepEqual(
    facts.attachments.map((a) => [a.id, a.name, a.trueType, a.size]),
    [['1:uu1', 'tool.exe', 'exe', MZ.length]],
  );
  assert.ok(files[0]?.content.equals(MZ));
  const part = message(
    [],
    [
      {
        headers: [
          'Content-Type: application/octet-stream; name="t.exe"',
          'Content-Transfer-Encoding: x-uuencode',
        ],
        body: uu(MZ),
      },
    ],
  );
  const r2 = await parseMessage(part, CTX, limits);
  assert.equal(r2.facts.attachments[0]?.trueType, 'exe');
});

test('malformed input never throws: garbage, NULs, no headers, bad boundaries', async () => {
  const samples = [
    Buffer.alloc(0),
    Buffer.from('\0\0\0\xff\xfe', 'latin1'),
    Buffer.from('no headers at all, just text'),
    Buffer.from('Content-Type: multipart/mixed; boundary="X"\r\n\r\nno delimiter here\r\n'),
    Buffer.from('Content-Type: multipart/mixed\r\n\r\n--\r\n--\r\n'),
    Buffer.from('Content-Type: text/plain; charset="\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!!'),
    Buffer.from('Subject: =?x?B?###?= =?utf-8?Q?=ZZ?=\r\n\r\n'),
  ];
  for (const raw of samples) {
    const r = await parseMessage(raw, CTX, limits);
    assert.ok(Array.isArray(r.facts.exceptions));
  }
  const noBoundary = await parseMessage(samples[3] as Buffer, CTX, limits);
  assert.deepEqual(
    noBoundary.facts.exceptions.map((e) => e.kind),
    ['malformed'],
  );
  assert.equal(noBoundary.facts.textBody, 'no delimiter here\r\n');
});

test('limits: MIME parts, nesting depth, header count, message size, recipients', async () => {
  const many = message(
    [],
    Array.from({ length: 30 }, (_, i) => ({ headers: ['Content-Type: text/plain'], body: `p${i}` })),
  );
  const r1 = await parseMessage(many, CTX, { ...limits, maxMimeParts: 10 });
  assert.deepEqual(
    r1.facts.exceptions.map((e) => e.kind),
    ['malformed'],
  );
  let nested = 'Content-Type: text/plain\r\n\r\ndeep';
  for (let i = 0; i < 80; i++)
    nested = `Content-Type: multipart/mixed; boundary="n${i}"\r\n\r\n--n${i}\r\n${nested}\r\n--n${i}--`;
  const r2 = await parseMessage(Buffer.from(nested), CTX, limits);
  assert.ok(r2.facts.exceptions.some((e) => e.kind === 'malformed' && /nesting/.test(e.detail)));
  const headers = Array.from({ length: 50 }, (_, i) => `X-H${i}: v`).join('\r\n');
  const r3 = await parseMessage(Buffer.from(`${headers}\r\n\r\nbody`), CTX, {
    ...limits,
    maxHeaderCount: 20,
  });
  assert.equal(r3.facts.headers.length, 20);
  assert.equal(r3.facts.exceptions[0]?.kind, 'malformed');
  const big = message([], [attachment('a.exe', MZ)]);
  const r4 = await parseMessage(big, CTX, { ...limits, maxMessageSizeToScan: 100 });
  assert.deepEqual(
    r4.facts.exceptions.map((e) => e.kind),
    ['too-large'],
  );
  assert.equal(r4.facts.subject, 'test');
  assert.deepEqual(r4.facts.attachments, []);
  const rcpts = Array.from({ length: 1001 }, (_, i) => `u${i}@example.net`);
  const r5 = await parseMessage(Buffer.from('Subject: x\r\n\r\nhi'), { ...CTX, recipients: rcpts }, limits);
  assert.equal(r5.facts.exceptions[0]?.kind, 'too-large');
});

test('time budget: a parse past its timeout stops with a timeout exception', async () => {
  const parts = Array.from({ length: 400 }, (_, i) => attachment(`f${i}.bin`, Buffer.alloc(2000, i)));
  const raw = message([], parts);
  const r = await parseMessage(raw, CTX, { ...limits, timeout: 0 });
  assert.ok(r.facts.exceptions.some((e) => e.kind === 'timeout'));
  assert.ok(r.facts.attachments.length < 400);
});

test('direction: inbound, outbound, internal, per recipient, with wildcard domains', async () => {
  const accepted = ['example.com', '*.corp.example'];
  assert.equal(directionFor('a@outside.test', 'b@example.com', accepted), 'inbound');
  assert.equal(directionFor('a@example.com', 'b@outside.test', accepted), 'outbound');
  assert.equal(directionFor('a@EXAMPLE.com', 'b@tokyo.corp.example', accepted), 'internal');
  assert.equal(directionFor('a@corp.example', 'b@example.com', accepted), 'inbound');
  assert.equal(directionFor('', 'b@example.com', accepted), 'inbound');
  const body = Buffer.from('Subject: x\r\n\r\nhi');
  const dir = async (sender: string, recipients: string[]) =>
    (await parseMessage(body, { ...CTX, sender, recipients, acceptedDomains: accepted }, limits)).facts
      .direction;
  assert.equal(await dir('a@example.com', ['b@example.com', 'c@x.corp.example']), 'internal');
  assert.equal(await dir('a@example.com', ['b@example.com', 'c@outside.test']), 'outbound');
  assert.equal(await dir('a@outside.test', ['b@example.com']), 'inbound');
});

test('an .eml sent as application/octet-stream is opened like an attached message', async () => {
  const inner = message([], [attachment('in.exe', MZ)], 'INNER');
  const raw = message([], [attachment('forward.eml', inner)]);
  const { facts } = await parseMessage(raw, CTX, limits);
  const exe = facts.attachments.find((a) => a.name === 'in.exe');
  assert.equal(exe?.trueType, 'exe');
  assert.equal(exe?.parent, '1');
  assert.deepEqual(facts.attachments.find((a) => a.id === '1')?.children, [exe?.id]);
});

test('inputs built to make regexes backtrack finish quickly', async () => {
  const cases: [string, Buffer][] = [
    ['unterminated tags', message([], { headers: ['Content-Type: text/html'], body: '<a'.repeat(300_000) })],
    [
      'unclosed quotes',
      message([], { headers: ['Content-Type: text/html'], body: '<a href="x '.repeat(100_000) }),
    ],
    [
      'unclosed scripts',
      message([], { headers: ['Content-Type: text/html'], body: '<script x'.repeat(100_000) }),
    ],
    [
      'pdf streams',
      message([], [attachment('a.pdf', Buffer.from(`%PDF-1.5\n${'stream\n'.repeat(200_000)}`))]),
    ],
    ['encoded words', Buffer.from(`Subject: ${'=?utf-8?q?'.repeat(100_000)}\r\n\r\nx`)],
    ['parameters', Buffer.from(`Content-Type: text/plain${'; a=b'.repeat(100_000)}\r\n\r\nx`)],
    [
      'delimiters',
      message(
        [],
        Array.from({ length: 900 }, () => ({ headers: [], body: '' })),
      ),
    ],
  ];
  for (const [label, raw] of cases) {
    const t = Date.now();
    await parseMessage(raw, CTX, limits);
    assert.ok(Date.now() - t < 3000, `${label}: ${Date.now() - t} ms`);
  }
});

test('a whitespace-only line in the headers: both the folded and the ended reading are walked', async () => {
  const body = [
    '--X',
    'Content-Type: application/octet-stream; name="a.exe"',
    'Content-Transfer-Encoding: base64',
    '',
    b64(MZ),
    '--X--',
  ].join('\r\n');
  const raw = Buffer.from(
    `From: a@example.com\r\nSubject: x\r\n \t\r\nContent-Type: text/plain\r\n\r\nread as text by one client\r\n`,
  );
  const folded = await parseMessage(raw, CTX, limits);
  assert.match(folded.facts.textBody, /read as text by one client/);
  const hidden = Buffer.from(
    `From: a@example.com\r\nContent-Type: text/plain\r\n \r\nContent-Type: multipart/mixed; boundary="X"\r\n\r\n${body}\r\n`,
  );
  const r = await parseMessage(hidden, CTX, limits);
  assert.ok(
    r.facts.attachments.some((a) => a.name === 'a.exe' && a.trueType === 'exe'),
    JSON.stringify(r.facts.attachments.map((a) => [a.id, a.name])),
  );
  assert.match(r.facts.textBody, /Content-Type: multipart\/mixed/);
});
