// What the parser says about files: true type from magic bytes, names (extension, double
// extension), Office macros (OOXML and OLE), PDF JavaScript, and text kept for rules.
import { test } from 'node:test';
import { createHash } from 'node:crypto';
import assert from 'node:assert/strict';
import { detectType, extensionOf, hasDoubleExtension, parseMessage } from '../../src/scan/parse/index.js';
import { defaultScanSettings } from '../../src/scan/scan-settings.js';
import {
  CTX,
  attachment,
  gzip,
  message,
  objectStream,
  ole,
  pdf,
  tar,
  zip,
} from '../fixtures/mime/builders.js';

const limits = defaultScanSettings();

async function one(name: string, data: Buffer) {
  const r = await parseMessage(message([], [attachment(name, data)]), CTX, limits);
  const a = r.facts.attachments[0];
  assert.ok(a, `no attachment for ${name}`);
  return { a, file: r.files.find((f) => f.attachmentId === a.id), facts: r.facts };
}

test('true type from magic bytes, whatever the name says', () => {
  const pad = (head: Buffer | string, size = 600) => {
    const b = Buffer.alloc(size, 0x41);
    (typeof head === 'string' ? Buffer.from(head, 'latin1') : head).copy(b);
    return b;
  };
  const cases: [Buffer, string][] = [
    [pad('MZ\x90\x00'), 'exe'],
    [pad('\x7fELF\x02\x01'), 'elf'],
    [pad(Buffer.from('cffaedfe07000001', 'hex')), 'macho'],
    [pad(Buffer.from('cafebabe00000002', 'hex')), 'macho'],
    [pad(Buffer.from('cafebabe00000034', 'hex')), 'unknown'], // a Java class, not a fat Mach-O
    [zip([{ name: 'a.txt', data: Buffer.from('a') }]), 'zip'],
    [zip([{ name: '[Content_Types].xml', data: Buffer.from('<Types/>') }]), 'ooxml'],
    [gzip(Buffer.from('x')), 'gzip'],
    [tar([{ name: 'a.txt', data: Buffer.from('a') }]), 'tar'],
    [pad(Buffer.from('377abcaf271c0004', 'hex')), '7z'],
    [pad('Rar!\x1a\x07\x01\x00'), 'rar'],
    [pad('BZh91AY&SY'), 'bzip2'],
    [pad(Buffer.from('fd377a585a00', 'hex')), 'xz'],
    [pad('MSCF\0\0\0\0'), 'cab'],
    [ole([]), 'ole'],
    [pad('junk before %PDF-1.7\n'), 'pdf'],
    [pad('{\\rtf1\\ansi'), 'rtf'],
    [pad('{\\rtxyz'), 'rtf'], // Word opens it as RTF
    [pad(Buffer.from('89504e470d0a1a0a', 'hex')), 'image'],
    [pad(Buffer.from('ffd8ffe0', 'hex')), 'image'],
    [pad('GIF89a'), 'image'],
    [pad('ID3\x03'), 'audio'],
    [pad('\0\0\0\x18ftypmp42'), 'video'],
    [Buffer.from('  <!DOCTYPE html><html><body>x</body></html>'), 'html'],
    [Buffer.from('#!/bin/sh\nrm -rf /\n'), 'script'],
    [Buffer.from('var s = new ActiveXObject("WScript.Shell");'), 'script'],
    [Buffer.from('name,amount\nalice,10\n'), 'text'],
    [Buffer.from('日本語のテキスト', 'utf8'), 'text'],
    [Buffer.from([0, 1, 2, 3, 0, 5, 6, 7, 8]), 'unknown'],
  ];
  for (const [buf, type] of cases) assert.equal(detectType(buf), type, buf.subarray(0, 12).toString('hex'));
  assert.equal(detectType(Buffer.from('WScript.Echo 1'), 'a.txt'), 'script');
  assert.equal(detectType(Buffer.from('echo hello'), 'run.bat'), 'script');
});

test('extensions and double extensions as Windows reads names', () => {
  assert.equal(extensionOf('Invoice.PDF'), 'pdf');
  assert.equal(extensionOf('archive.tar.gz'), 'gz');
  assert.equal(extensionOf('evil.exe. . '), 'exe');
  assert.equal(extensionOf('dir/sub/a.Scr'), 'scr');
  assert.equal(extensionOf('README'), '');
  assert.equal(hasDoubleExtension('invoice.pdf.exe'), true);
  assert.equal(hasDoubleExtension('a.doc      .scr'), true);
  assert.equal(hasDoubleExtension('photo.jpg.js'), true);
  assert.equal(hasDoubleExtension('report\u202Efdp.exe'), true); // shows as "reportexe.pdf"
  assert.equal(hasDoubleExtension('setup.v2.exe'), false);
  assert.equal(hasDoubleExtension('invoice.pdf'), false);
  assert.equal(hasDoubleExtension('archive.tar.gz'), false);
});

test('attachment facts: double extension from a Japanese RFC 2047 name, hash, size', async () => {
  const raw = message(
    [],
    [
      {
        headers: [
          'Content-Type: application/octet-stream; name="=?ISO-2022-JP?B?GyRCQEE1YT1xGyhCLnBkZi5leGU=?="',
          "Content-Disposition: attachment; filename*=iso-2022-jp''%1B%24B%40A5a%3Dq%1B%28B.pdf.exe",
          'Content-Transfer-Encoding: base64',
        ],
        body: Buffer.from('MZ-fake').toString('base64'),
      },
    ],
  );
  const { facts } = await parseMessage(raw, CTX, limits);
  const a = facts.attachments[0];
  assert.equal(a?.name, '請求書.pdf.exe');
  assert.equal(a?.extension, 'exe');
  assert.equal(a?.doubleExtension, true);
  assert.equal(a?.trueType, 'exe');
  assert.equal(a?.size, 7);
  assert.equal(a?.sha256, createHash('sha256').update('MZ-fake').digest('hex'));
});

test('OOXML: vbaProject.bin or a macro-enabled extension means macros; document text kept', async () => {
  const doc = (withVba: boolean) =>
    zip([
      { name: '[Content_Types].xml', data: Buffer.from('<Types/>') },
      {
        name: 'word/document.xml',
        data: Buffer.from(
          '<w:document><w:body><w:p><w:r><w:t>Confidential 社外秘 http://docx.example/x</w:t></w:r></w:p></w:body></w:document>',
        ),
      },
      ...(withVba
        ? [{ name: 'word/vbaProject.bin', data: ole([{ name: 'VBA', type: 'storage' as const }]) }]
        : []),
    ]);
  const clean = await one('report.docx', doc(false));
  assert.equal(clean.a.trueType, 'ooxml');
  assert.equal(clean.a.hasMacros, false);
  assert.match(clean.file?.text ?? '', /Confidential 社外秘/);
  assert.ok(clean.facts.urls.includes('http://docx.example/x'));
  assert.equal((await one('report.docx', doc(true))).a.hasMacros, true);
  assert.equal((await one('report.docm', doc(false))).a.hasMacros, true);
});

test('OLE: VBA storages mean macros; an EncryptedPackage means an encrypted document', async () => {
  const word = ole([
    { name: 'Macros', type: 'storage' },
    { name: 'VBA', type: 'storage' },
    { name: '_VBA_PROJECT', type: 'stream' },
  ]);
  const w = await one('old.doc', word);
  assert.equal(w.a.trueType, 'ole');
  assert.equal(w.a.hasMacros, true);
  const excel = await one('book.xls', ole([{ name: '_VBA_PROJECT_CUR', type: 'storage' }]));
  assert.equal(excel.a.hasMacros, true);
  const plain = await one('plain.doc', ole([{ name: 'WordDocument', type: 'stream' }]));
  assert.equal(plain.a.hasMacros, false);
  const enc = await one(
    'secret.docx',
    ole([
      { name: 'EncryptionInfo', type: 'stream' },
      { name: 'EncryptedPackage', type: 'stream' },
    ]),
  );
  assert.equal(enc.a.encrypted, true);
  assert.deepEqual(
    enc.facts.exceptions.map((e) => [e.kind, e.attachment]),
    [['encrypted', '1']],
  );
});

test('PDF JavaScript: plain, hex-escaped names, and inside a compressed object stream', async () => {
  assert.equal((await one('a.pdf', pdf())).a.pdfJavascript, false);
  assert.equal(
    (await one('b.pdf', pdf('/OpenAction << /S /JavaScript /JS (app.alert(1)) >>'))).a.pdfJavascript,
    true,
  );
  assert.equal(
    (await one('c.pdf', pdf('/OpenAction << /S /J#61vaScript /J#53 (x) >>'))).a.pdfJavascript,
    true,
  );
  assert.equal((await one('d.pdf', pdf('/AA << /O << /S /#4A#53 >> >>'))).a.pdfJavascript, true);
  const hidden = pdf('/OpenAction 4 0 R', [objectStream('<< /S /JavaScript /JS (app.alert(2)) >>')]);
  assert.ok(!hidden.toString('latin1').includes('/JavaScript'));
  assert.equal((await one('e.pdf', hidden)).a.pdfJavascript, true);
  // "/JSON" or "/JavaScriptX" are other names.
  assert.equal((await one('f.pdf', pdf('/JSON (x) /JavaScriptX 1'))).a.pdfJavascript, false);
});

test('text kept for text-like attachments: CSV, HTML rendered, capped at maxTextBytes', async () => {
  const csv = await one('list.csv', Buffer.from('name,card\nalice,4111 1111 1111 1111\n'));
  assert.equal(csv.file?.text, 'name,card\nalice,4111 1111 1111 1111\n');
  const html = await one(
    'page.html',
    Buffer.from('<html><body><p>Sign in</p><a href="https://phish.example/">go</a></body></html>'),
  );
  assert.equal(html.a.trueType, 'html');
  assert.equal(html.file?.text, 'Sign in\ngo');
  assert.ok(html.facts.urls.includes('https://phish.example/'));
  const r = await parseMessage(message([], [attachment('big.txt', Buffer.alloc(5000, 0x61))]), CTX, {
    ...limits,
    maxTextBytes: 1000,
  });
  assert.equal(r.files[0]?.text?.length, 1000);
  assert.equal(r.files[0]?.content.length, 5000);
  const exe = await one('x.exe', Buffer.concat([Buffer.from('MZ'), Buffer.alloc(100)]));
  assert.equal(exe.file?.text, undefined);
});
