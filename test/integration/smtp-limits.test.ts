// Each limit of settings.smtp and the reply that names it. One listener; each test replaces
// the live settings, which the listener reads on every connection and command.
import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { RawSmtp } from '../helpers/smtp-client.js';
import { message, startSmtp, type SmtpHarness } from '../helpers/smtp-harness.js';
import { waitUntil } from '../helpers/tmp.js';

describe('SMTP limits', () => {
  let h: SmtpHarness;
  const open: RawSmtp[] = [];
  const connect = async (localAddress = '127.0.0.2') => {
    const r = await RawSmtp.open(h.port, { localAddress });
    open.push(r.c);
    return r;
  };
  const session = async (localAddress = '127.0.0.2') => {
    const { c } = await connect(localAddress);
    assert.equal((await c.cmd('EHLO client.test')).code, 250);
    return c;
  };

  before(async () => {
    h = await startSmtp();
  });
  afterEach(async () => {
    for (const c of open.splice(0)) c.destroy();
    await waitUntil(() => h.listener.connectionCount() === 0, 'all test connections are gone');
  });
  after(async () => {
    await h.close();
  });

  it('message size: SIZE= over the limit at MAIL FROM', async () => {
    h.setSettings({ smtp: { maxMessageSize: 1000 } });
    const c = await session();
    assert.equal(
      (await c.cmd('MAIL FROM:<a@sender.test> SIZE=1001')).text,
      '552 5.3.4 Error: message exceeds fixed maximum message size 1000',
    );
    assert.equal((await c.cmd('MAIL FROM:<a@sender.test> SIZE=1000')).code, 250);
  });

  it('message size: data over the limit is refused and the partial message discarded', async () => {
    h.setSettings({ smtp: { maxMessageSize: 1000 } });
    const c = await session();
    const before = await h.incomingFiles();
    await c.cmd('MAIL FROM:<a@sender.test>');
    await c.cmd('RCPT TO:<x@example.com>');
    assert.equal((await c.cmd('DATA')).code, 354);
    const big = message('big', `${'0123456789'.repeat(7)}\r\n`.repeat(200));
    assert.equal(
      (await c.cmd(`${big}.`)).text,
      '552 5.3.4 Error: message exceeds fixed maximum message size of 1000 bytes',
    );
    assert.deepEqual(await h.incomingFiles(), before);
    // The session goes on; a message within the limit is taken.
    await c.cmd('MAIL FROM:<a@sender.test>');
    await c.cmd('RCPT TO:<x@example.com>');
    await c.cmd('DATA');
    assert.equal((await c.cmd(`${message('small')}.`)).code, 250);
  });

  it('recipients per message', async () => {
    h.setSettings({ smtp: { maxRecipientsPerMessage: 2 } });
    const c = await session();
    await c.cmd('MAIL FROM:<a@sender.test>');
    assert.equal((await c.cmd('RCPT TO:<a@example.com>')).code, 250);
    assert.equal((await c.cmd('RCPT TO:<b@example.com>')).code, 250);
    assert.equal(
      (await c.cmd('RCPT TO:<c@example.com>')).text,
      '452 4.5.3 Error: too many recipients (limit 2 per message)',
    );
    await c.cmd('DATA');
    const id = /queued as (\w+)/.exec((await c.cmd(`${message()}.`)).text)?.[1];
    const env = (await h.stored()).find((s) => s.envelope.id === id)?.envelope;
    assert.deepEqual(
      env?.recipients.map((r) => r.address),
      ['a@example.com', 'b@example.com'],
    );
  });

  it('messages per connection: 452 at MAIL FROM, the client reconnects', async () => {
    h.setSettings({ smtp: { maxMessagesPerConnection: 2 } });
    const c = await session();
    for (let i = 0; i < 2; i++) {
      assert.equal((await c.cmd('MAIL FROM:<a@sender.test>')).code, 250);
      await c.cmd('RCPT TO:<x@example.com>');
      await c.cmd('DATA');
      assert.equal((await c.cmd(`${message(`n${i}`)}.`)).code, 250);
    }
    assert.equal(
      (await c.cmd('MAIL FROM:<a@sender.test>')).text,
      '452 4.7.1 Error: too many messages in one connection (limit 2), please reconnect',
    );
    const again = await session();
    assert.equal((await again.cmd('MAIL FROM:<a@sender.test>')).code, 250);
  });

  it('connections in total', async () => {
    h.setSettings({ smtp: { maxConnections: 2 } });
    const a = await connect();
    await connect('127.0.0.3');
    assert.equal(a.greeting.code, 220);
    const third = await connect('127.0.0.4');
    assert.equal(third.greeting.text, '421 4.7.0 mx.test Error: too many connections');
    await third.c.closed;
    // One leaves; a new client gets in.
    a.c.destroy();
    await waitUntil(async () => {
      const r = await connect('127.0.0.4');
      return r.greeting.code === 220;
    }, 'a connection slot is free again');
  });

  it('connections per IP (trusted networks exempt)', async () => {
    h.setSettings({ smtp: { maxConnectionsPerIp: 1 } });
    assert.equal((await connect()).greeting.code, 220);
    const second = await connect();
    assert.equal(
      second.greeting.text,
      '421 4.7.0 mx.test Error: too many connections from your address (127.0.0.2)',
    );
    await second.c.closed;
    assert.equal((await connect('127.0.0.3')).greeting.code, 220);
    assert.equal((await connect('127.0.0.1')).greeting.code, 220);
    assert.equal((await connect('127.0.0.1')).greeting.code, 220);
  });

  it('per-IP counts are released by every way a session ends (QUIT, reset, failed TLS)', async () => {
    h.setSettings({ smtp: { maxConnectionsPerIp: 1 } });
    const idle = () => waitUntil(() => h.listener.connectionCount() === 0, 'every session is released');
    const again = async () => {
      await idle();
      const r = await connect();
      assert.equal(r.greeting.code, 220);
      r.c.destroy();
      await idle();
    };
    const quit = await session();
    assert.equal((await quit.cmd('QUIT')).code, 221);
    await again();
    (await session()).destroy();
    await again();
    const tls = await session();
    assert.equal((await tls.cmd('STARTTLS')).code, 220);
    tls.write('this is not a TLS client hello\r\n'.repeat(20));
    await tls.closed;
    await again();
  });

  it('idle timeout', async () => {
    h.setSettings({ smtp: { idleTimeout: '300ms' } });
    const c = await session();
    const started = Date.now();
    assert.equal((await c.read()).text, '421 4.4.2 mx.test Error: idle timeout exceeded (0.3s)');
    assert.ok(Date.now() - started >= 250);
    await c.closed;
  });

  it('data timeout: 421 and the partial message discarded', async () => {
    h.setSettings({ smtp: { idleTimeout: '30s', dataTimeout: '300ms' } });
    const c = await session();
    const before = (await h.incomingFiles()).join();
    await c.cmd('MAIL FROM:<a@sender.test>');
    await c.cmd('RCPT TO:<x@example.com>');
    assert.equal((await c.cmd('DATA')).code, 354);
    c.write('Subject: half\r\n\r\nthe first half');
    assert.equal(
      (await c.read()).text,
      '421 4.4.2 mx.test Error: data timeout exceeded (no data for 0.3s), message discarded',
    );
    await c.closed;
    await waitUntil(
      async () => (await h.incomingFiles()).join() === before,
      'the partial message is removed',
    );
    assert.equal(h.accepted.filter((e) => e.subject === 'half').length, 0);
  });

  it('idle and data timeouts apply to their own phase', async () => {
    h.setSettings({ smtp: { idleTimeout: '300ms', dataTimeout: '30s' } });
    const c = await session();
    await c.cmd('MAIL FROM:<a@sender.test>');
    await c.cmd('RCPT TO:<x@example.com>');
    assert.equal((await c.cmd('DATA')).code, 354);
    c.write('Subject: slow\r\n\r\n');
    await sleep(700); // longer than the idle timeout, inside DATA
    assert.equal(c.isClosed(), false);
    assert.equal((await c.cmd('body\r\n.')).code, 250);
    // back to the idle timeout after the message
    assert.match((await c.read()).text, /^421 4\.4\.2 .*idle timeout exceeded/);
  });

  it('errors per connection', async () => {
    h.setSettings({ smtp: { maxErrorsPerConnection: 3 } });
    const c = await session();
    assert.equal((await c.cmd('RCPT TO:<x@example.com>')).code, 503);
    assert.equal((await c.cmd('MAIL FROM:<broken')).code, 501);
    assert.equal((await c.cmd('BOGUS')).code, 500);
    assert.equal((await c.read()).text, '421 4.7.0 mx.test Error: too many errors');
    await c.closed;
  });

  it('relay refusals count as errors too', async () => {
    h.setSettings({ smtp: { maxErrorsPerConnection: 2 } });
    const c = await session();
    await c.cmd('MAIL FROM:<>');
    assert.equal((await c.cmd('RCPT TO:<x@other.test>')).code, 554);
    assert.equal((await c.cmd('RCPT TO:<y@other.test>')).code, 554);
    assert.equal((await c.read()).code, 421);
    await c.closed;
  });
});
