// The clamd engine against a real clamd (Debian's clamav-daemon) loaded with the project's test
// signature database: what it finds, over a unix socket and over TCP, what happens when a file
// is over StreamMaxLength, and what happens when clamd goes away and comes back.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { emptyFacts, type AttachmentFact, type ExtractedFile, type Facts } from '../../src/scan/facts.js';
import { EngineUnavailableError } from '../../src/scan/virus-engine.js';
import { ClamdEngine } from '../../src/scan/virus/clamd.js';
import {
  parseClamdAddress,
  antivirusSettingsSchema,
  resolveAntivirusSettings,
} from '../../src/scan/virus/antivirus-settings.js';
import { closeVirusEngines, createVirusEngines, scanWithAll } from '../../src/scan/virus/index.js';
import { clamdInstalled, startClamd, type TestClamd } from '../helpers/clamd.js';
import { attachment } from '../helpers/facts.js';
import { EICAR } from '../fixtures/eicar.js';

// In two halves so this file is not itself the test string to a scanner.
const MASS_MAILER_MARKER = 'SEKIMORI-TEST-MASS-MAILER-SIGNATURE-5c1d';
const ADWARE_MARKER = 'SEKIMORI-TEST-ADWARE-SIGNATURE-9e4b';
const PASSCRACK_MARKER = 'SEKIMORI-TEST-PASSWORD-CRACKER-SIGNATURE-27af';
const TESTFILES = '/usr/share/clamav-testfiles';

function facts(attachments: AttachmentFact[] = []): Facts {
  return emptyFacts({
    envelope: { sender: 'a@example.net', recipients: ['b@example.com'], clientIp: '192.0.2.1', helo: 'x' },
    attachments,
  });
}

/** A message and its one attachment, as the parser would hand them over. */
function withAttachment(
  name: string,
  content: Buffer,
): { raw: Buffer; facts: Facts; files: ExtractedFile[] } {
  const raw = Buffer.from(
    [
      'From: a@example.net',
      'To: b@example.com',
      'Subject: test',
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="b1"',
      '',
      '--b1',
      'Content-Type: text/plain',
      '',
      'see attachment',
      '--b1',
      `Content-Type: application/octet-stream; name="${name}"`,
      `Content-Disposition: attachment; filename="${name}"`,
      'Content-Transfer-Encoding: base64',
      '',
      content.toString('base64').replace(/.{76}/g, '$&\r\n'),
      '--b1--',
      '',
    ].join('\r\n'),
  );
  return { raw, facts: facts([attachment('2', { name })]), files: [{ attachmentId: '2', content }] };
}

const CLEAN_RAW = Buffer.from('From: a@example.net\r\nTo: b@example.com\r\nSubject: hi\r\n\r\nhello\r\n');

/** Bytes that match nothing, with a marker in the middle. */
const embed = (marker: string) => Buffer.concat([randomBytes(3000), Buffer.from(marker), randomBytes(3000)]);

describe('clamd engine against a real clamd', { skip: !clamdInstalled() && 'clamd not installed' }, () => {
  let clamd: TestClamd;
  let unix: ClamdEngine;
  let tcp: ClamdEngine;

  const engineFor = (address: string, connections = 4) => {
    const a = parseClamdAddress(address);
    assert.ok(a);
    return new ClamdEngine({ address: a, timeout: 10_000, connectTimeout: 2_000, connections });
  };

  before(async () => {
    clamd = await startClamd({ streamMaxLength: '4M' }); // above the largest clamav-testfiles file
    unix = engineFor(clamd.unixAddress);
    tcp = engineFor(clamd.tcpAddress);
  });
  after(async () => {
    await unix?.close();
    await tcp?.close();
    await clamd?.close();
  });

  test('EICAR attached: found in the attachment, category virus, engine string from VERSION', async () => {
    const m = withAttachment('eicar.com', Buffer.from(EICAR));
    const r = await unix.scan(m.raw, m.facts, m.files);
    // clamd also finds it in the raw message (it decodes MIME); reported once, on the attachment.
    assert.deepEqual(r.findings, [
      { name: 'Eicar-Test-Signature', category: 'virus', engine: 'clamd', attachment: '2' },
    ]);
    assert.deepEqual(r.exceptions, []);
    assert.match(r.engines.clamd ?? '', /^ClamAV \d+\.\d+/);
  });

  test('EICAR in the raw message only (no extracted file): found for the message as a whole', async () => {
    const raw = Buffer.from(`From: a@example.net\r\nSubject: t\r\n\r\n${EICAR}\r\n`);
    const r = await unix.scan(raw, facts(), []);
    assert.deepEqual(r.findings, [{ name: 'Eicar-Test-Signature', category: 'virus', engine: 'clamd' }]);
  });

  test('EICAR inside another file (body signature, not only the whole-file hash)', async () => {
    const r = await unix.scan(CLEAN_RAW, facts([attachment('2', { name: 'notes.txt' })]), [
      { attachmentId: '2', content: Buffer.from(`some text first\n${EICAR}\nand after\n`) },
    ]);
    assert.deepEqual(
      r.findings.map((f) => [f.name, f.attachment]),
      [['Eicar-Test-Signature', '2']],
    );
  });

  test(
    'every clamav-testfiles file, scanned as an attachment, is ClamAV-Test-File',
    {
      skip: !existsSync(TESTFILES) && 'clamav-testfiles not installed',
    },
    async () => {
      const names = readdirSync(TESTFILES).sort();
      assert.ok(names.length >= 40, `${names.length} test files`);
      const atts = names.map((n, i) => attachment(String(i + 2), { name: n }));
      const files = names.map((n, i) => ({
        attachmentId: String(i + 2),
        content: readFileSync(`${TESTFILES}/${n}`),
      }));
      const r = await unix.scan(CLEAN_RAW, facts(atts), files);
      const found = new Map(r.findings.map((f) => [f.attachment, f]));
      const missed: string[] = [];
      atts.forEach((a) => {
        const f = found.get(a.id);
        if (f?.name !== 'ClamAV-Test-File') missed.push(a.name ?? a.id);
        else assert.equal(f.category, 'virus');
      });
      assert.deepEqual(missed, [], `clamd could not find the test virus in: ${missed.join(', ')}`);
      assert.deepEqual(r.exceptions, []);
    },
  );

  test('project signatures: mass-mailer, adware and password cracker land in their categories', async () => {
    const atts = [
      attachment('2', { name: 'a.bin' }),
      attachment('3', { name: 'b.bin' }),
      attachment('4', { name: 'c.bin' }),
    ];
    const files = [
      { attachmentId: '2', content: embed(MASS_MAILER_MARKER) },
      { attachmentId: '3', content: embed(ADWARE_MARKER) },
      { attachmentId: '4', content: embed(PASSCRACK_MARKER) },
    ];
    const r = await tcp.scan(CLEAN_RAW, facts(atts), files);
    const byAttachment = Object.fromEntries(r.findings.map((f) => [f.attachment, [f.name, f.category]]));
    assert.deepEqual(byAttachment, {
      '2': ['Sekimori.Test.MassMailer', 'mass-mailing'],
      '3': ['PUA.Sekimori.Test.Adware', 'adware'],
      '4': ['PUA.Win.Tool.PassCrack.Sekimori-Test', 'password-cracker'],
    });
  });

  test('a clean message and clean files: nothing found, over unix socket and TCP', async () => {
    const atts = [attachment('2', { name: 'photo.jpg' }), attachment('3', { name: 'empty.txt' })];
    const files = [
      { attachmentId: '2', content: randomBytes(200_000) },
      { attachmentId: '3', content: Buffer.alloc(0) },
    ];
    for (const engine of [unix, tcp]) {
      const r = await engine.scan(CLEAN_RAW, facts(atts), files);
      assert.deepEqual(r.findings, []);
      assert.deepEqual(r.exceptions, []);
      assert.ok(r.engines.clamd);
    }
  });

  for (const via of ['unix', 'tcp'] as const) {
    test(`over StreamMaxLength (${via}): a "too-large" exception, not a failure; smaller files still scanned`, async () => {
      const engine = via === 'unix' ? unix : tcp;
      // 5 MB: clamd's "size limit exceeded" reply is read. 32 MB: we are still writing when clamd
      // hangs up, and over TCP the reset usually swallows the reply; both must be "too-large".
      const big = Buffer.concat([randomBytes(5 * 1024 * 1024), Buffer.from(EICAR)]);
      const huge = Buffer.alloc(32 * 1024 * 1024, 0x41);
      const atts = [
        attachment('2', { name: 'big.iso' }),
        attachment('3', { name: 'eicar.com' }),
        attachment('4', { name: 'huge.iso' }),
      ];
      const files = [
        { attachmentId: '2', content: big },
        { attachmentId: '3', content: Buffer.from(EICAR) },
        { attachmentId: '4', content: huge },
      ];
      const r = await engine.scan(CLEAN_RAW, facts(atts), files);
      assert.deepEqual(r.exceptions, [
        {
          kind: 'too-large',
          detail: `attachment "big.iso" is larger than clamd's StreamMaxLength`,
          attachment: '2',
        },
        {
          kind: 'too-large',
          detail: `attachment "huge.iso" is larger than clamd's StreamMaxLength`,
          attachment: '4',
        },
      ]);
      assert.deepEqual(
        r.findings.map((f) => [f.name, f.attachment]),
        [['Eicar-Test-Signature', '3']],
      );

      // The raw message itself over the limit: an exception for the message as a whole.
      const m = withAttachment('big.iso', randomBytes(4 * 1024 * 1024));
      const whole = await engine.scan(m.raw, m.facts, []);
      assert.deepEqual(
        whole.exceptions.map((e) => [e.kind, e.attachment]),
        [['too-large', undefined]],
      );
    });
  }

  test('many files with few connections: all scanned, each answer matched to its file', async () => {
    const few = engineFor(clamd.unixAddress, 2);
    try {
      const atts: AttachmentFact[] = [];
      const files: ExtractedFile[] = [];
      for (let i = 0; i < 30; i++) {
        atts.push(attachment(String(i + 2), { name: `f${i}.bin` }));
        files.push({
          attachmentId: String(i + 2),
          content: i % 3 === 0 ? embed(ADWARE_MARKER) : randomBytes(5000),
        });
      }
      const r = await few.scan(CLEAN_RAW, facts(atts), files);
      const expected = files.filter((_, i) => i % 3 === 0).map((f) => f.attachmentId);
      assert.deepEqual(
        r.findings.map((f) => f.attachment),
        expected,
      );
    } finally {
      await few.close();
    }
  });

  test('settings → createVirusEngines → scanWithAll: builtin and clamd both report EICAR', async () => {
    const s = resolveAntivirusSettings(antivirusSettingsSchema.parse({ clamd: clamd.tcpAddress }));
    const engines = createVirusEngines(s);
    try {
      const m = withAttachment('eicar.com', Buffer.from(EICAR));
      const r = await scanWithAll(engines, m.raw, m.facts, m.files);
      assert.deepEqual(r.findings.map((f) => `${f.engine}:${f.name}:${f.attachment}`).sort(), [
        'builtin:Eicar-Test-Signature:2',
        'clamd:Eicar-Test-Signature:2',
      ]);
      assert.deepEqual(Object.keys(r.engines).sort(), ['builtin', 'clamd']);
    } finally {
      await closeVirusEngines(engines);
    }
  });

  test('clamd stopped → EngineUnavailableError (unix and TCP); started again → the same engines scan', async () => {
    const m = withAttachment('eicar.com', Buffer.from(EICAR));
    await clamd.stop();
    try {
      for (const engine of [unix, tcp]) {
        await assert.rejects(engine.scan(m.raw, m.facts, m.files), (err: unknown) => {
          assert.ok(err instanceof EngineUnavailableError, String(err));
          assert.equal(err.engine, 'clamd');
          assert.match(err.message, /cannot connect \((ENOENT|ECONNREFUSED)\)/);
          return true;
        });
      }
    } finally {
      await clamd.start();
    }
    for (const engine of [unix, tcp]) {
      const r = await engine.scan(m.raw, m.facts, m.files);
      assert.equal(r.findings[0]?.name, 'Eicar-Test-Signature');
    }
  });

  test('clamd hanging (accepts, never answers) → EngineUnavailableError after the scan timeout', async () => {
    const a = parseClamdAddress(clamd.unixAddress);
    assert.ok(a);
    const impatient = new ClamdEngine({ address: a, timeout: 500, connectTimeout: 500, connections: 2 });
    clamd.pause();
    try {
      const started = Date.now();
      await assert.rejects(impatient.scan(CLEAN_RAW, facts(), []), (err: unknown) => {
        assert.ok(err instanceof EngineUnavailableError, String(err));
        assert.match(err.message, /within 500 ms/);
        return true;
      });
      assert.ok(Date.now() - started < 5_000);
    } finally {
      clamd.resume();
    }
    assert.deepEqual((await impatient.scan(CLEAN_RAW, facts(), [])).findings, []);
    await impatient.close();
  });

  test('restart() in the middle of use: scans after it succeed', async () => {
    await clamd.restart();
    const r = await tcp.scan(CLEAN_RAW, facts(), []);
    assert.deepEqual(r.findings, []);
    assert.equal(await tcp.ping(), true);
  });
});
