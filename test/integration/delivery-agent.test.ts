// The delivery agent against real SMTP servers (the test sink) over static next hops.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { Readable } from 'node:stream';
import { toRuntimeSettings, validateSettings, type Settings } from '../../src/config/settings.js';
import type { Envelope } from '../../src/queue/types.js';
import { silentLogger } from '../../src/util/log.js';
import { DeliveryAgent } from '../../src/delivery/agent.js';
import { buildDsn, statusFromReply } from '../../src/delivery/dsn.js';
import { startSink, type Sink, type SinkOptions } from '../helpers/sink.js';

const HOSTNAME = 'gw.sekimori.test';
const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function sink(o?: SinkOptions): Promise<Sink> {
  const s = await startSink(o);
  cleanups.push(() => s.close());
  return s;
}

function agentFor(doc: Record<string, unknown>, delivery: Record<string, unknown> = {}) {
  const settings: Settings = toRuntimeSettings(
    validateSettings({
      smtp: { hostname: HOSTNAME },
      ...doc,
      delivery: { connectTimeout: '3s', commandTimeout: '10s', tls: 'none', ...delivery },
    }),
  );
  const agent = new DeliveryAgent({ settings: () => settings, log: silentLogger() });
  cleanups.push(() => agent.close());
  return agent;
}

function routeTo(...ports: number[]) {
  return { domains: [{ name: 'dest.test', nextHops: ports.map((p) => `127.0.0.1:${p}`) }] };
}

const MESSAGE = Buffer.from(
  'From: alice@origin.test\r\nTo: bob@dest.test\r\nSubject: hello\r\nMessage-ID: <m1@origin.test>\r\n\r\n' +
    'Hello Bob.\r\n.leading dot survives\r\n..two dots too\r\n',
);

function envelope(recipients: string[], over: Partial<Envelope> = {}): Envelope {
  return {
    id: 'T' + Math.random().toString(36).slice(2, 8),
    sender: 'alice@origin.test',
    recipients: recipients.map((address) => ({ address })),
    receivedAt: Date.now(),
    client: { ip: '192.0.2.1', helo: 'client.test', tls: false },
    size: MESSAGE.length,
    origin: 'smtp',
    ...over,
  };
}

async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

test('delivers to the next hop: exact bytes, EHLO name, envelope, one result per recipient', async () => {
  const s = await sink();
  const agent = agentFor(routeTo(s.port));
  const env = envelope(['bob@dest.test', 'carol@Dest.Test']);
  const results = await agent.deliver(env, ['bob@dest.test', 'carol@Dest.Test'], () =>
    Readable.from([MESSAGE]),
  );
  assert.deepEqual(
    results.map((r) => [r.address, r.outcome, r.code, r.host]),
    [
      ['bob@dest.test', 'delivered', 250, `127.0.0.1:${s.port}`],
      ['carol@Dest.Test', 'delivered', 250, `127.0.0.1:${s.port}`],
    ],
  );
  assert.match(results[0]!.reply, /^250 /);
  const [m] = await s.waitFor(1);
  assert.equal(m!.from, 'alice@origin.test');
  assert.deepEqual(m!.to, ['bob@dest.test', 'carol@Dest.Test']);
  assert.equal(m!.helo, HOSTNAME);
  assert.equal(m!.secure, false);
  assert.ok(m!.raw.equals(MESSAGE), 'message arrives byte for byte (dot-stuffing undone by the server)');
  assert.equal(s.messages.length, 1, 'one transaction for recipients of one destination');
});

test('bare LF/CR line ends cannot end DATA early (no SMTP smuggling to the next hop)', async () => {
  const s = await sink();
  const agent = agentFor(routeTo(s.port));
  const evil = Buffer.from(
    'Subject: smuggle\r\n\r\nfirst\n.\r\nMAIL FROM:<evil@x.test>\r\nRCPT TO:<victim@dest.test>\r\nDATA\r\n' +
      'second\r.\rthird\r\n.\nfourth\r\n',
  );
  const [r] = await agent.deliver(
    envelope(['bob@dest.test'], { size: evil.length }),
    ['bob@dest.test'],
    () => evil,
  );
  assert.equal(r!.outcome, 'delivered');
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal(s.messages.length, 1, 'exactly one message reached the server');
  const raw = s.messages[0]!.raw.toString();
  assert.deepEqual(s.messages[0]!.to, ['bob@dest.test']);
  assert.match(raw, /MAIL FROM:<evil@x\.test>/, 'the smuggled commands stayed message text');
  assert.match(raw, /fourth\r\n$/);
  assert.ok(!/[^\r]\n|\r[^\n]/.test(raw), 'only CRLF line ends went out');
});

test('the null sender is MAIL FROM:<>', async () => {
  const s = await sink();
  const agent = agentFor(routeTo(s.port));
  const [r] = await agent.deliver(
    envelope(['bob@dest.test'], { sender: '' }),
    ['bob@dest.test'],
    () => MESSAGE,
  );
  assert.equal(r!.outcome, 'delivered');
  const [m] = await s.waitFor(1);
  assert.equal(m!.from, '');
});

test('fails over to the second next hop when the first refuses connections or greets with 4xx', async () => {
  const good = await sink();
  const busy = await sink({ greeting: { code: 421, message: '4.3.2 too busy' } });
  const refused = await closedPort();
  const agent = agentFor(routeTo(refused, busy.port, good.port));
  const [r] = await agent.deliver(envelope(['bob@dest.test']), ['bob@dest.test'], () => MESSAGE);
  assert.equal(r!.outcome, 'delivered');
  assert.equal(r!.host, `127.0.0.1:${good.port}`);
  assert.equal(busy.connections, 1, 'the busy hop was tried');
  assert.equal(busy.messages.length, 0);
  assert.equal(good.messages.length, 1);
});

test('when every hop fails, all recipients are deferred with the last error', async () => {
  const agent = agentFor(routeTo(await closedPort(), await closedPort()));
  const results = await agent.deliver(
    envelope(['a@dest.test', 'b@dest.test']),
    ['a@dest.test', 'b@dest.test'],
    () => MESSAGE,
  );
  for (const r of results) {
    assert.equal(r.outcome, 'deferred');
    assert.equal(r.code, 0);
    assert.match(r.reply, /ECONNREFUSED/);
    assert.equal(statusFromReply(r.reply, r.code), '4.4.1');
  }
});

test('per-recipient results: delivered, deferred (4xx) and bounced (5xx) in one message', async () => {
  const s = await sink();
  const agent = agentFor(routeTo(s.port));
  const rcpts = ['ok@dest.test', 'defer-me@dest.test', 'reject-me@dest.test'];
  const results = await agent.deliver(envelope(rcpts), rcpts, () => MESSAGE);
  assert.deepEqual(
    results.map((r) => [r.address, r.outcome, r.code]),
    [
      ['ok@dest.test', 'delivered', 250],
      ['defer-me@dest.test', 'deferred', 451],
      ['reject-me@dest.test', 'bounced', 550],
    ],
  );
  assert.equal(results[1]!.reply, '451 4.2.0 mailbox temporarily unavailable');
  assert.equal(results[2]!.reply, '550 5.1.1 no such user');
  assert.equal(statusFromReply(results[2]!.reply, results[2]!.code), '5.1.1');
  const [m] = await s.waitFor(1);
  assert.deepEqual(m!.to, ['ok@dest.test']);
});

test('a 5xx to the message applies to the accepted recipients only; a refused sender to all', async () => {
  const s = await sink({ data: () => ({ code: 554, message: '5.7.1 message refused' }) });
  const agent = agentFor(routeTo(s.port));
  const rcpts = ['a@dest.test', 'defer-b@dest.test', 'c@dest.test'];
  const results = await agent.deliver(envelope(rcpts), rcpts, () => MESSAGE);
  assert.deepEqual(
    results.map((r) => [r.outcome, r.reply]),
    [
      ['bounced', '554 5.7.1 message refused'],
      ['deferred', '451 4.2.0 mailbox temporarily unavailable'],
      ['bounced', '554 5.7.1 message refused'],
    ],
  );

  const s2 = await sink({ mail: () => ({ code: 451, message: '4.7.1 greylisted, try again' }) });
  const agent2 = agentFor(routeTo(s2.port));
  const r2 = await agent2.deliver(
    envelope(['a@dest.test', 'reject-b@dest.test']),
    ['a@dest.test', 'reject-b@dest.test'],
    () => MESSAGE,
  );
  assert.deepEqual(
    r2.map((r) => [r.outcome, r.code, r.reply]),
    [
      ['deferred', 451, '451 4.7.1 greylisted, try again'],
      ['deferred', 451, '451 4.7.1 greylisted, try again'],
    ],
  );
});

test('opportunistic STARTTLS is used when offered (self-signed certificate accepted)', async () => {
  const s = await sink({ tls: true });
  const agent = agentFor(routeTo(s.port), { tls: 'opportunistic' });
  const [r] = await agent.deliver(envelope(['bob@dest.test']), ['bob@dest.test'], () => MESSAGE);
  assert.equal(r!.outcome, 'delivered');
  const [m] = await s.waitFor(1);
  assert.equal(m!.secure, true);

  // and plaintext when it is not offered
  const plain = await sink();
  const agent2 = agentFor(routeTo(plain.port), { tls: 'opportunistic' });
  const [r2] = await agent2.deliver(envelope(['bob@dest.test']), ['bob@dest.test'], () => MESSAGE);
  assert.equal(r2!.outcome, 'delivered');
  assert.equal((await plain.waitFor(1))[0]!.secure, false);
});

/** A scripted SMTP server that offers STARTTLS but answers the handshake with garbage. */
async function brokenTlsServer(): Promise<{ port: number; received: string[]; close: () => Promise<void> }> {
  const received: string[] = [];
  const srv = createServer((sock) => {
    let buf = '';
    let inData = false;
    let handshake = false;
    sock.write('220 broken.test ESMTP\r\n');
    sock.on('data', (chunk) => {
      // the client hello is answered with bytes that are no TLS record
      if (handshake) return void sock.end('this is not TLS at all\r\n');
      buf += chunk.toString('latin1');
      let i: number;
      while (!inData && (i = buf.indexOf('\r\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'EHLO') sock.write('250-broken.test\r\n250-PIPELINING\r\n250 STARTTLS\r\n');
        else if (verb === 'STAR') {
          sock.write('220 go ahead\r\n');
          handshake = true;
        } else if (verb === 'DATA') {
          sock.write('354 go on\r\n');
          inData = true;
        } else if (verb === 'QUIT') sock.end('221 bye\r\n');
        else sock.write('250 ok\r\n');
      }
      if (inData && (i = buf.indexOf('\r\n.\r\n')) >= 0) {
        received.push(buf.slice(0, i + 2));
        buf = buf.slice(i + 5);
        inData = false;
        sock.write('250 queued\r\n');
      }
    });
    sock.on('error', () => undefined);
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  return {
    port: (srv.address() as { port: number }).port,
    received,
    close: () => new Promise<void>((r) => srv.close(() => r())),
  };
}

test('opportunistic TLS that fails in the handshake is retried in plaintext; "required" is not', async () => {
  const broken = await brokenTlsServer();
  cleanups.push(broken.close);
  const agent = agentFor(routeTo(broken.port), { tls: 'opportunistic' });
  const [r] = await agent.deliver(envelope(['bob@dest.test']), ['bob@dest.test'], () => MESSAGE);
  assert.equal(r!.outcome, 'delivered', r!.reply);
  assert.equal(broken.received.length, 1);

  const strict = agentFor(routeTo(broken.port), { tls: 'required' });
  const [r2] = await strict.deliver(envelope(['bob@dest.test']), ['bob@dest.test'], () => MESSAGE);
  assert.equal(r2!.outcome, 'deferred');
  assert.match(r2!.reply, /STARTTLS/);
  assert.equal(broken.received.length, 1);
});

test('tls "required" defers when the server offers no STARTTLS, and uses it when offered', async () => {
  const plain = await sink();
  const agent = agentFor(routeTo(plain.port), { tls: 'required' });
  const [r] = await agent.deliver(envelope(['bob@dest.test']), ['bob@dest.test'], () => MESSAGE);
  assert.equal(r!.outcome, 'deferred');
  assert.match(r!.reply, /STARTTLS/);
  assert.equal(plain.messages.length, 0);

  const secure = await sink({ tls: true });
  const agent2 = agentFor(routeTo(secure.port), { tls: 'required' });
  const [r2] = await agent2.deliver(envelope(['bob@dest.test']), ['bob@dest.test'], () => MESSAGE);
  assert.equal(r2!.outcome, 'delivered');
  assert.equal((await secure.waitFor(1))[0]!.secure, true);
});

test('connections are reused: three messages, one connection', async () => {
  const s = await sink({ tls: true });
  const agent = agentFor(routeTo(s.port), { tls: 'opportunistic' });
  for (let i = 0; i < 3; i++) {
    const [r] = await agent.deliver(envelope(['bob@dest.test']), ['bob@dest.test'], () => MESSAGE);
    assert.equal(r!.outcome, 'delivered');
  }
  const msgs = await s.waitFor(3);
  assert.equal(s.connections, 1);
  assert.equal(new Set(msgs.map((m) => m.connectionId)).size, 1);
  assert.ok(msgs.every((m) => m.secure));
  assert.equal(agent.stats().idle, 1);
  await agent.close();
  assert.equal(agent.stats().idle, 0);
  const [late] = await agent.deliver(envelope(['bob@dest.test']), ['bob@dest.test'], () => MESSAGE);
  assert.equal(late!.outcome, 'deferred', 'a closed agent delivers nothing');
});

test('a connection the server closed while idle is replaced transparently', async () => {
  const s = await sink({ idleTimeout: 300 });
  const agent = agentFor(routeTo(s.port));
  const [first] = await agent.deliver(envelope(['bob@dest.test']), ['bob@dest.test'], () => MESSAGE);
  assert.equal(first!.outcome, 'delivered');
  await new Promise((resolve) => setTimeout(resolve, 700)); // the server times the idle session out
  const [second] = await agent.deliver(envelope(['bob@dest.test']), ['bob@dest.test'], () => MESSAGE);
  assert.equal(second!.outcome, 'delivered', second!.reply);
  assert.equal(s.connections, 2);
  assert.equal(s.messages.length, 2);
});

test('a next hop that went away defers, and the agent does not hang on its dead connection', async () => {
  const s = await sink();
  const agent = agentFor(routeTo(s.port));
  await agent.deliver(envelope(['bob@dest.test']), ['bob@dest.test'], () => MESSAGE);
  await s.close();
  const [r] = await agent.deliver(envelope(['bob@dest.test']), ['bob@dest.test'], () => MESSAGE);
  assert.equal(r!.outcome, 'deferred');
  assert.match(r!.reply, /ECONNREFUSED/);
});

test('concurrency per destination: parallel deliveries wait for a slot and share the connection', async () => {
  const s = await sink();
  const agent = agentFor(routeTo(s.port), { concurrencyPerDestination: 1 });
  const all = await Promise.all(
    Array.from({ length: 5 }, () =>
      agent.deliver(envelope(['bob@dest.test']), ['bob@dest.test'], () => MESSAGE),
    ),
  );
  assert.ok(all.every(([r]) => r!.outcome === 'delivered'));
  assert.equal(s.connections, 1);

  const s2 = await sink();
  const agent2 = agentFor(routeTo(s2.port), { concurrencyPerDestination: 3 });
  await Promise.all(
    Array.from({ length: 6 }, () =>
      agent2.deliver(envelope(['bob@dest.test']), ['bob@dest.test'], () => MESSAGE),
    ),
  );
  assert.equal(s2.messages.length, 6);
  assert.ok(s2.connections <= 3, `at most 3 connections, saw ${s2.connections}`);
});

test('recipients of different destinations are delivered separately, in parallel', async () => {
  const a = await sink();
  const b = await sink();
  const agent = agentFor({
    domains: [
      { name: 'a.test', nextHops: [`127.0.0.1:${a.port}`] },
      { name: 'b.test', nextHops: [`127.0.0.1:${b.port}`] },
    ],
  });
  const rcpts = ['x@b.test', 'y@a.test', 'z@b.test'];
  const results = await agent.deliver(envelope(rcpts), rcpts, () => MESSAGE);
  assert.deepEqual(
    results.map((r) => [r.address, r.outcome, r.host]),
    [
      ['x@b.test', 'delivered', `127.0.0.1:${b.port}`],
      ['y@a.test', 'delivered', `127.0.0.1:${a.port}`],
      ['z@b.test', 'delivered', `127.0.0.1:${b.port}`],
    ],
  );
  assert.deepEqual((await b.waitFor(1))[0]!.to, ['x@b.test', 'z@b.test']);
  assert.deepEqual((await a.waitFor(1))[0]!.to, ['y@a.test']);
});

test('DSN parameters per recipient, RET/ENVID, BODY=8BITMIME and SMTPUTF8 reach a server that supports them', async () => {
  const s = await sink({ size: 10 * 1024 * 1024 });
  const agent = agentFor(routeTo(s.port));
  const env = envelope([], {
    recipients: [
      { address: 'a@dest.test', notify: ['FAILURE', 'DELAY'], orcpt: 'rfc822;A+x@Dest.test' },
      { address: 'b@dest.test', notify: ['NEVER'] },
      { address: 'c@dest.test' },
    ],
    dsn: { ret: 'HDRS', envid: 'env id+1' },
    bodyType: '8BITMIME',
    smtputf8: true,
  });
  const results = await agent.deliver(env, ['a@dest.test', 'b@dest.test', 'c@dest.test'], () => MESSAGE);
  assert.ok(results.every((r) => r.outcome === 'delivered'));
  const [m] = await s.waitFor(1);
  assert.equal(m!.mailArgs.RET, 'HDRS');
  assert.equal(m!.mailArgs.ENVID, 'env id+1');
  assert.equal(m!.mailArgs.BODY, '8BITMIME');
  assert.equal(m!.mailArgs.SMTPUTF8, true);
  assert.equal(m!.mailArgs.SIZE, String(MESSAGE.length));
  assert.deepEqual(m!.rcptArgs['a@dest.test'], { NOTIFY: 'FAILURE,DELAY', ORCPT: 'rfc822;A+x@Dest.test' });
  assert.deepEqual(m!.rcptArgs['b@dest.test'], { NOTIFY: 'NEVER' });
  assert.deepEqual(m!.rcptArgs['c@dest.test'], {});

  // a server without DSN and SMTPUTF8 gets none of those parameters
  const old = await sink({ dsn: false, smtputf8: false });
  const agent2 = agentFor(routeTo(old.port));
  await agent2.deliver({ ...env, smtputf8: false }, ['a@dest.test'], () => MESSAGE);
  const [m2] = await old.waitFor(1);
  assert.equal(m2!.mailArgs.RET, undefined);
  assert.equal(m2!.mailArgs.SMTPUTF8, undefined);
  assert.deepEqual(m2!.rcptArgs['a@dest.test'], {});
});

test('what the server cannot take bounces before sending: SMTPUTF8 addresses, SIZE', async () => {
  const s = await sink({ smtputf8: false, size: 100 });
  const agent = agentFor(routeTo(s.port));
  const rcpts = ['ascii@dest.test', 'ユーザー@dest.test'];
  const small = Buffer.from('Subject: x\r\n\r\nhi\r\n');
  const results = await agent.deliver(
    envelope(rcpts, { size: small.length, smtputf8: true }),
    rcpts,
    () => small,
  );
  assert.equal(results[0]!.outcome, 'delivered');
  assert.equal(results[1]!.outcome, 'bounced');
  assert.equal(statusFromReply(results[1]!.reply, results[1]!.code), '5.6.7');

  const [big] = await agent.deliver(
    envelope(['ascii@dest.test'], { size: 5000 }),
    ['ascii@dest.test'],
    () => MESSAGE,
  );
  assert.equal(big!.outcome, 'bounced');
  assert.equal(statusFromReply(big!.reply, big!.code), '5.3.4');
  assert.equal(s.messages.length, 1);
});

test('a message that cannot be read defers; a bad address bounces; the agent never throws', async () => {
  const s = await sink();
  const agent = agentFor(routeTo(s.port));
  const results = await agent.deliver(
    envelope(['bob@dest.test', 'nodomain']),
    ['bob@dest.test', 'nodomain'],
    () => {
      throw new Error('ENOENT: no such file');
    },
  );
  assert.equal(results[0]!.outcome, 'deferred');
  assert.match(results[0]!.reply, /ENOENT/);
  assert.equal(results[1]!.outcome, 'bounced');

  const broken = new Readable({
    read() {
      this.destroy(new Error('disk read error'));
    },
  });
  const [r] = await agent.deliver(envelope(['bob@dest.test']), ['bob@dest.test'], () => broken);
  assert.equal(r!.outcome, 'deferred');
  assert.match(r!.reply, /disk read error/);
  assert.equal(s.messages.length, 0, 'a half-sent message is never completed');
  // the connection left in the middle of DATA is not reused; the next message goes on a new one
  const started = Date.now();
  const [ok] = await agent.deliver(envelope(['bob@dest.test']), ['bob@dest.test'], () => MESSAGE);
  assert.equal(ok!.outcome, 'delivered');
  assert.ok(Date.now() - started < 2000, 'no wait for a timeout');
  assert.equal(s.messages.length, 1);
});

test('a bounce built from the results reaches the sender from <> with the diagnostic', async () => {
  const dest = await sink();
  const origin = await sink();
  const agent = agentFor({
    domains: [
      { name: 'dest.test', nextHops: [`127.0.0.1:${dest.port}`] },
      { name: 'origin.test', nextHops: [`127.0.0.1:${origin.port}`] },
    ],
  });
  const env = envelope([], {
    recipients: [{ address: 'reject-me@dest.test', orcpt: 'rfc822;Reject-Me@dest.test' }],
  });
  const [failed] = await agent.deliver(env, ['reject-me@dest.test'], () => MESSAGE);
  assert.equal(failed!.outcome, 'bounced');

  const dsn = buildDsn({
    reportingMta: HOSTNAME,
    original: env,
    originalMessage: MESSAGE,
    arrivalDate: new Date(env.receivedAt),
    recipients: [
      {
        address: failed!.address,
        action: 'failed',
        status: statusFromReply(failed!.reply, failed!.code),
        diagnostic: `smtp; ${failed!.reply}`,
        remoteMta: failed!.host,
        orcpt: 'rfc822;Reject-Me@dest.test',
      },
    ],
  });
  const bounceEnv = envelope(['alice@origin.test'], { sender: '', size: dsn.length, origin: 'bounce' });
  const [sent] = await agent.deliver(bounceEnv, ['alice@origin.test'], () => dsn);
  assert.equal(sent!.outcome, 'delivered');
  const [m] = await origin.waitFor(1);
  assert.equal(m!.from, '');
  const text = m!.raw.toString();
  assert.match(text, /^To: <alice@origin\.test>$/m);
  assert.match(text, /^Content-Type: multipart\/report; report-type=delivery-status;/m);
  assert.match(text, /^Final-Recipient: rfc822; reject-me@dest\.test$/m);
  assert.match(text, /^Original-Recipient: rfc822; Reject-Me@dest\.test$/m);
  assert.match(text, /^Status: 5\.1\.1$/m);
  assert.match(text, /^Remote-MTA: dns; 127\.0\.0\.1$/m);
  assert.match(text, /^Diagnostic-Code: smtp; 550 5\.1\.1 no such user$/m);
  assert.match(text, /^Subject: hello$/m, 'the original message is attached');
});
