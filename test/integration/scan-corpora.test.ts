// Real messages written by others (../shared/corpora/mime: parsers' test suites, malformed on
// purpose) and Debian's clamav-testfiles wrapped as attachments: every one goes through the
// parser without throwing, hanging or blowing memory, and a few known ones give known facts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseMessage } from '../../src/scan/parse/index.js';
import { defaultScanSettings } from '../../src/scan/scan-settings.js';
import type { ParsedMessage } from '../../src/scan/facts.js';
import { CTX, attachment, message } from '../fixtures/mime/builders.js';
import { corpusPath } from '../helpers/corpora.js';

const CORPUS = corpusPath('mime');
const CLAMAV = '/usr/share/clamav-testfiles';
const limits = defaultScanSettings();
const PER_MESSAGE_MS = 5000;
const MiB = 1024 * 1024;

function files(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) out.push(...files(p));
    else if (!/LICENSE|\.md$/i.test(name)) out.push(p);
  }
  return out;
}

/** Parses with a time bound of its own, on top of the parser's. */
async function bounded(raw: Buffer, label: string): Promise<ParsedMessage> {
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${label}: no answer in ${PER_MESSAGE_MS} ms`)),
      PER_MESSAGE_MS,
    );
  });
  try {
    const r = await Promise.race([parseMessage(raw, CTX, limits), hang]);
    assert.ok(Date.now() - started < PER_MESSAGE_MS, label);
    return r;
  } finally {
    clearTimeout(timer);
  }
}

const corpusFiles = existsSync(CORPUS) ? files(CORPUS) : [];
const results = new Map<string, ParsedMessage>();

test(
  'every corpus message parses without throwing, hanging or blowing memory',
  { skip: corpusFiles.length === 0 && `no corpus at ${CORPUS}` },
  async () => {
    assert.ok(corpusFiles.length > 150, `only ${corpusFiles.length} corpus files`);
    const rssBefore = process.memoryUsage().rss;
    for (const file of corpusFiles) {
      const r = await bounded(readFileSync(file), file);
      results.set(path.relative(CORPUS, file), r);
      assert.ok(Array.isArray(r.facts.attachments) && Array.isArray(r.facts.exceptions), file);
      for (const e of r.facts.exceptions) assert.notEqual(e.kind, 'timeout', `${file}: ${e.detail}`);
    }
    const grown = process.memoryUsage().rss - rssBefore;
    assert.ok(grown < 512 * MiB, `rss grew ${Math.round(grown / MiB)} MiB`);
  },
);

test('known corpus messages give known facts', { skip: corpusFiles.length === 0 }, () => {
  const get = (rel: string) => {
    const r = results.get(rel);
    assert.ok(r, `${rel} not parsed`);
    return r.facts;
  };
  // The MIME torture test: nested messages and multiparts, gzip files inside, images, HTML.
  const torture = get('postal-mime/test/fixtures/mimetorture.eml');
  const names = torture.attachments.map((a) => a.name).filter(Boolean);
  for (const n of ['foo.gz', 'blah1.gz', 'htmlfile.html', 'smiley-3.png', 'dot.gif', 'signature.asc']) {
    assert.ok(names.includes(n), `torture test: ${n} missing from ${names.join(', ')}`);
  }
  assert.equal(torture.attachments.find((a) => a.name === 'foo.gz')?.trueType, 'gzip');
  assert.ok(
    torture.attachments.some((a) => a.parent !== undefined && a.depth === 1),
    'gzip members opened',
  );
  assert.deepEqual(torture.exceptions, []);

  const nodemailer = get('mailparser/test/fixtures/nodemailer.eml');
  assert.deepEqual(
    nodemailer.attachments.filter((a) => a.name).map((a) => a.name),
    ['image.png', 'nyan cat ✔.gif', 'notes.txt'],
  );
  assert.equal(nodemailer.attachments.find((a) => a.name === 'image.png')?.trueType, 'image');

  const calendar = get('postal-mime/test/fixtures/calendar-event.eml');
  assert.ok(calendar.attachments.some((a) => a.name === 'invite.ics'));

  // Messages built to exhaust naive parsers come back complete and fast.
  assert.ok(get('mailparser/test/fixtures/large_text.eml').textBody.length > 500_000);
  assert.ok(get('mailparser/test/fixtures/htmllargecallstack.eml').htmlText.length > 0);

  // Broken on purpose: read what can be read, flag what cannot.
  assert.deepEqual(
    get('enmime/testdata/mail/multipart-wo-boundary.raw').exceptions.map((e) => e.kind),
    ['malformed'],
  );
  assert.equal(
    get('enmime/testdata/low-quality/bad-header-wrap.raw').attachments[0]?.name,
    '7DDA4_foo_9E5D72.zip',
  );
});

const clamFiles = existsSync(CLAMAV) ? readdirSync(CLAMAV).sort() : [];

test(
  'every clamav-testfiles file, attached to a message, parses within bounds',
  { skip: clamFiles.length === 0 && `no ${CLAMAV}` },
  async () => {
    const seen = new Map<string, ParsedMessage>();
    for (const name of clamFiles) {
      const data = readFileSync(path.join(CLAMAV, name));
      const raw = message(
        [],
        [{ headers: ['Content-Type: text/plain'], body: 'see attached' }, attachment(name, data)],
      );
      const r = await bounded(raw, name);
      seen.set(name, r);
      const top = r.facts.attachments[0];
      assert.equal(top?.name, name);
      assert.equal(top?.size, data.length);
      assert.ok(r.files[0]?.content.equals(data), name);
    }
    const types = (n: string) => seen.get(n)?.facts.attachments.map((a) => a.trueType);
    assert.deepEqual(types('clam.exe'), ['exe']);
    assert.deepEqual(types('clam.zip'), ['zip', 'exe']);
    assert.deepEqual(types('clam.tar.gz'), ['gzip', 'tar', 'exe']);
    assert.deepEqual(types('clam.ole.doc'), ['ole']);
    assert.deepEqual(types('clam.pdf'), ['pdf']);
    assert.deepEqual(
      seen.get('clam.7z')?.facts.exceptions.map((e) => e.kind),
      ['unscannable'],
    );
    // Members with a compression method we cannot inflate (bzip2, deflate64, implode) are listed.
    for (const n of ['clam.bz2.zip', 'clam.d64.zip', 'clam.impl.zip']) {
      const f = seen.get(n)?.facts;
      assert.equal(f?.attachments[1]?.name?.toLowerCase(), 'clam.exe', n);
      assert.deepEqual(
        f?.exceptions.map((e) => e.kind),
        ['unscannable'],
        n,
      );
    }
    // Nested tgz in tar in tgz...: opened down to the depth limit, then "too-deep".
    const emax = seen.get('clam_cache_emax.tgz')?.facts;
    assert.ok(emax?.exceptions.every((e) => e.kind === 'too-deep'));
    assert.equal(Math.max(...(emax?.attachments.map((a) => a.depth) ?? [])), limits.maxArchiveDepth);
  },
);

test(
  'clamav-testfiles mail and mbox files parse as messages (base64 and uuencode)',
  { skip: clamFiles.length === 0 },
  async () => {
    for (const name of ['clam.mail', 'clam.exe.mbox.base64', 'clam.exe.mbox.uu']) {
      const r = await bounded(readFileSync(path.join(CLAMAV, name)), name);
      const exe = r.facts.attachments.find((a) => a.name === 'clam.exe');
      assert.equal(exe?.trueType, 'exe', name);
      assert.deepEqual(r.facts.exceptions, [], name);
    }
  },
);
