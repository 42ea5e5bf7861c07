// Antivirus settings, the signature-name → category mapping, clamd reply parsing, the merge of
// several engines' results, and what a clamd that accepts but never answers does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { emptyFacts, type ExtractedFile, type Facts } from '../../src/scan/facts.js';
import {
  EngineUnavailableError,
  type VirusEngine,
  type VirusScanResult,
} from '../../src/scan/virus-engine.js';
import {
  antivirusSettingsSchema,
  parseClamdAddress,
  resolveAntivirusSettings,
} from '../../src/scan/virus/antivirus-settings.js';
import { categorize, createCategorizer } from '../../src/scan/virus/categories.js';
import { parseInstreamReply } from '../../src/scan/virus/clamd-protocol.js';
import { ClamdEngine } from '../../src/scan/virus/clamd.js';
import { Limiter } from '../../src/scan/virus/limiter.js';
import {
  BuiltinEngine,
  createVirusEngines,
  scanWithAll,
  signatureScanningEnabled,
} from '../../src/scan/virus/index.js';

const facts = (over: Partial<Facts> = {}): Facts =>
  emptyFacts({ envelope: { sender: '', recipients: [], clientIp: '127.0.0.1', helo: 'x' }, ...over });

const settings = (doc: unknown) => resolveAntivirusSettings(antivirusSettingsSchema.parse(doc));

test('defaults: no clamd (built-in engine only), 30 s scan timeout, every heuristic on', () => {
  const s = settings(undefined);
  assert.equal(s.clamd, undefined);
  assert.equal(s.clamdTimeout, 30_000);
  assert.equal(s.clamdConnectTimeout, 5_000);
  assert.equal(s.clamdConnections, 4);
  assert.deepEqual(s.heuristics, {
    executableInArchive: true,
    packedExecutable: true,
    doubleExtension: true,
    macroDocument: true,
    encryptedArchive: true,
  });
  assert.deepEqual(s.categories, []);
  assert.equal(signatureScanningEnabled(s), false);
  assert.deepEqual(
    createVirusEngines(s).map((e) => e.name),
    ['builtin'],
  );
});

test('clamd addresses: unix socket or host:port; a heuristic turned off; durations in ms', () => {
  const s = settings({
    clamd: 'unix:/run/clamav/clamd.ctl',
    clamdTimeout: '2m',
    heuristics: { macroDocument: false },
    categories: [{ pattern: 'Sanesecurity.Junk.*', category: 'grayware-other' }],
  });
  assert.deepEqual(s.clamd, { kind: 'unix', path: '/run/clamav/clamd.ctl' });
  assert.equal(s.clamdTimeout, 120_000);
  assert.equal(s.heuristics.macroDocument, false);
  assert.equal(s.heuristics.doubleExtension, true);
  assert.equal(signatureScanningEnabled(s), true);
  assert.deepEqual(
    createVirusEngines(s).map((e) => e.name),
    ['builtin', 'clamd'],
  );

  assert.deepEqual(parseClamdAddress('/var/run/clamav/clamd.ctl'), {
    kind: 'unix',
    path: '/var/run/clamav/clamd.ctl',
  });
  assert.deepEqual(parseClamdAddress('127.0.0.1:3310'), { kind: 'tcp', host: '127.0.0.1', port: 3310 });
  assert.deepEqual(parseClamdAddress('ClamAV.example.com'), {
    kind: 'tcp',
    host: 'clamav.example.com',
    port: 3310,
  });
  assert.deepEqual(parseClamdAddress('[::1]:3311'), { kind: 'tcp', host: '::1', port: 3311 });
  for (const bad of ['unix:relative.sock', 'host:99999', 'a b:1', '']) {
    assert.equal(parseClamdAddress(bad), undefined, bad);
  }
});

test('bad antivirus settings are refused with the key named', () => {
  const r = antivirusSettingsSchema.safeParse({
    clamd: 'not an address',
    clamdTimeout: 'soon',
    heuristics: { macroDocuments: false },
    categories: [{ pattern: 'X*', category: 'evil' }],
  });
  assert.ok(!r.success);
  const paths = r.error.issues.map((i) => i.path.join('.'));
  for (const key of ['clamd', 'clamdTimeout', 'heuristics', 'categories.0.category']) {
    assert.ok(paths.includes(key), `${key} in ${paths.join(', ')}`);
  }
});

test('signature names map to verdict categories', () => {
  const cases: [string, string][] = [
    ['Eicar-Test-Signature', 'virus'],
    ['Win.Test.EICAR_HDB-1', 'virus'],
    ['ClamAV-Test-File.UNOFFICIAL', 'virus'],
    ['Win.Trojan.Agent-123', 'virus'],
    ['Win.Worm.Mydoom-9', 'mass-mailing'],
    ['Email.Trojan.Toa-1', 'mass-mailing'],
    ['W32.Netsky.P', 'mass-mailing'],
    ['Sekimori.Test.MassMailer.UNOFFICIAL', 'mass-mailing'],
    ['Heuristics.Phishing.Email.SpoofedDomain', 'virus'],
    ['Win.Spyware.Agent-1', 'spyware'],
    ['Win.Keylogger.Ardamax-2', 'spyware'],
    ['PUA.Sekimori.Test.Adware', 'adware'],
    ['PUA.Win.Adware.Hotbar-1', 'adware'],
    ['Win.Dialer.Generic-1', 'dialer'],
    ['PUA.Win.Joke.Fakevirus', 'joke'],
    ['PUA.Win.Tool.HackTool-7', 'hacking-tool'],
    ['Win.Trojan.RAT-42', 'remote-access'],
    ['PUA.Win.Tool.RemoteAdmin-1', 'remote-access'],
    ['PUA.Win.Tool.PassCrack.Sekimori-Test', 'password-cracker'],
    ['PUA.Win.Tool.Passview-6', 'password-cracker'],
    ['PUA.Win.Packer.Upx-1', 'grayware-other'],
    ['Heuristics.OLE2.ContainsMacros', 'grayware-other'],
    ['Heuristic.MacroDocument', 'grayware-other'],
    ['Heuristic.DoubleExtension', 'virus'],
    ['Win.Trojan.Ratab-1', 'virus'],
  ];
  for (const [name, category] of cases) assert.equal(categorize(name), category, name);

  const local = createCategorizer([{ pattern: 'sanesecurity.junk.*', category: 'grayware-other' }]);
  assert.equal(local('Sanesecurity.Junk.12345.UNOFFICIAL'), 'grayware-other');
  assert.equal(local('Sanesecurity.Malware.1'), 'virus');
});

test('clamd replies: OK, FOUND (with or without the extended hash), size limit and other errors', () => {
  assert.deepEqual(parseInstreamReply('stream: OK'), { kind: 'ok' });
  assert.deepEqual(parseInstreamReply('stream: Eicar-Test-Signature FOUND'), {
    kind: 'found',
    name: 'Eicar-Test-Signature',
  });
  assert.deepEqual(
    parseInstreamReply('stream: Win.Test.EICAR_HDB-1(44d88612fea8a8f36de82e1278abb02f:68) FOUND'),
    {
      kind: 'found',
      name: 'Win.Test.EICAR_HDB-1',
    },
  );
  assert.deepEqual(parseInstreamReply('INSTREAM size limit exceeded. ERROR'), {
    kind: 'error',
    message: 'INSTREAM size limit exceeded.',
    sizeLimit: true,
  });
  assert.deepEqual(parseInstreamReply("stream: Can't allocate memory ERROR"), {
    kind: 'error',
    message: "Can't allocate memory",
    sizeLimit: false,
  });
  assert.equal(parseInstreamReply('PONG'), undefined);
});

test('scanWithAll merges engines and leaves out exceptions the parser already reported', async () => {
  const fixed = (name: string, result: VirusScanResult): VirusEngine => ({ name, scan: async () => result });
  const a = fixed('a', {
    findings: [{ name: 'X', category: 'virus', engine: 'a', attachment: '2' }],
    exceptions: [
      { kind: 'encrypted', detail: 'enc', attachment: '3' },
      { kind: 'too-large', detail: 'big', attachment: '4' },
    ],
    engines: { a: '1' },
  });
  const b = fixed('b', {
    findings: [
      { name: 'X', category: 'virus', engine: 'b', attachment: '2' },
      { name: 'Y', category: 'adware', engine: 'b' },
    ],
    exceptions: [{ kind: 'too-large', detail: 'big again', attachment: '4' }],
    engines: { b: '2' },
  });
  const f = facts({ exceptions: [{ kind: 'encrypted', detail: 'parser says so', attachment: '3' }] });
  const r = await scanWithAll([a, b], Buffer.from(''), f, []);
  assert.deepEqual(
    r.findings.map((x) => `${x.engine}:${x.name}`),
    ['a:X', 'b:X', 'b:Y'],
  );
  assert.deepEqual(r.exceptions, [{ kind: 'too-large', detail: 'big', attachment: '4' }]);
  assert.deepEqual(r.engines, { a: '1', b: '2' });
});

test('scanWithAll throws EngineUnavailableError when any engine does (the caller defers)', async () => {
  const down: VirusEngine = {
    name: 'clamd',
    scan: async () => {
      throw new EngineUnavailableError('clamd', 'down');
    },
  };
  const builtin = new BuiltinEngine({ heuristics: settings({}).heuristics });
  await assert.rejects(scanWithAll([builtin, down], Buffer.from('x'), facts(), []), EngineUnavailableError);
});

test('a clamd that accepts but never answers → EngineUnavailableError after the scan timeout', async () => {
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.on('data', () => {}); // reads everything, answers nothing
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  try {
    const engine = new ClamdEngine({
      address: { kind: 'tcp', host: '127.0.0.1', port },
      timeout: 300,
      connectTimeout: 300,
      connections: 2,
    });
    const started = Date.now();
    const files: ExtractedFile[] = [{ attachmentId: '2', content: Buffer.alloc(10) }];
    await assert.rejects(engine.scan(Buffer.from('x'), facts(), files), (err: unknown) => {
      assert.ok(err instanceof EngineUnavailableError);
      assert.match(err.message, /no reply .* within 300 ms/);
      return true;
    });
    assert.ok(Date.now() - started < 3_000);
    await engine.close();
  } finally {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  }
});

test('the limiter never runs more than its limit at once and runs everything', async () => {
  const limiter = new Limiter(3);
  let running = 0;
  let peak = 0;
  const results = await Promise.all(
    Array.from({ length: 20 }, (_, i) =>
      limiter
        .run(async () => {
          running++;
          peak = Math.max(peak, running);
          await new Promise((r) => setTimeout(r, 2));
          running--;
          if (i === 5) throw new Error('five');
          return i;
        })
        .catch((e: Error) => e.message),
    ),
  );
  assert.equal(peak, 3);
  assert.equal(results[5], 'five');
  assert.equal(results[19], 19);
});
