// The rspamd client against a real rspamd (Debian's package, stock rules, offline): GTUBE is
// spam, an ordinary message is not, the SMTP envelope reaches rspamd through the headers, the
// result joins the built-in score, and a dead rspamd is a quick typed error the runner skips.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ExternalSpamEngines,
  ExternalEngineError,
  RspamdClient,
  combineScores,
} from '../../src/spam-engines/index.js';
import { resolveExternalEngines, externalEnginesSchema } from '../../src/spam-engines/settings.js';
import { freePort } from '../helpers/ports.js';
import { rspamdInstalled, startRspamd, type TestRspamd } from '../helpers/rspamd.js';
import { SA_EXAMPLES } from '../helpers/spamd.js';

// In two halves so this file is not itself the test string to a scanner.
const GTUBE = 'XJS*C4JDBQADN1.NSBN3*2IDNEN*' + 'GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X';

/** SpamAssassin's sample-spam.txt (GTUBE) when installed, else the same idea built here. */
function sample(name: 'sample-spam.txt' | 'sample-nonspam.txt'): Buffer {
  const file = join(SA_EXAMPLES, name);
  if (existsSync(file)) return readFileSync(file);
  const body =
    name === 'sample-spam.txt' ? `This is the GTUBE.\r\n\r\n${GTUBE}\r\n` : 'See you at lunch tomorrow.\r\n';
  return Buffer.from(
    `From: Alice <alice@example.net>\r\nTo: bob@example.com\r\nSubject: test\r\nDate: ${new Date().toUTCString()}\r\n` +
      `Message-ID: <t${Date.now()}@example.net>\r\n\r\n${body}`,
  );
}

const ENVELOPE = {
  clientIp: '203.0.113.5',
  helo: 'mail.example.net',
  clientHostname: 'mail.example.net',
  mailFrom: 'alice@example.net',
  recipients: ['bob@example.com'],
  queueId: 'SEKIMORITESTQ1',
};

describe(
  'rspamd client against a real rspamd',
  { skip: !rspamdInstalled() && 'rspamd not installed' },
  () => {
    let rspamd: TestRspamd;
    let client: RspamdClient;

    before(async () => {
      rspamd = await startRspamd();
      client = new RspamdClient({ url: rspamd.url, timeout: 10_000 });
    });
    after(async () => {
      client?.close();
      await rspamd?.close();
    });

    test('GTUBE (sample-spam.txt): spam, action reject, the GTUBE symbol', async () => {
      const r = await client.check(sample('sample-spam.txt'), ENVELOPE);
      assert.equal(r.engine, 'rspamd');
      assert.equal(r.isSpam, true);
      assert.equal(r.action, 'reject');
      assert.ok(r.score >= r.threshold, `${r.score} < ${r.threshold}`);
      assert.ok(
        r.symbols.some((s) => s.name === 'GTUBE'),
        JSON.stringify(r.symbols),
      );
    });

    test('an ordinary message (sample-nonspam.txt): not spam, its rules listed with scores and descriptions', async () => {
      const r = await client.check(sample('sample-nonspam.txt'), ENVELOPE);
      assert.equal(r.isSpam, false, JSON.stringify(r));
      assert.ok(r.score < r.threshold);
      assert.equal(r.threshold, 15); // rspamd's stock reject score, which /checkv2 reports as required_score
      assert.ok(r.symbols.length > 0);
      assert.ok(r.symbols.some((s) => s.description !== undefined));
      assert.ok(r.elapsedMs >= 0);
    });

    test('the envelope reaches rspamd: sender, each recipient (one Rcpt header each), queue id', async () => {
      const r = await client.check(sample('sample-nonspam.txt'), {
        ...ENVELOPE,
        mailFrom: 'bounces@example.org',
        recipients: ['a@example.com', 'b@example.com', 'c@example.com'],
        queueId: 'SEKIMORIQID42',
      });
      // rspamd compares the envelope sender with the From header.
      const names = r.symbols.map((s) => s.name);
      assert.ok(names.includes('FROM_NEQ_ENVFROM'), names.join(' '));
      // Its log line names the transaction as it understood it.
      const line = readFileSync(rspamd.logFile, 'utf8')
        .split('\n')
        .find((l) => l.includes('qid: <SEKIMORIQID42>'));
      assert.ok(line, 'no log line with the queue id');
      assert.match(line, /ip: 203\.0\.113\.5/);
      assert.match(line, /from: <bounces@example\.org>/);
      assert.match(line, /rcpts: <a@example\.com,b@example\.com,c@example\.com>/);
    });

    test('joined with the built-in score: rspamd at its reject score adds the built-in threshold', async () => {
      const r = await client.check(sample('sample-spam.txt'), ENVELOPE);
      const combined = combineScores({ score: 0, threshold: 5 }, [r], { rspamd: { weight: 1 } });
      assert.equal(combined.isSpam, true);
      assert.ok(combined.score >= 5);
      assert.match(combined.contributions[0]?.detail ?? '', /^rspamd .*\(reject\)/);
    });

    test('/ping answers; a stopped port is a typed connect error within a second', async () => {
      assert.equal(await client.ping(), true);
      const dead = new RspamdClient({ url: `http://127.0.0.1:${await freePort()}`, timeout: 10_000 });
      const started = Date.now();
      await assert.rejects(dead.check(sample('sample-spam.txt'), ENVELOPE), (e: unknown) => {
        assert.ok(e instanceof ExternalEngineError);
        assert.equal(e.engine, 'rspamd');
        assert.equal(e.reason, 'connect');
        return true;
      });
      assert.ok(Date.now() - started < 1_000);
      assert.equal(await dead.ping(), false);
    });

    test('the runner: rspamd answers, a dead spamd is skipped (never throws), rspamd down then back', async () => {
      const settings = resolveExternalEngines(
        externalEnginesSchema.parse({
          rspamd: { url: rspamd.url, timeout: '10s' },
          spamassassin: { host: `127.0.0.1:${await freePort()}`, timeout: '2s' },
          retryAfter: '0s', // ask again at once, so the test can see rspamd come back
        }),
      );
      const engines = new ExternalSpamEngines(settings);
      try {
        let check = await engines.check(sample('sample-spam.txt'), ENVELOPE);
        assert.deepEqual(
          check.results.map((r) => r.engine),
          ['rspamd'],
        );
        assert.deepEqual(
          check.skipped.map((s) => [s.engine, s.reason]),
          [['spamassassin', 'connect']],
        );
        const [contribution] = engines.contributions(check, 5);
        assert.equal(contribution?.name, 'rspamd');
        assert.equal(contribution?.score, 5); // 15/15 of rspamd's scale, weight 1, built-in threshold 5

        await rspamd.stop();
        const started = Date.now();
        check = await engines.check(sample('sample-spam.txt'), ENVELOPE);
        assert.ok(Date.now() - started < 1_000);
        assert.deepEqual(check.results, []);
        assert.deepEqual(check.skipped.map((s) => [s.engine, s.reason]).sort(), [
          ['rspamd', 'connect'],
          ['spamassassin', 'connect'],
        ]);

        await rspamd.start();
        check = await engines.check(sample('sample-spam.txt'), ENVELOPE);
        assert.deepEqual(
          check.results.map((r) => [r.engine, r.isSpam]),
          [['rspamd', true]],
        );
      } finally {
        engines.close();
      }
    });
  },
);
