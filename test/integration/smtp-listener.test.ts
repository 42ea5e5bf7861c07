import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import net from 'node:net';
import { promisify } from 'node:util';
import nodemailer from 'nodemailer';
import { SmtpListener } from '../../src/smtp/server.js';
import { silentLogger } from '../../src/util/log.js';
import { RawSmtp } from '../helpers/smtp-client.js';
import {
  makeSettings,
  message,
  startSmtp,
  testCertificate,
  type SmtpHarness,
} from '../helpers/smtp-harness.js';

const run = promisify(execFile);

describe('SMTP listener', () => {
  let h: SmtpHarness;
  before(async () => {
    h = await startSmtp();
  });
  after(async () => {
    await h.close();
  });

  it('greets with the banner and announces the ESMTP extensions, without AUTH', async () => {
    const { c, greeting } = await RawSmtp.open(h.port);
    assert.equal(greeting.text, '220 mx.test ESMTP Sekimori');
    const ehlo = await c.cmd('EHLO client.test');
    assert.equal(ehlo.code, 250);
    assert.equal(ehlo.lines[0], 'mx.test Hello [127.0.0.1]');
    for (const ext of [
      'PIPELINING',
      '8BITMIME',
      'SMTPUTF8',
      'ENHANCEDSTATUSCODES',
      'DSN',
      'STARTTLS',
      'SIZE 20971520',
    ]) {
      assert.ok(ehlo.lines.includes(ext), `EHLO lacks ${ext}:\n${ehlo.text}`);
    }
    assert.ok(!ehlo.lines.some((l) => l.startsWith('AUTH')), ehlo.text);
    assert.equal((await c.cmd('MAIL FROM:<a@sender.test>')).text, '250 2.1.0 Accepted');
    assert.equal((await c.cmd('RCPT TO:<x@example.com>')).text, '250 2.1.5 Accepted');
    assert.equal((await c.cmd('AUTH PLAIN AGFAYg==')).text, '500 5.5.2 Error: command not recognized');
    assert.equal((await c.cmd('WIZ secret')).code, 500);
    assert.equal((await c.cmd('QUIT')).text, '221 2.0.0 Bye');
    await c.closed;
  });

  it('accepts mail for the accepted domain: Received header, envelope, 250 after commit', async () => {
    const before = h.accepted.length;
    const transport = nodemailer.createTransport({
      host: '127.0.0.1',
      port: h.port,
      ignoreTLS: true,
      name: 'client.test',
    });
    const info = await transport.sendMail({
      envelope: { from: 'a@sender.test', to: ['x@EXAMPLE.com'] },
      raw: message('Greetings'),
    });
    transport.close();
    const m = /^250 2\.0\.0 Ok: queued as ([0-9A-Z]{16})$/.exec(info.response);
    assert.ok(m, info.response);
    const id = m[1];
    assert.equal(h.accepted.length, before + 1);
    assert.equal(h.accepted[before]?.id, id);
    assert.equal(h.committedWhenAccepted[before], true, 'onAccepted ran after commit');
    const stored = (await h.stored()).find((s) => s.envelope.id === id);
    assert.ok(stored);
    const { envelope, body } = stored;
    assert.match(
      body,
      new RegExp(
        `^Received: from client\\.test \\(\\[127\\.0\\.0\\.1\\]\\)\r\n\tby mx\\.test \\(Sekimori\\) with ESMTP id ${id}\r\n` +
          `\tfor <x@example\\.com>; \\w{3}, \\d{2} \\w{3} \\d{4} \\d{2}:\\d{2}:\\d{2} \\+0000\r\n`,
      ),
    );
    assert.ok(body.endsWith(message('Greetings')), body);
    assert.equal(envelope.size, Buffer.byteLength(body));
    assert.equal(envelope.sender, 'a@sender.test');
    assert.deepEqual(envelope.recipients, [{ address: 'x@example.com' }]);
    assert.deepEqual(envelope.client, { ip: '127.0.0.1', helo: 'client.test', tls: false });
    assert.equal(envelope.messageId, '<m1@sender.test>');
    assert.equal(envelope.subject, 'Greetings');
    assert.equal(envelope.origin, 'smtp');
    assert.equal(envelope.smtputf8, false);
    assert.equal(envelope.bodyType, '7BIT');
    assert.ok(Math.abs(envelope.receivedAt - Date.now()) < 60_000);
  });

  it('stores DSN parameters, BODY and SMTPUTF8, and refuses UTF-8 addresses without SMTPUTF8', async () => {
    const { c } = await RawSmtp.open(h.port);
    await c.cmd('EHLO client.test');
    assert.equal((await c.cmd('MAIL FROM:<a@sender.test> BODY=8BITMIME')).code, 250);
    const noUtf8 = await c.cmd('RCPT TO:<用户@example.com>');
    assert.equal(noUtf8.text, '553 5.6.7 <用户@example.com>: non-ASCII address needs the SMTPUTF8 parameter');
    assert.equal((await c.cmd('RSET')).code, 250);
    assert.equal(
      (await c.cmd('MAIL FROM:<a@sender.test> RET=HDRS ENVID=abc+2Bdef BODY=8BITMIME SMTPUTF8')).code,
      250,
    );
    assert.equal(
      (await c.cmd('RCPT TO:<x@example.com> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;x@example.com')).code,
      250,
    );
    assert.equal((await c.cmd('RCPT TO:<用户@Example.COM> NOTIFY=NEVER')).code, 250);
    assert.equal((await c.cmd('DATA')).code, 354);
    const done = await c.cmd(`${message('DSN')}.`);
    const id = /queued as (\w+)/.exec(done.text)?.[1];
    assert.ok(id, done.text);
    const env = (await h.stored()).find((s) => s.envelope.id === id)?.envelope;
    assert.ok(env);
    assert.deepEqual(env.dsn, { ret: 'HDRS', envid: 'abc+def' });
    assert.deepEqual(env.recipients, [
      { address: 'x@example.com', notify: ['SUCCESS', 'FAILURE'], orcpt: 'rfc822;x@example.com' },
      { address: '用户@example.com', notify: ['NEVER'] },
    ]);
    assert.equal(env.smtputf8, true);
    assert.equal(env.bodyType, '8BITMIME');
    const body = (await h.stored()).find((s) => s.envelope.id === id)?.body ?? '';
    assert.match(body, /with UTF8SMTP id/);
    assert.doesNotMatch(body.split('\r\n').slice(0, 3).join('\n'), /\tfor </, 'no "for" with two recipients');
    c.destroy();
  });

  it('answers pipelined MAIL/RCPT/DATA in order and keeps reading after the message', async () => {
    const { c } = await RawSmtp.open(h.port, { localAddress: '127.0.0.2' });
    const ehlo = await c.cmd('EHLO client.test');
    assert.ok(ehlo.lines.includes('PIPELINING'));
    c.write(
      'MAIL FROM:<a@sender.test>\r\nRCPT TO:<x@example.com>\r\nRCPT TO:<y@other.test>\r\nRCPT TO:<z@example.com>\r\nDATA\r\n',
    );
    const [mail, r1, r2, r3, data] = await c.readN(5);
    assert.equal(mail?.code, 250);
    assert.equal(r1?.code, 250);
    assert.equal(r2?.text, '554 5.7.1 <y@other.test>: relay denied');
    assert.equal(r3?.code, 250);
    assert.equal(data?.code, 354);
    // message, end, and the next transaction in one write
    c.write(`${message('pipe')}.\r\nMAIL FROM:<>\r\nRCPT TO:<x@example.com>\r\nDATA\r\n`);
    const [queued, mail2, rcpt2, data2] = await c.readN(4);
    assert.match(queued?.text ?? '', /^250 2\.0\.0 Ok: queued as \w+$/);
    assert.equal(mail2?.code, 250);
    assert.equal(rcpt2?.code, 250);
    assert.equal(data2?.code, 354);
    c.write(`${message('pipe2')}.\r\nQUIT\r\n`);
    const [queued2, bye] = await c.readN(2);
    assert.match(queued2?.text ?? '', /^250 2\.0\.0 Ok: queued as \w+$/);
    assert.equal(bye?.code, 221);
    const id = /queued as (\w+)/.exec(queued?.text ?? '')?.[1];
    const env = (await h.stored()).find((s) => s.envelope.id === id)?.envelope;
    assert.deepEqual(
      env?.recipients.map((r) => r.address),
      ['x@example.com', 'z@example.com'],
    );
    const id2 = /queued as (\w+)/.exec(queued2?.text ?? '')?.[1];
    const env2 = (await h.stored()).find((s) => s.envelope.id === id2)?.envelope;
    assert.equal(env2?.sender, '');
  });

  it('does STARTTLS with swaks --tls', async () => {
    const support = await run('swaks', ['--support']).then(
      (r) => r.stdout + r.stderr,
      (e: { stdout: string; stderr: string }) => e.stdout + e.stderr,
    );
    assert.match(support, /=== TLS supported/, 'swaks cannot do TLS: install libnet-ssleay-perl');
    const { stdout } = await run('swaks', [
      '--server',
      '127.0.0.1',
      '--port',
      String(h.port),
      '--tls',
      '--ehlo',
      'swaks.test',
      '--from',
      'a@sender.test',
      '--to',
      'x@example.com',
      '--header',
      'Subject: over tls',
    ]);
    assert.match(stdout, /<- {2}220 2\.0\.0 Ready to start TLS/);
    const id = /<~ {2}250 2\.0\.0 Ok: queued as (\w+)/.exec(stdout)?.[1];
    assert.ok(id, stdout);
    const stored = (await h.stored()).find((s) => s.envelope.id === id);
    assert.equal(stored?.envelope.client.tls, true);
    assert.equal(stored?.envelope.client.helo, 'swaks.test');
    assert.equal(stored?.envelope.subject, 'over tls');
    assert.match(
      stored?.body ?? '',
      /^Received: from swaks\.test \(\[127\.0\.0\.1\]\)\r\n\tby mx\.test \(Sekimori\) with ESMTPS id/,
    );
  });

  it('does STARTTLS with nodemailer (requireTLS)', async () => {
    const transport = nodemailer.createTransport({
      host: '127.0.0.1',
      port: h.port,
      requireTLS: true,
      tls: { rejectUnauthorized: false },
    });
    const info = await transport.sendMail({
      from: 'a@sender.test',
      to: 'x@example.com',
      subject: 's',
      text: 't',
    });
    transport.close();
    const id = /queued as (\w+)/.exec(info.response)?.[1];
    assert.equal((await h.stored()).find((s) => s.envelope.id === id)?.envelope.client.tls, true);
  });

  it('reads settings live: a new size limit shows in the next EHLO', async () => {
    const old = h.settings;
    h.setSettings({ smtp: { maxMessageSize: 12345 } });
    try {
      const { c } = await RawSmtp.open(h.port);
      assert.ok((await c.cmd('EHLO client.test')).lines.includes('SIZE 12345'));
      c.destroy();
    } finally {
      h.settings = old;
    }
  });
});

describe('SMTP listener lifecycle', () => {
  it('rejects listen() with a clear error when the port is taken', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    const listener = new SmtpListener({
      host: '127.0.0.1',
      port,
      settings: () => makeSettings(),
      spool: { startMessage: () => Promise.reject(new Error('unused')) },
      tls: await testCertificate(),
      log: silentLogger(),
    });
    await assert.rejects(listener.listen(), {
      message: `cannot listen on 127.0.0.1:${port}: address already in use`,
    });
    await listener.close();
    await new Promise((resolve) => blocker.close(resolve));
  });

  it('close() ends idle sessions with 421 and stops listening', async () => {
    const h = await startSmtp();
    const { c } = await RawSmtp.open(h.port);
    await c.cmd('EHLO client.test');
    assert.equal(h.listener.connectionCount(), 1);
    const closing = h.close();
    const bye = await c.read();
    assert.equal(bye.text, '421 4.3.2 mx.test Service shutting down');
    await c.closed;
    await closing;
    await assert.rejects(RawSmtp.connect(h.port), /ECONNREFUSED/);
  });
});
