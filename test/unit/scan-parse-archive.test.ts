// Archives: zip, gzip and tar members as attachments with their tree (depth, parent, children),
// encrypted members, and the limits that stop bombs (ratio, single-file and total expanded
// size, file count, nesting) before memory or time run out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import { parseMessage } from '../../src/scan/parse/index.js';
import { defaultScanSettings } from '../../src/scan/scan-settings.js';
import { CTX, attachment, crc32, gzip, message, rar4, rar5, tar, zip } from '../fixtures/mime/builders.js';

const limits = defaultScanSettings();
const MZ = Buffer.concat([Buffer.from('MZ\x90\x00', 'latin1'), Buffer.alloc(300, 7)]);
const MiB = 1024 * 1024;

async function parseAttached(name: string, data: Buffer, settings = limits) {
  const text = { headers: ['Content-Type: text/plain'], body: 'see attached' };
  return parseMessage(message([], [text, attachment(name, data)]), CTX, settings);
}

/**
 * Raw deflate of `mib` MiB of zeros, built without ever holding them: one MiB of zeros deflated
 * with a full flush (byte-aligned, dictionary reset) is repeated, then a final empty block.
 */
function zeroDeflate(mib: number): Buffer {
  const block = zlib.deflateRawSync(Buffer.alloc(MiB), {
    level: 9,
    finishFlush: zlib.constants.Z_FULL_FLUSH,
  });
  return Buffer.concat([...Array.from({ length: mib }, () => block), Buffer.from([0x03, 0x00])]);
}

/** A zip entry whose deflated data is given as it is (sizes declared by the caller). */
function rawDeflatedZip(name: string, deflated: Buffer, declaredSize: number): Buffer {
  const z = zip([{ name, data: Buffer.alloc(0), method: 0 }]);
  // Rebuild around the given data: local header, data, central directory, end record.
  const local = Buffer.from(z.subarray(0, 30 + name.length));
  local.writeUInt16LE(8, 8);
  local.writeUInt32LE(deflated.length, 18);
  local.writeUInt32LE(Math.min(declaredSize, 0xffffffff), 22);
  const cdStart = 30 + name.length;
  const central = Buffer.from(z.subarray(cdStart, cdStart + 46 + name.length));
  central.writeUInt16LE(8, 10);
  central.writeUInt32LE(deflated.length, 20);
  central.writeUInt32LE(Math.min(declaredSize, 0xffffffff), 24);
  const end = Buffer.from(z.subarray(z.length - 22));
  end.writeUInt32LE(local.length + deflated.length, 16);
  return Buffer.concat([local, deflated, central, end]);
}

test('zip → tar.gz → zip: members are attachments with depth, parent and children', async () => {
  const inner = zip([{ name: 'f.js', data: Buffer.from('WScript.Echo("x")') }]);
  const tgz = gzip(
    tar([
      { name: 'd.exe', data: MZ },
      { name: 'sub/e.zip', data: inner },
    ]),
    'b.tar',
  );
  const outer = zip([
    { name: 'b.tar.gz', data: tgz, method: 0 },
    { name: 'c.txt', data: Buffer.from('hello http://in-zip.example/ page') },
  ]);
  const { facts, files } = await parseAttached('a.zip', outer);
  const rows = facts.attachments.map((a) => [a.id, a.trueType, a.depth, a.parent ?? '-']);
  assert.deepEqual(rows, [
    ['2', 'zip', 0, '-'],
    ['2!b.tar.gz', 'gzip', 1, '2'],
    ['2!b.tar.gz!b.tar', 'tar', 2, '2!b.tar.gz'],
    ['2!b.tar.gz!b.tar!d.exe', 'exe', 3, '2!b.tar.gz!b.tar'],
    ['2!b.tar.gz!b.tar!sub/e.zip', 'zip', 3, '2!b.tar.gz!b.tar'],
    ['2!b.tar.gz!b.tar!sub/e.zip!f.js', 'script', 4, '2!b.tar.gz!b.tar!sub/e.zip'],
    ['2!c.txt', 'text', 1, '2'],
  ]);
  const byId = new Map(facts.attachments.map((a) => [a.id, a]));
  assert.deepEqual(byId.get('2')?.children, ['2!b.tar.gz', '2!c.txt']);
  assert.deepEqual(byId.get('2!b.tar.gz!b.tar')?.children, [
    '2!b.tar.gz!b.tar!d.exe',
    '2!b.tar.gz!b.tar!sub/e.zip',
  ]);
  assert.equal(byId.get('2!b.tar.gz!b.tar!d.exe')?.extension, 'exe');
  assert.ok(files.find((f) => f.attachmentId === '2!b.tar.gz!b.tar!d.exe')?.content.equals(MZ));
  assert.ok(facts.urls.includes('http://in-zip.example/'));
  assert.deepEqual(facts.exceptions, []);
});

test('encrypted zip entries: encrypted flag and an "encrypted" exception on the member', async () => {
  const z = zip([
    { name: 'readme.txt', data: Buffer.from('password is 1234') },
    { name: 'invoice.exe', data: MZ, encrypted: true },
  ]);
  const { facts, files } = await parseAttached('secure.zip', z);
  const member = facts.attachments.find((a) => a.id === '2!invoice.exe');
  assert.equal(member?.encrypted, true);
  assert.equal(member?.extension, 'exe');
  assert.equal(member?.size, MZ.length);
  assert.deepEqual(
    facts.exceptions.map((e) => [e.kind, e.attachment]),
    [['encrypted', '2!invoice.exe']],
  );
  assert.equal(
    files.some((f) => f.attachmentId === '2!invoice.exe'),
    false,
  );
});

test('Shift_JIS member names without the UTF-8 flag are decoded', async () => {
  const z = zip([
    { name: '', rawName: Buffer.from('8ca990cf8f912e786c736d', 'hex'), data: Buffer.from('x') },
  ]);
  const { facts } = await parseAttached('a.zip', z);
  assert.equal(facts.attachments[1]?.name, '見積書.xlsm');
});

test('concatenated zips: files only a local-header reader sees are scanned too', async () => {
  const hidden = zip([{ name: 'evil.exe', data: MZ }]);
  const shown = zip([{ name: 'readme.txt', data: Buffer.from('hello') }]);
  const { facts } = await parseAttached('two.zip', Buffer.concat([hidden, shown]));
  const names = facts.attachments.map((a) => a.name).sort();
  assert.deepEqual(names, ['evil.exe', 'readme.txt', 'two.zip']);
  assert.equal(facts.attachments.find((a) => a.name === 'evil.exe')?.trueType, 'exe');
});

test('compression ratio: a small member expanding over 100x stops at the cap', async () => {
  const z = zip([{ name: 'zeros.bin', data: Buffer.alloc(5 * MiB) }]);
  assert.ok(z.length < 10_000);
  const { facts } = await parseAttached('r.zip', z);
  assert.deepEqual(
    facts.exceptions.map((e) => [e.kind, e.attachment]),
    [['ratio', '2!zeros.bin']],
  );
  const member = facts.attachments.find((a) => a.id === '2!zeros.bin');
  assert.equal(member?.sha256, '');
  assert.equal(member?.size, 5 * MiB);
});

test('a 10 GiB gzip and a 42.zip-style bomb stop at the limits without eating memory', async () => {
  const before = process.memoryUsage().rss;
  // 10 GiB of zeros in a 10 MB gzip: the single-file limit stops it.
  const deflated = zeroDeflate(10 * 1024);
  const header = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]);
  const trailer = Buffer.alloc(8);
  const gz = Buffer.concat([header, deflated, trailer]);
  const t0 = Date.now();
  const g = await parseAttached('huge.bin.gz', gz, { ...limits, maxCompressionRatio: 100_000 });
  assert.deepEqual(
    g.facts.exceptions.map((e) => e.kind),
    ['too-large'],
  );
  assert.match(g.facts.exceptions[0]?.detail ?? '', /decompressed file over/);
  assert.ok(Date.now() - t0 < 10_000, `took ${Date.now() - t0} ms`);

  // 42.zip style: 16 zips of 16 members of 1 GiB each (4 TiB in total), a few hundred kB.
  const leaf = zeroDeflate(1024);
  const level1 = zip(
    Array.from({ length: 16 }, (_, i) => ({
      name: `${i}.zip`,
      data: rawDeflatedZip(`${i}.bin`, leaf, 2 ** 30),
    })),
  );
  const level2 = zip(Array.from({ length: 16 }, (_, i) => ({ name: `l${i}.zip`, data: level1 })));
  const t1 = Date.now();
  const r = await parseAttached('42.zip', level2);
  const kinds = new Set(r.facts.exceptions.map((e) => e.kind));
  assert.ok(kinds.has('ratio') || kinds.has('too-large'), [...kinds].join());
  assert.ok(kinds.has('too-large'), 'total expanded size reached');
  assert.ok(Date.now() - t1 < 20_000, `took ${Date.now() - t1} ms`);
  const grown = process.memoryUsage().rss - before;
  assert.ok(grown < 600 * MiB, `rss grew ${Math.round(grown / MiB)} MiB`);
  assert.ok(crc32(Buffer.from('x')) > 0);
});

test('30 levels of zips in zips stop at maxArchiveDepth with "too-deep"', async () => {
  let data: Buffer = MZ;
  let name = 'core.exe';
  for (let i = 0; i < 30; i++) {
    data = zip([{ name, data }]);
    name = `level${29 - i}.zip`;
  }
  const { facts } = await parseAttached('level0.zip', data);
  const depths = facts.attachments.map((a) => a.depth);
  assert.equal(Math.max(...depths), limits.maxArchiveDepth);
  assert.deepEqual(
    facts.exceptions.map((e) => e.kind),
    ['too-deep'],
  );
  assert.equal(facts.exceptions[0]?.attachment, facts.attachments[facts.attachments.length - 1]?.id);
  const shallow = await parseAttached('level0.zip', data, { ...limits, maxArchiveDepth: 2 });
  assert.equal(Math.max(...shallow.facts.attachments.map((a) => a.depth)), 2);
});

test('too many files: listing stops at maxArchiveFiles with "too-many-files"', async () => {
  const z = zip(
    Array.from({ length: 60 }, (_, i) => ({ name: `f${i}.txt`, data: Buffer.from(`file ${i}`) })),
  );
  const { facts } = await parseAttached('many.zip', z, { ...limits, maxArchiveFiles: 20 });
  assert.equal(facts.attachments.length, 21);
  assert.deepEqual(
    facts.exceptions.map((e) => [e.kind, e.attachment]),
    [['too-many-files', '2']],
  );
});

test('total expanded size: members past maxExpandedSize are not inflated', async () => {
  const z = zip(Array.from({ length: 8 }, (_, i) => ({ name: `r${i}.bin`, data: Buffer.alloc(MiB, i + 1) })));
  const { facts, files } = await parseAttached('t.zip', z, {
    ...limits,
    maxExpandedSize: 3 * MiB,
    maxCompressionRatio: 10_000,
  });
  assert.ok(facts.exceptions.some((e) => e.kind === 'too-large' && /archives expand/.test(e.detail)));
  const full = files.filter((f) => f.attachmentId.startsWith('2!'));
  assert.equal(full.length, 3);
});

test('damaged and unlisted archives are "unscannable"; gzip without a name gets one', async () => {
  const z = zip([{ name: 'a.txt', data: Buffer.from('hello world hello world') }]);
  const truncated = z.subarray(0, z.length - 30);
  const t = await parseAttached('cut.zip', truncated);
  assert.ok(t.facts.exceptions.some((e) => e.kind === 'unscannable'));
  const seven = Buffer.concat([Buffer.from('377abcaf271c0004', 'hex'), Buffer.alloc(100)]);
  const s = await parseAttached('a.7z', seven);
  assert.deepEqual(
    s.facts.exceptions.map((e) => e.kind),
    ['unscannable'],
  );
  const g = await parseAttached('notes.txt.gz', gzip(Buffer.from('plain notes')));
  assert.equal(g.facts.attachments[1]?.name, 'notes.txt');
  assert.equal(g.files[1]?.text, 'plain notes');
});

test('RAR 4 and 5: members listed by name and size, encrypted members flagged', async () => {
  for (const [label, build] of [
    ['rar5', rar5],
    ['rar4', rar4],
  ] as const) {
    const data = build([
      { name: 'readme.txt', size: 10 },
      { name: 'payload.exe', size: 100, encrypted: true },
    ]);
    const { facts, files } = await parseAttached(`a.${label}`, data);
    assert.deepEqual(
      facts.attachments.map((a) => [a.id, a.trueType, a.depth, a.size, a.encrypted]),
      [
        ['2', 'rar', 0, data.length, false],
        ['2!readme.txt', 'unknown', 1, 10, false],
        ['2!payload.exe', 'unknown', 1, 100, true],
      ],
      label,
    );
    assert.equal(facts.attachments[2]?.extension, 'exe');
    assert.deepEqual(
      facts.exceptions.map((e) => [e.kind, e.attachment]),
      [['encrypted', '2!payload.exe']],
      label,
    );
    assert.equal(files.length, 1, 'members of a listed-only archive carry no content');
  }
});
