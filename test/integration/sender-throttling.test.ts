// SMTP traffic throttling, approved/blocked lists and connection control, through real SMTP
// sessions from several loopback source addresses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startDnsServer } from '../helpers/dns-server.js';
import { connectFrom, quit, sendMail, sessionFrom, sleep, startFiltered } from '../helpers/sender-harness.js';

test('IP throttling: the connection over maxConnections gets the configured 450 and the IP is blocked', async () => {
  const gw = await startFiltered({
    senderFilter: { throttling: { ip: { monitor: '60s', maxConnections: 3, block: '5m' } } },
  });
  try {
    for (let i = 0; i < 3; i++) await quit(await sessionFrom(gw.port, '127.0.0.5'));
    const { c, greeting } = await connectFrom(gw.port, '127.0.0.5');
    assert.equal(greeting.text, '450 4.7.1 Too many connections from 127.0.0.5; try again in 5 minutes');
    await c.closed;
    // Still blocked, and not counted while blocked.
    const again = await connectFrom(gw.port, '127.0.0.5');
    assert.equal(again.greeting.code, 450);
    // Another client is not affected.
    await quit(await sessionFrom(gw.port, '127.0.0.6'));
    const blocks = await gw.filter.listBlocks();
    assert.equal(blocks.length, 1);
    const b = blocks[0]!;
    assert.deepEqual(
      { scope: b.scope, subject: b.subject, reason: b.reason, code: b.code, counts: b.counts, node: b.node },
      {
        scope: 'ip',
        subject: '127.0.0.5',
        reason: 'connections',
        code: 450,
        counts: { connections: 4 },
        node: 'test-node',
      },
    );
    assert.equal(b.until! - b.since, 300_000);
    assert.deepEqual(
      gw.events.map((e) => `${e.action} ${e.block.subject}`),
      ['block 127.0.0.5'],
      'the block is logged once',
    );
    assert.ok(gw.logs.some((l) => l.msg === 'sender filter: ip 127.0.0.5 blocked (connections)'));
  } finally {
    await gw.close();
  }
});

test('the block ends on time and the client starts afresh', async () => {
  const gw = await startFiltered({
    senderFilter: { throttling: { ip: { monitor: '10s', maxConnections: 1, block: '1s' } } },
  });
  try {
    await quit(await sessionFrom(gw.port, '127.0.0.7'));
    const refused = await connectFrom(gw.port, '127.0.0.7');
    assert.equal(
      refused.greeting.text,
      '450 4.7.1 Too many connections from 127.0.0.7; try again in 1 second',
    );
    await sleep(1100);
    await quit(await sessionFrom(gw.port, '127.0.0.7'));
    await gw.filter.sweep();
    assert.deepEqual(
      gw.events.map((e) => e.action),
      ['block', 'expire'],
      'the end of the block is logged',
    );
  } finally {
    await gw.close();
  }
});

test('IP throttling of messages: MAIL FROM over maxMessages is refused, then the IP is refused at connect', async () => {
  const gw = await startFiltered({
    senderFilter: { throttling: { ip: { monitor: '60s', maxMessages: 2, block: '2m' } } },
  });
  try {
    const c = await sessionFrom(gw.port, '127.0.0.8');
    for (let i = 0; i < 2; i++)
      assert.equal((await sendMail(c, 'a@remote.test', ['x@example.com'])).data?.code, 250);
    const third = await sendMail(c, 'b@remote.test', ['x@example.com']);
    assert.equal(third.mail.text, '450 4.7.1 Too many messages from 127.0.0.8; try again in 2 minutes');
    await quit(c);
    const next = await connectFrom(gw.port, '127.0.0.8');
    assert.equal(next.greeting.text, '450 4.7.1 Too many messages from 127.0.0.8; try again in 2 minutes');
    assert.equal(gw.accepted.length, 2);
  } finally {
    await gw.close();
  }
});

test('sender throttling counts one sender across client IPs; other senders pass', async () => {
  const gw = await startFiltered({
    senderFilter: { throttling: { sender: { monitor: '60s', maxMessages: 2, block: '5m' } } },
  });
  try {
    for (const ip of ['127.0.0.11', '127.0.0.12']) {
      const c = await sessionFrom(gw.port, ip);
      assert.equal((await sendMail(c, 'Bulk@Sender.test', ['x@example.com'])).data?.code, 250);
      await quit(c);
    }
    const c = await sessionFrom(gw.port, '127.0.0.13');
    const refused = await sendMail(c, 'bulk@sender.test', ['x@example.com']);
    assert.equal(
      refused.mail.text,
      '450 4.7.1 Too many messages from <bulk@sender.test>; try again in 5 minutes',
    );
    assert.equal(
      (await sendMail(c, 'other@sender.test', ['x@example.com'])).data?.code,
      250,
      'same session, other sender',
    );
    await quit(c);
    const [b] = await gw.filter.listBlocks();
    assert.equal(b?.scope, 'sender');
    assert.equal(b?.subject, 'bulk@sender.test');
    assert.deepEqual(b?.counts, { messages: 3 });
  } finally {
    await gw.close();
  }
});

test('exceptions, trusted networks and approved senders are not throttled', async () => {
  const gw = await startFiltered({
    trustedNetworks: ['127.0.0.1/32', '127.0.1.0/24'],
    senderFilter: {
      approved: ['127.0.0.21', 'vip@partner.test'],
      throttling: {
        exceptions: ['127.0.0.20', 'newsletter@sender.test'],
        ip: { monitor: '60s', maxConnections: 1, maxMessages: 1, block: '5m' },
        sender: { maxMessages: 1 },
      },
    },
  });
  try {
    for (const ip of ['127.0.0.20', '127.0.1.5', '127.0.0.21']) {
      for (let i = 0; i < 3; i++) {
        const c = await sessionFrom(gw.port, ip);
        assert.equal(
          (await sendMail(c, `u${i}@sender.test`, ['x@example.com'])).data?.code,
          250,
          `${ip} #${i}`,
        );
        await quit(c);
      }
    }
    // From a throttled IP (one message a minute): messages of an approved or excepted sender
    // are not counted at all, the others are.
    const c = await sessionFrom(gw.port, '127.0.0.22');
    assert.equal((await sendMail(c, 'vip@partner.test', ['x@example.com'])).data?.code, 250);
    assert.equal((await sendMail(c, 'newsletter@sender.test', ['x@example.com'])).data?.code, 250);
    assert.equal((await sendMail(c, 'newsletter@sender.test', ['x@example.com'])).data?.code, 250);
    assert.equal((await sendMail(c, 'someone@sender.test', ['x@example.com'])).data?.code, 250);
    assert.equal((await sendMail(c, 'someone.else@sender.test', ['x@example.com'])).mail.code, 450);
    await quit(c);
    assert.deepEqual(
      (await gw.filter.listBlocks()).map((b) => b.subject),
      ['127.0.0.22'],
    );
  } finally {
    await gw.close();
  }
});

test('approved senders are flagged for the pipeline (skip spam checks, still virus-scanned)', async () => {
  const gw = await startFiltered({ senderFilter: { approved: ['127.0.0.23', 'partner.test'] } });
  try {
    const seen: unknown[] = [];
    const original = gw.hooks.accepted.bind(gw.hooks);
    gw.hooks.accepted = (session, envelope) => {
      seen.push(gw.hooks.approval(session) ?? null);
      original(session, envelope);
    };
    let c = await sessionFrom(gw.port, '127.0.0.23');
    await sendMail(c, 'anyone@remote.test', ['x@example.com']);
    await quit(c);
    c = await sessionFrom(gw.port, '127.0.0.24');
    await sendMail(c, 'ceo@partner.test', ['x@example.com']);
    await sendMail(c, 'ceo@elsewhere.test', ['x@example.com']);
    await quit(c);
    assert.deepEqual(seen, [
      { by: 'ip', entry: '127.0.0.23' },
      { by: 'sender', entry: 'partner.test' },
      null,
    ]);
  } finally {
    await gw.close();
  }
});

test('blocked list: IPs refused at connect (550, or 450 while a temporary entry lasts), senders at MAIL FROM', async () => {
  const gw = await startFiltered({
    senderFilter: {
      approved: ['friend@spam.test'],
      blocked: [
        '127.0.0.30',
        { entry: '127.0.2.0/24', expires: new Date(Date.now() + 3_600_000).toISOString() },
        { entry: '127.0.3.0/24', expires: new Date(Date.now() - 1000).toISOString() },
        '*.spam.test',
        'spam.test',
        'bad@remote.test',
      ],
    },
  });
  try {
    assert.equal(
      (await connectFrom(gw.port, '127.0.0.30')).greeting.text,
      '550 5.7.1 127.0.0.30 is on the blocked list',
    );
    assert.equal(
      (await connectFrom(gw.port, '127.0.2.9')).greeting.text,
      '450 4.7.1 127.0.2.9 is on the blocked list',
    );
    const c = await sessionFrom(gw.port, '127.0.3.9'); // its entry has expired
    assert.equal(
      (await c.cmd('MAIL FROM:<x@mail.spam.test>')).text,
      '550 5.7.1 <x@mail.spam.test> is on the blocked list',
    );
    assert.equal(
      (await c.cmd('MAIL FROM:<BAD@remote.test>')).text,
      '550 5.7.1 <bad@remote.test> is on the blocked list',
    );
    assert.equal(
      (await sendMail(c, 'friend@spam.test', ['x@example.com'])).data?.code,
      250,
      'approved beats blocked',
    );
    assert.equal((await sendMail(c, 'good@remote.test', ['x@example.com'])).data?.code, 250);
    await quit(c);
  } finally {
    await gw.close();
  }
});

test('connection control "deny all except" refuses unlisted clients with 554, but never trusted networks', async () => {
  const gw = await startFiltered({
    senderFilter: { connectionControl: { mode: 'deny-all-except', list: ['127.0.0.40/31'] } },
  });
  try {
    await quit(await sessionFrom(gw.port, '127.0.0.40'));
    await quit(await sessionFrom(gw.port, '127.0.0.41'));
    await quit(await sessionFrom(gw.port, '127.0.0.1'));
    assert.equal(
      (await connectFrom(gw.port, '127.0.0.42')).greeting.text,
      '554 5.7.1 127.0.0.42 is not allowed to connect',
    );
    gw.setSenderFilter({ connectionControl: { list: ['127.0.0.40'] } }); // accept all except
    assert.equal((await connectFrom(gw.port, '127.0.0.40')).greeting.code, 554);
    await quit(await sessionFrom(gw.port, '127.0.0.42'));
  } finally {
    await gw.close();
  }
});

test('with senderFilter.enabled false nothing is refused', async () => {
  const gw = await startFiltered({
    senderFilter: { enabled: false, blocked: ['127.0.0.50'], throttling: { ip: { maxConnections: 1 } } },
  });
  try {
    for (let i = 0; i < 3; i++) await quit(await sessionFrom(gw.port, '127.0.0.50'));
  } finally {
    await gw.close();
  }
});

test('approved domains with "resolve: true" approve the IPs of their A and MX hosts', async () => {
  const dns = await startDnsServer({
    zones: ['partner.test'],
    mx: [{ name: 'partner.test', exchange: 'mx.partner.test' }],
    a: [
      { name: 'partner.test', address: '127.0.0.121' },
      { name: 'mx.partner.test', address: ['127.0.0.120', '::1'] },
    ],
  });
  const gw = await startFiltered({
    resolvers: [dns.address],
    senderFilter: {
      approved: [{ entry: 'partner.test', resolve: true }],
      throttling: { ip: { maxConnections: 1 } },
    },
  });
  try {
    for (const ip of ['127.0.0.120', '127.0.0.121']) {
      for (let i = 0; i < 3; i++) await quit(await sessionFrom(gw.port, ip));
    }
    await quit(await sessionFrom(gw.port, '127.0.0.122'));
    assert.equal((await connectFrom(gw.port, '127.0.0.122')).greeting.code, 450);
    const c = await sessionFrom(gw.port, '127.0.0.120');
    const seen: unknown[] = [];
    const original = gw.hooks.accepted.bind(gw.hooks);
    gw.hooks.accepted = (session, envelope) => {
      seen.push(gw.hooks.approval(session));
      original(session, envelope);
    };
    await sendMail(c, 'a@anywhere.test', ['x@example.com']);
    await quit(c);
    assert.deepEqual(seen, [{ by: 'host', entry: 'partner.test' }]);
  } finally {
    await gw.close();
    await dns.stop();
  }
});
