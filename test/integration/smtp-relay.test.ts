// Relay refusals from shared/corpora/README.md against the running listener: the client is
// 127.0.0.2, outside trustedNetworks (only 127.0.0.1/32), and only example.com is accepted.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { RawSmtp } from '../helpers/smtp-client.js';
import { message, startSmtp, type SmtpHarness } from '../helpers/smtp-harness.js';

const run = promisify(execFile);

// Each trick and the reply it gets. "Error: Bad recipient address syntax" is smtp-server's
// own check (an address that does not split into exactly local@domain), before our hook; the
// rest comes from relay.ts.
const TRICKS: [string, string][] = [
  ['x@other.test', '554 5.7.1 <x@other.test>: relay denied'],
  ['X@OTHER.TEST', '554 5.7.1 <X@OTHER.TEST>: relay denied'],
  ['x@other.test.', '554 5.7.1 <x@other.test.>: relay denied'],
  ['<@example.com:x@other.test>', '554 5.7.1 <x@other.test>: relay denied'],
  [
    'x%other.test@example.com',
    '554 5.7.1 <x%other.test@example.com>: relay denied (%, !, @ or quotes in the local part are not accepted from your network)',
  ],
  [
    'x%other.test@[127.0.0.1]',
    '554 5.7.1 <x%other.test@[127.0.0.1]>: relay denied (%, !, @ or quotes in the local part are not accepted from your network)',
  ],
  ['x@[127.0.0.1]', '554 5.7.1 <x@[127.0.0.1]>: relay denied'],
  ['"x@other.test"', '501 5.1.3 <"x@other.test">: bad recipient address syntax (domain missing)'],
  ['"x@other.test"@example.com', '501 5.1.3 Error: Bad recipient address syntax'],
  ['other.test!x', '501 5.1.3 Error: Bad recipient address syntax'],
  [
    'other.test!x@example.com',
    '554 5.7.1 <other.test!x@example.com>: relay denied (%, !, @ or quotes in the local part are not accepted from your network)',
  ],
  ['x@other.test@example.com', '501 5.1.3 Error: Bad recipient address syntax'],
  ['x@example.com@other.test', '501 5.1.3 Error: Bad recipient address syntax'],
];

const rcpt = (trick: string) => (trick.startsWith('<') ? trick : `<${trick}>`);

describe('relay control over SMTP', () => {
  let h: SmtpHarness;
  before(async () => {
    h = await startSmtp({
      domains: [{ name: 'example.com' }, { name: 'listed.test', recipients: ['alice'] }],
      smtp: { maxErrorsPerConnection: 1000 },
    });
  });
  after(async () => {
    await h.close();
  });

  for (const sender of ['<>', '<a@example.com>', '<a@other.test>']) {
    it(`refuses every trick from an untrusted client, MAIL FROM:${sender}`, async () => {
      const { c } = await RawSmtp.open(h.port, { localAddress: '127.0.0.2' });
      await c.cmd('EHLO client.test');
      assert.equal((await c.cmd(`MAIL FROM:${sender}`)).code, 250);
      for (const [trick, expected] of TRICKS) {
        const reply = await c.cmd(`RCPT TO:${rcpt(trick)}`);
        assert.equal(reply.text, expected, trick);
      }
      // Nothing was accepted, so there is no transaction to send data for.
      assert.equal((await c.cmd('DATA')).text, '503 5.5.1 Error: need RCPT command');
      await c.cmd('QUIT');
      assert.deepEqual(await h.incomingFiles(), []);
    });
  }

  it('refuses the tricks pipelined in one write, too', async () => {
    const { c } = await RawSmtp.open(h.port, { localAddress: '127.0.0.2' });
    await c.cmd('EHLO client.test');
    c.write(`MAIL FROM:<>\r\n${TRICKS.map(([t]) => `RCPT TO:${rcpt(t)}\r\n`).join('')}DATA\r\n`);
    const replies = await c.readN(TRICKS.length + 2);
    assert.equal(replies[0]?.code, 250);
    assert.deepEqual(
      replies.slice(1, -1).map((r) => r.text),
      TRICKS.map(([, e]) => e),
    );
    assert.equal(replies[replies.length - 1]?.code, 503);
    c.destroy();
    assert.deepEqual(await h.incomingFiles(), []);
  });

  it('refuses relaying with swaks too', async () => {
    const r = await run('swaks', [
      '--server',
      '127.0.0.1',
      '--port',
      String(h.port),
      '--local-interface',
      '127.0.0.2',
      '--from',
      'a@example.com',
      '--to',
      'x@other.test',
    ]).catch((e: { stdout: string; code: number }) => e);
    assert.notEqual((r as { code?: number }).code ?? 0, 0);
    assert.match(r.stdout, /<\*\* 554 5\.7\.1 <x@other\.test>: relay denied/);
  });

  it('accepts the accepted domain from an untrusted client (normalised)', async () => {
    const { c } = await RawSmtp.open(h.port, { localAddress: '127.0.0.2' });
    await c.cmd('EHLO client.test');
    await c.cmd('MAIL FROM:<>');
    assert.equal((await c.cmd('RCPT TO:<Someone@EXAMPLE.COM.>')).code, 250);
    assert.equal((await c.cmd('RCPT TO:<@relay.test:other@example.com>')).code, 250);
    assert.equal((await c.cmd('RCPT TO:<postmaster>')).code, 250);
    await c.cmd('DATA');
    const done = await c.cmd(`${message()}.`);
    const id = /queued as (\w+)/.exec(done.text)?.[1];
    const env = (await h.stored()).find((s) => s.envelope.id === id)?.envelope;
    assert.deepEqual(
      env?.recipients.map((r) => r.address),
      ['Someone@example.com', 'other@example.com', 'postmaster@example.com'],
    );
    assert.equal(env?.client.ip, '127.0.0.2');
    c.destroy();
  });

  it('lets a trusted client (127.0.0.1) relay to any domain', async () => {
    const { c } = await RawSmtp.open(h.port);
    await c.cmd('EHLO internal.test');
    await c.cmd('MAIL FROM:<a@example.com>');
    assert.equal((await c.cmd('RCPT TO:<x@OTHER.test.>')).code, 250);
    assert.equal((await c.cmd('RCPT TO:<y@[192.0.2.1]>')).code, 250);
    await c.cmd('DATA');
    const done = await c.cmd(`${message()}.`);
    const id = /queued as (\w+)/.exec(done.text)?.[1];
    const env = (await h.stored()).find((s) => s.envelope.id === id)?.envelope;
    assert.deepEqual(
      env?.recipients.map((r) => r.address),
      ['x@other.test', 'y@[192.0.2.1]'],
    );
    c.destroy();
  });

  it('checks and normalises the sender', async () => {
    const { c } = await RawSmtp.open(h.port, { localAddress: '127.0.0.2' });
    await c.cmd('EHLO client.test');
    assert.equal(
      (await c.cmd('MAIL FROM:<a@bad_domain.test>')).text,
      '501 5.1.7 <a@bad_domain.test>: bad sender address syntax (invalid domain)',
    );
    assert.equal((await c.cmd('MAIL FROM:<a@[not.an.ip]>')).code, 501);
    assert.equal((await c.cmd('MAIL FROM:<a@b@c.test>')).code, 501);
    assert.equal((await c.cmd('MAIL FROM:<@route.test:Sender@Sender.TEST.>')).code, 250);
    await c.cmd('RCPT TO:<x@example.com>');
    await c.cmd('DATA');
    const id = /queued as (\w+)/.exec((await c.cmd(`${message()}.`)).text)?.[1];
    assert.equal((await h.stored()).find((s) => s.envelope.id === id)?.envelope.sender, 'Sender@sender.test');
    c.destroy();
  });

  it('refuses unknown recipients of a domain with a recipients list', async () => {
    for (const localAddress of ['127.0.0.1', '127.0.0.2']) {
      const { c } = await RawSmtp.open(h.port, { localAddress });
      await c.cmd('EHLO client.test');
      await c.cmd('MAIL FROM:<a@sender.test>');
      assert.equal(
        (await c.cmd('RCPT TO:<bob@listed.test>')).text,
        '550 5.1.1 <bob@listed.test>: recipient unknown',
      );
      assert.equal((await c.cmd('RCPT TO:<Alice@LISTED.test>')).code, 250);
      c.destroy();
    }
  });
});
