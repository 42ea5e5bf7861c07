import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { applyModifications, type ModifyContext } from '../../src/action/modify.js';
import { decodeBody, leaves, parseMimeTree } from '../../src/action/mime-tree.js';

const EMPTY: ModifyContext = { attachments: new Map() };

const MULTIPART = [
  'Received: from x by y; Sat, 28 Nov 2026 10:00:00 +0000',
  'From: a@sender.test',
  'To: b@example.com',
  'Subject: =?ISO-2022-JP?B?GyRCJUYlOSVIGyhC?=',
  'X-Old: remove me',
  '  folded',
  'MIME-Version: 1.0',
  'Content-Type: multipart/mixed; boundary="BOUND"',
  '',
  'preamble',
  '--BOUND',
  'Content-Type: multipart/alternative; boundary=ALT',
  '',
  '--ALT',
  'Content-Type: text/plain; charset=iso-2022-jp',
  'Content-Transfer-Encoding: 7bit',
  '',
  '\x1b$B$3$s$K$A$O\x1b(B',
  '--ALT',
  'Content-Type: text/html; charset=utf-8',
  'Content-Transfer-Encoding: quoted-printable',
  '',
  '<html><body><p>hello =E2=9C=93</p></body></html>',
  '--ALT--',
  '--BOUND',
  'Content-Type: application/octet-stream; name="run.exe"',
  'Content-Disposition: attachment; filename="run.exe"',
  'Content-Transfer-Encoding: base64',
  '',
  Buffer.from('MZ fake executable').toString('base64'),
  '--BOUND',
  'Content-Type: text/csv; name="data.csv"',
  'Content-Disposition: attachment; filename="data.csv"',
  '',
  'a,b,c',
  '--BOUND--',
  'epilogue',
  '',
].join('\r\n');

function bodies(raw: Buffer): Map<string, string> {
  const { text, root } = parseMimeTree(raw);
  const out = new Map<string, string>();
  for (const p of leaves(root))
    out.set(
      p.filename ?? p.contentType,
      new TextDecoder(p.charset === 'us-ascii' ? 'utf-8' : p.charset).decode(decodeBody(text, p)),
    );
  return out;
}

test('no action: the bytes are untouched', () => {
  const raw = Buffer.from(MULTIPART, 'latin1');
  assert.equal(applyModifications(raw, [], EMPTY), raw);
});

test('header actions: tag subject (non-ASCII kept encoded), add and remove headers, nothing else changes', () => {
  const raw = Buffer.from(MULTIPART, 'latin1');
  const out = applyModifications(
    raw,
    [
      { type: 'tagSubject', text: '[要確認]' },
      { type: 'addHeader', name: 'X-Sekimori-Rule', value: 'Secrets' },
      { type: 'removeHeader', name: 'X-Old' },
    ],
    EMPTY,
  ).toString('latin1');
  assert.match(
    out,
    /^Subject: =\?UTF-8\?B\?W\+imgeeiuuiqjV0=\?= =\?ISO-2022-JP\?B\?GyRCJUYlOSVIGyhC\?=\r\n/m,
  );
  assert.match(out, /^X-Sekimori-Rule: Secrets\r\n/m);
  assert.doesNotMatch(out, /X-Old|folded/);
  const bodyStart = MULTIPART.indexOf('\r\n\r\n');
  assert.equal(out.slice(out.indexOf('\r\n\r\n')), MULTIPART.slice(bodyStart), 'body byte-identical');
});

test('stamp goes into the plain and the HTML alternative, decoded and re-encoded as UTF-8', () => {
  const out = applyModifications(
    Buffer.from(MULTIPART, 'latin1'),
    [{ type: 'stamp', text: 'External mail — be careful', position: 'top' }],
    EMPTY,
  );
  const b = bodies(out);
  assert.equal(
    b.get('text/plain')?.startsWith('External mail — be careful\r\n\r\nこんにちは'),
    true,
    b.get('text/plain'),
  );
  assert.match(b.get('text/html') ?? '', /<body><p>External mail — be careful<\/p><p>hello ✓<\/p>/);
  assert.equal(b.get('data.csv'), 'a,b,c', 'attachments untouched');
});

test('strip replaces the attachment with a note, found by its content hash', () => {
  const sha = createHash('sha256').update('MZ fake executable').digest('hex');
  const ctx: ModifyContext = { attachments: new Map([['3', { sha256: sha, name: 'run.exe' }]]) };
  const out = applyModifications(
    Buffer.from(MULTIPART, 'latin1'),
    [{ type: 'stripAttachments', attachments: ['3'], note: 'Removed %FILENAME% by policy.' }],
    ctx,
  );
  const b = bodies(out);
  assert.equal(b.has('run.exe'), false);
  assert.ok([...b.values()].includes('Removed run.exe by policy.'));
  assert.equal(b.get('data.csv'), 'a,b,c');
  assert.match(out.toString('latin1'), /--BOUND--\r\nepilogue/);
});

test('a single-part message gets its stamp and new content headers in the top-level header', () => {
  const raw = Buffer.from(
    'From: a@b.test\r\nSubject: hi\r\nContent-Type: text/plain; charset=us-ascii\r\nContent-Transfer-Encoding: 7bit\r\n\r\nHello.\r\n',
  );
  const out = applyModifications(raw, [{ type: 'stamp', text: 'Footer', position: 'bottom' }], EMPTY);
  const b = bodies(out);
  assert.equal(b.get('text/plain'), 'Hello.\r\n\r\nFooter\r\n');
  assert.match(out.toString(), /^Subject: hi$/m);
  assert.match(out.toString(), /^Content-Transfer-Encoding: base64$/m);
});
