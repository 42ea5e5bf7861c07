// Counters shared through Redis by two sender filters (two nodes of a group, in one process
// here; sender-gateway.test.ts does it with two gateway processes), and what happens when Redis
// goes away and comes back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { freePort } from '../helpers/ports.js';
import { waitUntil } from '../helpers/tmp.js';
import {
  connectFrom,
  quit,
  REDIS_URL,
  redisPrefix,
  sendMail,
  sessionFrom,
  startFiltered,
} from '../helpers/sender-harness.js';

test('two nodes sharing Redis enforce one connection limit together, and an unblock on one lifts it on both', async () => {
  const { prefix, drop } = redisPrefix();
  const senderFilter = {
    rateStore: 'redis',
    redisUrl: REDIS_URL,
    redisKeyPrefix: prefix,
    throttling: { ip: { monitor: '60s', maxConnections: 4, block: '5m' } },
  };
  const a = await startFiltered({ senderFilter, node: 'node-a' });
  const b = await startFiltered({ senderFilter, node: 'node-b' });
  try {
    for (const gw of [a, b, a, b]) await quit(await sessionFrom(gw.port, '127.0.0.100'));
    const fifth = await connectFrom(b.port, '127.0.0.100');
    assert.equal(
      fifth.greeting.text,
      '450 4.7.1 Too many connections from 127.0.0.100; try again in 5 minutes',
    );
    assert.equal((await connectFrom(a.port, '127.0.0.100')).greeting.code, 450, 'the other node refuses too');
    assert.equal((await a.filter.listBlocks())[0]?.node, 'node-b', 'listed on node a, set by node b');
    assert.equal(a.events.length + b.events.length, 1, 'one block, logged once');
    await a.filter.unblock('127.0.0.100');
    await quit(await sessionFrom(b.port, '127.0.0.100'));
  } finally {
    await a.close();
    await b.close();
    await drop();
  }
});

test('sender throttling across two nodes', async () => {
  const { prefix, drop } = redisPrefix();
  const senderFilter = {
    rateStore: 'redis',
    redisKeyPrefix: prefix,
    throttling: { sender: { monitor: '60s', maxMessages: 3, block: '10m' } },
  };
  const a = await startFiltered({ senderFilter });
  const b = await startFiltered({ senderFilter });
  try {
    const ca = await sessionFrom(a.port, '127.0.0.101');
    const cb = await sessionFrom(b.port, '127.0.0.102');
    for (const c of [ca, cb, ca])
      assert.equal((await sendMail(c, 'bulk@remote.test', ['x@example.com'])).data?.code, 250);
    assert.equal((await sendMail(cb, 'bulk@remote.test', ['x@example.com'])).mail.code, 450);
    assert.equal(
      (await sendMail(ca, 'bulk@remote.test', ['x@example.com'])).mail.text,
      '450 4.7.1 Too many messages from <bulk@remote.test>; try again in 10 minutes',
    );
    await quit(ca);
    await quit(cb);
  } finally {
    await a.close();
    await b.close();
    await drop();
  }
});

test('Redis unavailable: a clear warning, counting goes on in memory and mail keeps flowing', async () => {
  const closed = await freePort();
  const gw = await startFiltered({
    senderFilter: {
      rateStore: 'redis',
      redisUrl: `redis://127.0.0.1:${closed}`,
      throttling: { ip: { monitor: '60s', maxConnections: 2, block: '5m' } },
    },
  });
  try {
    const c = await sessionFrom(gw.port, '127.0.0.103');
    assert.equal((await sendMail(c, 'a@remote.test', ['x@example.com'])).data?.code, 250);
    await quit(c);
    const warning = gw.logs.find((l) => String(l.msg).includes('is unavailable'));
    assert.ok(warning, 'a warning was logged');
    assert.equal(warning.level, 40);
    assert.match(
      String(warning.msg),
      new RegExp(
        `^Redis at redis://127\\.0\\.0\\.1:${closed} is unavailable \\(.*ECONNREFUSED.*\\); the sender filter counts in memory on this node until it is back$`,
      ),
    );
    assert.equal(
      gw.logs.filter((l) => String(l.msg).includes('is unavailable')).length,
      1,
      'once, not per command',
    );
    // The limit still holds, per node.
    await quit(await sessionFrom(gw.port, '127.0.0.103'));
    assert.equal((await connectFrom(gw.port, '127.0.0.103')).greeting.code, 450);
  } finally {
    await gw.close();
  }
});

/** A TCP relay to Redis that can be cut and restored, to take Redis away from one client. */
async function cuttableRedis(): Promise<{
  url: string;
  cut: () => Promise<void>;
  restore: () => Promise<void>;
  close: () => Promise<void>;
}> {
  const port = await freePort();
  const target = new URL(REDIS_URL);
  const sockets = new Set<net.Socket>();
  let server: net.Server | undefined;
  const restore = () =>
    new Promise<void>((resolve) => {
      server = net.createServer((client) => {
        const upstream = net.connect(Number(target.port || 6379), target.hostname);
        for (const s of [client, upstream]) {
          sockets.add(s);
          s.on('error', () => undefined);
          s.on('close', () => sockets.delete(s));
        }
        client.pipe(upstream).pipe(client);
        client.on('close', () => upstream.destroy());
        upstream.on('close', () => client.destroy());
      });
      server.listen(port, '127.0.0.1', () => resolve());
    });
  const cut = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      if (server) server.close(() => resolve());
      else resolve();
      server = undefined;
    });
  await restore();
  return { url: `redis://127.0.0.1:${port}`, cut, restore, close: cut };
}

test('Redis going away and coming back: fallback to memory, then shared counters again', async () => {
  const relay = await cuttableRedis();
  const { prefix, drop } = redisPrefix();
  const senderFilter = {
    rateStore: 'redis',
    redisUrl: relay.url,
    redisKeyPrefix: prefix,
    throttling: { ip: { monitor: '60s', maxConnections: 100, block: '5m' } },
  };
  const gw = await startFiltered({ senderFilter });
  const peer = await startFiltered({ senderFilter: { ...senderFilter, redisUrl: REDIS_URL } });
  const shared = async () =>
    (await peer.filter.rates().count({ key: 'c:127.0.0.104', windowMs: 60_000, add: { n: 0 } })).sums.n;
  try {
    await quit(await sessionFrom(gw.port, '127.0.0.104'));
    assert.equal(await shared(), 1, 'counted in Redis');
    await relay.cut();
    await waitUntil(
      () => gw.logs.some((l) => String(l.msg).includes('is unavailable')),
      'the outage is logged',
    );
    const c = await sessionFrom(gw.port, '127.0.0.104');
    assert.equal(
      (await sendMail(c, 'a@remote.test', ['x@example.com'])).data?.code,
      250,
      'mail flows during the outage',
    );
    await quit(c);
    assert.equal(await shared(), 1, 'counted in memory meanwhile');
    await relay.restore();
    await waitUntil(
      () => gw.logs.some((l) => String(l.msg).includes('is back: ')),
      'the return is logged',
      15_000,
    );
    await quit(await sessionFrom(gw.port, '127.0.0.104'));
    assert.equal(await shared(), 2, 'counted in Redis again');
  } finally {
    await gw.close();
    await peer.close();
    await relay.close();
    await drop();
  }
});
