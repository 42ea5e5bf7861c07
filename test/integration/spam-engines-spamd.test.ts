// The spamd client against a real spamd (Debian's spamassassin and spamd packages, the rules
// Debian ships, local tests only): GTUBE is spam with its rule and score, an ordinary message is
// not, SYMBOLS gives names only, the envelope reaches SpamAssassin as a Received line, limits
// hold, and a dead spamd is a quick typed error.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ExternalEngineError, SpamdClient, combineScores } from '../../src/spam-engines/index.js';
import { parseSpamdAddress, type SpamdAddress } from '../../src/spam-engines/spamd.js';
import { freePort } from '../helpers/ports.js';
import { SA_EXAMPLES, spamdInstalled, startSpamd, type TestSpamd } from '../helpers/spamd.js';

// In two halves so this file is not itself the test string to a scanner.
const GTUBE = 'XJS*C4JDBQADN1.NSBN3*2IDNEN*' + 'GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X';

function sample(name: 'sample-spam.txt' | 'sample-nonspam.txt'): Buffer {
  const file = join(SA_EXAMPLES, name);
  if (existsSync(file)) return readFileSync(file);
  const body =
    name === 'sample-spam.txt' ? `This is the GTUBE.\r\n\r\n${GTUBE}\r\n` : 'See you at lunch tomorrow.\r\n';
  return Buffer.from(`From: alice@example.net\r\nTo: bob@example.com\r\nSubject: test\r\n\r\n${body}`);
}

const ENVELOPE = {
  clientIp: '203.0.113.5',
  helo: 'mail.example.net',
  clientHostname: 'mail.example.net',
  mailFrom: 'alice@example.net',
  recipients: ['bob@example.com'],
  queueId: 'SEKIMORITESTQ1',
};

const address = (text: string): SpamdAddress => {
  const a = parseSpamdAddress(text);
  assert.ok(a);
  return a;
};

describe('spamd client against a real spamd', { skip: !spamdInstalled() && 'spamd not installed' }, () => {
  let spamd: TestSpamd;
  let client: SpamdClient;

  before(async () => {
    spamd = await startSpamd();
    client = new SpamdClient({ address: address(spamd.address), timeout: 20_000 });
  });
  after(async () => {
    client?.close();
    await spamd?.close();
  });

  test('GTUBE (sample-spam.txt): spam, the GTUBE rule with its score and description', async () => {
    const r = await client.check(sample('sample-spam.txt'), ENVELOPE);
    assert.equal(r.engine, 'spamassassin');
    assert.equal(r.isSpam, true);
    assert.equal(r.action, 'spam');
    assert.equal(r.threshold, 5);
    assert.ok(r.score >= 1000, String(r.score));
    const gtube = r.symbols.find((s) => s.name === 'GTUBE');
    assert.equal(gtube?.score, 1000);
    assert.match(gtube?.description ?? '', /Generic Test for Unsolicited Bulk Email/);
    assert.equal(r.symbols[0]?.name, 'GTUBE'); // largest first
  });

  test('an ordinary message (sample-nonspam.txt): not spam', async () => {
    const r = await client.check(sample('sample-nonspam.txt'), ENVELOPE);
    assert.equal(r.isSpam, false, JSON.stringify(r));
    assert.equal(r.action, 'no action');
    assert.ok(r.score < 5);
  });

  test('SYMBOLS: the same verdict, rule names without scores', async () => {
    const symbols = new SpamdClient({ address: address(spamd.address), timeout: 20_000, command: 'SYMBOLS' });
    const r = await symbols.check(sample('sample-spam.txt'));
    assert.equal(r.isSpam, true);
    assert.ok(
      r.symbols.some((s) => s.name === 'GTUBE' && s.score === 0),
      JSON.stringify(r.symbols),
    );
  });

  test('the envelope reaches SpamAssassin as a Received line; the User header is accepted', async () => {
    // sample-spam.txt has no Received header: SpamAssassin says so unless ours is added.
    const bare = await client.check(sample('sample-spam.txt'));
    assert.ok(bare.symbols.some((s) => s.name === 'NO_RECEIVED'));
    const withUser = new SpamdClient({ address: address(spamd.address), timeout: 20_000, user: 'sekimori' });
    const traced = await withUser.check(sample('sample-spam.txt'), ENVELOPE);
    assert.ok(!traced.symbols.some((s) => s.name === 'NO_RECEIVED'), JSON.stringify(traced.symbols));
    assert.equal(traced.isSpam, true);
  });

  test('joined with the built-in score: GTUBE in SpamAssassin adds at most twice the threshold', async () => {
    const r = await client.check(sample('sample-spam.txt'));
    const combined = combineScores({ score: 1, threshold: 5 }, [r], { spamassassin: { weight: 1 } });
    assert.equal(combined.score, 11); // 1 + clamp(1000/5, −1, 2) × 5
    assert.equal(combined.isSpam, true);
  });

  test('PING; over maxSize: typed error without a connection; a dead port: typed error within a second', async () => {
    assert.equal(await client.ping(), true);
    const small = new SpamdClient({ address: address(spamd.address), timeout: 20_000, maxSize: 100 });
    await assert.rejects(small.check(sample('sample-spam.txt')), (e: unknown) => {
      assert.ok(e instanceof ExternalEngineError);
      assert.equal(e.reason, 'too-large');
      return true;
    });
    const dead = new SpamdClient({ address: address(`127.0.0.1:${await freePort()}`), timeout: 20_000 });
    const started = Date.now();
    await assert.rejects(dead.check(sample('sample-spam.txt')), (e: unknown) => {
      assert.ok(e instanceof ExternalEngineError);
      assert.equal(e.engine, 'spamassassin');
      assert.equal(e.reason, 'connect');
      return true;
    });
    assert.ok(Date.now() - started < 1_000);
  });

  test('spamd stopped after it was used: typed connect error; started again: answers', async () => {
    await spamd.stop();
    await assert.rejects(client.check(sample('sample-nonspam.txt')), (e: unknown) => {
      assert.ok(e instanceof ExternalEngineError && e.reason === 'connect');
      return true;
    });
    await spamd.start();
    const r = await client.check(sample('sample-nonspam.txt'));
    assert.equal(r.isSpam, false);
  });
});
