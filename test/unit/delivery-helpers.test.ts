import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addressLiteral, orderByPreference } from '../../src/delivery/mx.js';
import {
  describeTarget,
  flattenReply,
  orcptParam,
  outcomeOf,
  xtext,
} from '../../src/delivery/smtp-session.js';
import { SessionPool } from '../../src/delivery/pool.js';

test('MX records are tried by preference, equal preferences in random order', () => {
  const records = [
    { exchange: 'c', priority: 20 },
    { exchange: 'a1', priority: 10 },
    { exchange: 'a2', priority: 10 },
    { exchange: 'a3', priority: 10 },
    { exchange: 'b', priority: 15 },
  ];
  const firsts = new Set<string>();
  for (let i = 0; i < 200; i++) {
    const o = orderByPreference(records);
    assert.deepEqual(
      o.map((r) => r.priority),
      [10, 10, 10, 15, 20],
    );
    assert.deepEqual(
      o
        .slice(0, 3)
        .map((r) => r.exchange)
        .sort(),
      ['a1', 'a2', 'a3'],
    );
    firsts.add(o[0]!.exchange);
  }
  assert.equal(firsts.size, 3, 'each equal-preference host comes first sometimes');
});

test('address literals', () => {
  assert.equal(addressLiteral('[192.0.2.1]'), '192.0.2.1');
  assert.equal(addressLiteral('[IPv6:2001:db8::1]'), '2001:db8::1');
  assert.equal(addressLiteral('[example.com]'), undefined);
  assert.equal(addressLiteral('example.com'), undefined);
});

test('reply classification: 2xx delivered, 5xx bounced except 503, the rest deferred', () => {
  assert.equal(outcomeOf(250), 'delivered');
  assert.equal(outcomeOf(550), 'bounced');
  assert.equal(outcomeOf(554), 'bounced');
  assert.equal(outcomeOf(503), 'deferred');
  assert.equal(outcomeOf(451), 'deferred');
  assert.equal(outcomeOf(0), 'deferred');
  assert.equal(outcomeOf(354), 'deferred');
});

test('multi-line replies become one line', () => {
  assert.equal(flattenReply('550 5.1.1 no such user'), '550 5.1.1 no such user');
  assert.equal(
    flattenReply('550-5.1.1 The email account\r\n550-5.1.1 does not exist.\r\n550 5.1.1 See https://x.test'),
    '550 5.1.1 The email account does not exist. See https://x.test',
  );
  assert.equal(flattenReply('451-first\n451 second'), '451 first second');
});

test('DSN parameter encoding (RFC 3461 xtext)', () => {
  assert.equal(xtext('plain@example.com'), 'plain@example.com');
  assert.equal(xtext('a+b=c d'), 'a+2Bb+3Dc+20d');
  assert.equal(orcptParam('rfc822;a+b@example.com'), 'rfc822;a+2Bb@example.com');
  assert.equal(orcptParam('user@example.com'), 'rfc822;user@example.com');
});

test('targets are described the Postfix way', () => {
  assert.equal(describeTarget({ name: 'mx.test', address: '192.0.2.1', port: 25 }), 'mx.test[192.0.2.1]:25');
  assert.equal(describeTarget({ name: '192.0.2.1', address: '192.0.2.1', port: 2525 }), '192.0.2.1:2525');
  assert.equal(describeTarget({ name: '2001:db8::1', address: '2001:db8::1', port: 25 }), '[2001:db8::1]:25');
});

test('the pool hands out at most `limit` slots per destination and queues the rest in order', async () => {
  const pool = new SessionPool({ idleTimeout: 1000, maxAge: 60_000 });
  assert.equal(await pool.acquire('d', 2), true);
  assert.equal(await pool.acquire('d', 2), true);
  assert.equal(await pool.acquire('other', 2), true, 'other destinations are not affected');
  const order: number[] = [];
  const w1 = pool.acquire('d', 2).then((ok) => order.push(1) && ok);
  const w2 = pool.acquire('d', 2).then((ok) => order.push(2) && ok);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(order, []);
  pool.release('d');
  assert.equal(await w1, true);
  assert.deepEqual(order, [1]);
  assert.equal(pool.stats().active, 3);
  pool.close();
  assert.equal(await w2, false, 'waiters are turned away when the pool closes');
  assert.equal(await pool.acquire('d', 5), false);
});
