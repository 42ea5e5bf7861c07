// The built-in engine: EICAR without any database, and each heuristic on and off.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { emptyFacts, type AttachmentFact, type ExtractedFile, type Facts } from '../../src/scan/facts.js';
import { BuiltinEngine } from '../../src/scan/virus/builtin.js';
import { isEicar } from '../../src/scan/virus/eicar.js';
import { detectPacker } from '../../src/scan/virus/pe-packer.js';
import { defaultAntivirusSettings, type HeuristicSettings } from '../../src/scan/virus/antivirus-settings.js';
import { attachment } from '../helpers/facts.js';
import { EICAR } from '../fixtures/eicar.js';

// In two halves so this file is not itself the test string to a scanner.
const TESTFILES = '/usr/share/clamav-testfiles';

function facts(attachments: AttachmentFact[] = [], over: Partial<Facts> = {}): Facts {
  return emptyFacts({
    envelope: { sender: 'a@example.net', recipients: ['b@example.com'], clientIp: '192.0.2.1', helo: 'x' },
    attachments,
    ...over,
  });
}

const file = (attachmentId: string, content: Buffer | string): ExtractedFile => ({
  attachmentId,
  content: Buffer.isBuffer(content) ? content : Buffer.from(content, 'latin1'),
});

const RAW = Buffer.from('From: a@example.net\r\nTo: b@example.com\r\nSubject: hi\r\n\r\nhello\r\n');

function engine(heuristics: Partial<HeuristicSettings> = {}): BuiltinEngine {
  const defaults = defaultAntivirusSettings().heuristics;
  return new BuiltinEngine({ heuristics: { ...defaults, ...heuristics } });
}

test('EICAR: the 68 bytes, optionally followed by the allowed white space, up to 128 bytes', () => {
  assert.ok(isEicar(Buffer.from(EICAR)));
  assert.ok(isEicar(Buffer.from(EICAR + '\r\n \t\x1a')));
  assert.ok(isEicar(Buffer.from(EICAR + ' '.repeat(128 - 68))));
  assert.ok(!isEicar(Buffer.from(EICAR + ' '.repeat(128 - 68 + 1))), 'longer than 128 bytes');
  assert.ok(!isEicar(Buffer.from(EICAR + 'x')), 'other trailing bytes');
  assert.ok(!isEicar(Buffer.from(' ' + EICAR)), 'must start the file');
  assert.ok(!isEicar(Buffer.from(EICAR.slice(0, 67))));
});

test('builtin finds EICAR in a file, in the message body and in the decoded text, as a virus', async () => {
  const inFile = await engine().scan(RAW, facts([attachment('2')]), [file('2', EICAR + '\r\n')]);
  assert.deepEqual(inFile.findings, [
    { name: 'Eicar-Test-Signature', category: 'virus', engine: 'builtin', attachment: '2' },
  ]);
  assert.deepEqual(inFile.engines, { builtin: '1' });

  const raw = Buffer.from(`Subject: test\r\n\r\n${EICAR}\r\n`);
  const inBody = await engine().scan(raw, facts(), []);
  assert.deepEqual(inBody.findings, [{ name: 'Eicar-Test-Signature', category: 'virus', engine: 'builtin' }]);

  // Base64-encoded body: only the parser's decoded text shows it.
  const encoded = Buffer.from(
    `Content-Transfer-Encoding: base64\n\n${Buffer.from(EICAR).toString('base64')}\n`,
  );
  const inText = await engine().scan(encoded, facts([], { textBody: `${EICAR}\n` }), []);
  assert.equal(inText.findings.length, 1);

  const clean = await engine().scan(RAW, facts([attachment('2')]), [file('2', `see ${EICAR}`)]);
  assert.deepEqual(clean.findings, [], 'EICAR not at the start of the file is not the test file');
});

test('executable inside an archive → Heuristic.ExecutableInArchive; at the top level it is not', async () => {
  const atts = [
    attachment('2', { name: 'a.zip', trueType: 'zip', children: ['2!run.exe', '2!x.sh', '2!a.txt'] }),
    attachment('2!run.exe', { name: 'run.exe', trueType: 'exe', depth: 1, parent: '2' }),
    attachment('2!x.sh', { name: 'x.sh', trueType: 'script', depth: 1, parent: '2' }),
    attachment('2!a.txt', { name: 'a.txt', trueType: 'text', depth: 1, parent: '2' }),
    attachment('3', { name: 'setup.exe', trueType: 'exe', depth: 0 }),
    attachment('4', { name: 'tool', trueType: 'elf', depth: 2, parent: '5' }),
  ];
  const r = await engine().scan(RAW, facts(atts), []);
  assert.deepEqual(
    r.findings.map((f) => [f.name, f.attachment, f.category]),
    [
      ['Heuristic.ExecutableInArchive', '2!run.exe', 'virus'],
      ['Heuristic.ExecutableInArchive', '2!x.sh', 'virus'],
      ['Heuristic.ExecutableInArchive', '4', 'virus'],
    ],
  );
  const off = await engine({ executableInArchive: false }).scan(RAW, facts(atts), []);
  assert.deepEqual(off.findings, []);
});

test('double extension with an executable last extension → Heuristic.DoubleExtension', async () => {
  const atts = [attachment('2', { name: 'invoice.pdf.exe', doubleExtension: true, trueType: 'exe' })];
  const r = await engine().scan(RAW, facts(atts), []);
  assert.deepEqual(r.findings, [
    { name: 'Heuristic.DoubleExtension', category: 'virus', engine: 'builtin', attachment: '2' },
  ]);
  assert.deepEqual((await engine({ doubleExtension: false }).scan(RAW, facts(atts), [])).findings, []);
});

test('macro document → Heuristic.MacroDocument in grayware-other, so rules can treat it apart', async () => {
  const atts = [attachment('2', { name: 'budget.xlsm', trueType: 'ooxml', hasMacros: true })];
  const r = await engine().scan(RAW, facts(atts), []);
  assert.deepEqual(r.findings, [
    { name: 'Heuristic.MacroDocument', category: 'grayware-other', engine: 'builtin', attachment: '2' },
  ]);
  assert.deepEqual((await engine({ macroDocument: false }).scan(RAW, facts(atts), [])).findings, []);
});

test('encrypted archive → an "encrypted" scan exception, not a virus', async () => {
  const atts = [attachment('2', { name: 'secret.zip', trueType: 'zip', encrypted: true })];
  const r = await engine().scan(RAW, facts(atts), []);
  assert.deepEqual(r.findings, []);
  assert.deepEqual(r.exceptions, [
    {
      kind: 'encrypted',
      detail: 'attachment "secret.zip" is encrypted and cannot be scanned',
      attachment: '2',
    },
  ]);
  assert.deepEqual((await engine({ encryptedArchive: false }).scan(RAW, facts(atts), [])).exceptions, []);
});

test('administrators can move a heuristic to another category', async () => {
  const e = new BuiltinEngine({
    heuristics: defaultAntivirusSettings().heuristics,
    categories: [{ pattern: 'Heuristic.ExecutableIn*', category: 'grayware-other' }],
  });
  const atts = [attachment('2!a.exe', { trueType: 'exe', depth: 1, parent: '2' })];
  const r = await e.scan(RAW, facts(atts), []);
  assert.equal(r.findings[0]?.category, 'grayware-other');
});

test(
  'packed executables from clamav-testfiles → Heuristic.PackedExecutable; installers are not packed',
  {
    skip: !existsSync(TESTFILES) && 'clamav-testfiles not installed',
  },
  async () => {
    const packed = [
      'clam-upx.exe',
      'clam-aspack.exe',
      'clam-petite.exe',
      'clam-mew.exe',
      'clam-wwpack.exe',
      'clam-yc.exe',
      'clam-pespin.exe',
      'clam-upack.exe',
      'clam.ea06.exe',
    ];
    for (const name of packed) {
      assert.ok(detectPacker(readFileSync(`${TESTFILES}/${name}`)).packed, `${name} is packed`);
    }
    // Installers keep a linker's layout. (clam-fsg.exe is not recognised either: its headers
    // look like a linker's; clamd's unpacker still finds the test virus in it.)
    for (const name of ['clam_ISmsi_ext.exe', 'clam_IScab_int.exe', 'clam-nsis.exe']) {
      assert.ok(!detectPacker(readFileSync(`${TESTFILES}/${name}`)).packed, `${name} is not packed`);
    }
    const atts = [attachment('2', { name: 'clam-upx.exe', trueType: 'exe' })];
    const files = [file('2', readFileSync(`${TESTFILES}/clam-upx.exe`))];
    const r = await engine().scan(RAW, facts(atts), files);
    assert.deepEqual(
      r.findings.map((f) => f.name),
      ['Heuristic.PackedExecutable'],
    );
    assert.deepEqual((await engine({ packedExecutable: false }).scan(RAW, facts(atts), files)).findings, []);
  },
);

test('a truncated or non-PE file is simply not packed', () => {
  assert.equal(detectPacker(Buffer.from('MZ')).packed, false);
  const fake = Buffer.alloc(128);
  fake.write('MZ');
  fake.writeUInt32LE(0xfff0, 0x3c); // PE header offset past the end
  assert.equal(detectPacker(fake).packed, false);
  assert.equal(detectPacker(Buffer.from('%PDF-1.7')).packed, false);
});
