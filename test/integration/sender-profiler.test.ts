// IP profiler: directory harvest (DHA), bounce attack, spam and virus verdicts, through real
// SMTP sessions from loopback source addresses; block listing, unblocking by hand, expiry.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { connectFrom, quit, sendMail, sessionFrom, sleep, startFiltered } from '../helpers/sender-harness.js';

const DOMAINS = [{ name: 'example.com', recipients: ['alice', 'bob', 'carol'] }];

// The snippet of issue 5, as imported.
const SNIPPET = parse(`
senderFilter:
  throttling:
    ip:     { monitor: 60s, maxConnections: 5, maxMessages: 20, block: 5m }
    sender: { monitor: 60s, maxMessages: 10, block: 5m }
  ipProfiler:
    dha: { monitor: 1h, rate: 50%, minMessages: 10, nonExistentRecipients: 5, action: block-temporarily, block: 1h }
`) as { senderFilter: unknown };

test('DHA with the issue 5 settings: 10 recipients, most of them unknown, block the IP for an hour', async () => {
  const gw = await startFiltered({ domains: DOMAINS, senderFilter: SNIPPET.senderFilter });
  try {
    // Two sessions (smtp.maxErrorsPerConnection would end one with many errors).
    let c = await sessionFrom(gw.port, '127.0.0.60');
    assert.equal((await c.cmd('MAIL FROM:<harvester@remote.test>')).code, 250);
    assert.equal((await c.cmd('RCPT TO:<alice@example.com>')).code, 250);
    assert.equal((await c.cmd('RCPT TO:<bob@example.com>')).code, 250);
    for (const u of ['admin', 'info', 'sales'])
      assert.equal((await c.cmd(`RCPT TO:<${u}@example.com>`)).code, 550);
    await quit(c);
    c = await sessionFrom(gw.port, '127.0.0.60');
    assert.equal((await c.cmd('MAIL FROM:<harvester@remote.test>')).code, 250);
    for (const u of ['jobs', 'hr', 'it']) assert.equal((await c.cmd(`RCPT TO:<${u}@example.com>`)).code, 550);
    assert.equal((await c.cmd('RCPT TO:<carol@example.com>')).code, 250, '9 recipients: under minMessages');
    const tenth = await c.cmd('RCPT TO:<ceo@example.com>');
    assert.equal(
      tenth.text,
      '550 5.1.1 <ceo@example.com>: recipient unknown',
      'the recipient that crosses keeps its reply',
    );
    const after = await c.cmd('RCPT TO:<alice@example.com>');
    assert.equal(
      after.text,
      '450 4.7.1 127.0.0.60 is blocked for a directory harvest attack; try again in 1 hour',
    );
    await quit(c);
    const next = await connectFrom(gw.port, '127.0.0.60');
    assert.equal(
      next.greeting.text,
      '450 4.7.1 127.0.0.60 is blocked for a directory harvest attack; try again in 1 hour',
    );
    await quit(await sessionFrom(gw.port, '127.0.0.61'));
    const [b] = await gw.filter.listBlocks();
    assert.deepEqual(
      {
        subject: b?.subject,
        reason: b?.reason,
        code: b?.code,
        counts: b?.counts,
        hour: b && b.until! - b.since,
      },
      {
        subject: '127.0.0.60',
        reason: 'dha',
        code: 450,
        counts: { recipients: 10, unknownRecipients: 7 },
        hour: 3_600_000,
      },
    );
  } finally {
    await gw.close();
  }
});

test('a permanent DHA block refused at RCPT: the session opens, every recipient gets 550', async () => {
  const gw = await startFiltered({
    domains: DOMAINS,
    senderFilter: {
      ipProfiler: {
        dha: {
          minMessages: 3,
          nonExistentRecipients: 2,
          rate: '60%',
          action: 'block-permanently',
          refuseAt: 'rcpt',
        },
      },
    },
  });
  try {
    let c = await sessionFrom(gw.port, '127.0.0.62');
    await c.cmd('MAIL FROM:<h@remote.test>');
    for (const u of ['alice', 'x1', 'x2']) await c.cmd(`RCPT TO:<${u}@example.com>`);
    await quit(c);
    c = await sessionFrom(gw.port, '127.0.0.62');
    assert.equal((await c.cmd('MAIL FROM:<h@remote.test>')).code, 250);
    assert.equal(
      (await c.cmd('RCPT TO:<alice@example.com>')).text,
      '550 5.7.1 127.0.0.62 is blocked for a directory harvest attack',
    );
    await quit(c);
    const [b] = await gw.filter.listBlocks();
    assert.equal(b?.until, undefined, 'permanent');
    assert.equal(b?.refuseAt, 'rcpt');
  } finally {
    await gw.close();
  }
});

test('trusted networks are never profiled', async () => {
  const gw = await startFiltered({
    domains: DOMAINS,
    senderFilter: { ipProfiler: { dha: { minMessages: 1, nonExistentRecipients: 1 } } },
  });
  try {
    const c = await sessionFrom(gw.port, '127.0.0.1');
    await c.cmd('MAIL FROM:<a@example.com>');
    for (const u of ['x1', 'x2', 'x3']) await c.cmd(`RCPT TO:<${u}@example.com>`);
    assert.equal((await c.cmd('RCPT TO:<alice@example.com>')).code, 250);
    await quit(c);
    assert.deepEqual(await gw.filter.listBlocks(), []);
  } finally {
    await gw.close();
  }
});

test('bounce attack: null-sender mail to addresses that never sent through Sekimori blocks the IP', async () => {
  const gw = await startFiltered({
    domains: [{ name: 'example.com' }],
    senderFilter: { ipProfiler: { bounce: { minMessages: 3, rate: '50%', block: '30m' } } },
  });
  try {
    // alice sends outbound mail through Sekimori (from a trusted network): she may get bounces.
    let c = await sessionFrom(gw.port, '127.0.0.1');
    assert.equal((await sendMail(c, 'alice@example.com', ['friend@remote.test'])).data?.code, 250);
    await quit(c);
    await sleep(50); // the outbound sender is remembered after the 250
    c = await sessionFrom(gw.port, '127.0.0.70');
    // Real bounces to alice and ordinary mail are no attack.
    for (let i = 0; i < 3; i++) assert.equal((await sendMail(c, '', ['Alice@example.com'])).data?.code, 250);
    assert.equal((await sendMail(c, 'news@remote.test', ['bob@example.com'])).data?.code, 250);
    await sleep(50);
    assert.deepEqual(await gw.filter.listBlocks(), []);
    // Backscatter to people who never sent anything: 3 of 7 messages, then 4 of 8 = 50%.
    for (const u of ['bob', 'carol', 'dave'])
      assert.equal((await sendMail(c, '', [`${u}@example.com`])).data?.code, 250);
    await sleep(50);
    assert.deepEqual(await gw.filter.listBlocks(), [], '3 of 7 is under 50%');
    assert.equal((await sendMail(c, '', ['erin@example.com'])).data?.code, 250);
    await sleep(50);
    const next = await sendMail(c, '', ['frank@example.com']);
    assert.equal(
      next.mail.text,
      '450 4.7.1 127.0.0.70 is blocked for a bounce attack; try again in 30 minutes',
    );
    await quit(c);
    assert.equal((await connectFrom(gw.port, '127.0.0.70')).greeting.code, 450);
    const [b] = await gw.filter.listBlocks();
    assert.deepEqual(b?.counts, { messages: 8, bouncesToUnknownSenders: 4 });
  } finally {
    await gw.close();
  }
});

test('spam and virus verdicts from the pipeline block by share of traffic; unblock by hand', async () => {
  const gw = await startFiltered({
    senderFilter: {
      ipProfiler: {
        spam: { minMessages: 4, rate: '75%', block: '2h' },
        virus: { minMessages: 1, rate: '10%', action: 'block-permanently' },
      },
    },
  });
  try {
    for (const spam of [true, false, true, true])
      await gw.filter.recordVerdict('127.0.0.80', { spam, virus: false });
    assert.equal(
      (await connectFrom(gw.port, '127.0.0.80')).greeting.text,
      '450 4.7.1 127.0.0.80 is blocked for sending spam; try again in 2 hours',
    );
    await gw.filter.recordVerdict('::ffff:127.0.0.81', { spam: false, virus: true });
    assert.equal(
      (await connectFrom(gw.port, '127.0.0.81')).greeting.text,
      '550 5.7.1 127.0.0.81 is blocked for sending viruses',
    );
    await gw.filter.recordVerdict('127.0.0.1', { spam: true, virus: true }); // trusted: not profiled
    assert.deepEqual(
      (await gw.filter.listBlocks()).map((b) => `${b.subject} ${b.reason}`),
      ['127.0.0.80 spam', '127.0.0.81 virus'],
    );
    assert.equal((await gw.filter.unblock('127.0.0.81', 'cli'))?.reason, 'virus');
    assert.equal(await gw.filter.unblock('127.0.0.81'), undefined);
    await quit(await sessionFrom(gw.port, '127.0.0.81'));
    assert.deepEqual(
      gw.events.map((e) => `${e.action} ${e.block.subject} ${e.by ?? ''}`.trim()),
      ['block 127.0.0.80', 'block 127.0.0.81', 'unblock 127.0.0.81 cli'],
    );
  } finally {
    await gw.close();
  }
});

test('manual blocks of IPs and senders', async () => {
  const gw = await startFiltered();
  try {
    await gw.filter.block('127.0.0.90', { durationMs: 600_000 });
    await gw.filter.block('<Spammer@Remote.test>');
    assert.equal(
      (await connectFrom(gw.port, '127.0.0.90')).greeting.text,
      '450 4.7.1 127.0.0.90 is blocked by the administrator',
    );
    const c = await sessionFrom(gw.port, '127.0.0.91');
    assert.equal(
      (await c.cmd('MAIL FROM:<spammer@remote.test>')).text,
      '550 5.7.1 spammer@remote.test is blocked by the administrator',
    );
    await quit(c);
  } finally {
    await gw.close();
  }
});
