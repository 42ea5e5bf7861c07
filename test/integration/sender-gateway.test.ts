// The sender filter in the real gateway: two `sekimori start` processes sharing Redis block
// together, the CLI lists and lifts blocks (through the control socket, or straight from
// Redis when the gateway is down), and a gateway whose Redis is unreachable says so and
// keeps taking mail.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { freePort } from '../helpers/ports.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { swaks } from '../helpers/swaks.js';
import { waitUntil } from '../helpers/tmp.js';
import { connectFrom, quit, REDIS_URL, redisPrefix, sessionFrom } from '../helpers/sender-harness.js';

const settings = (senderFilter: unknown) => ({
  smtp: { hostname: 'mx.test' },
  domains: [{ name: 'example.com', nextHops: ['127.0.0.1:9'] }],
  trustedNetworks: ['127.0.0.1/32'],
  senderFilter,
});

const json = async (gw: TestGateway, args: string[]) => {
  const r = await gw.cli(args);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as unknown;
};

test('two gateway processes sharing Redis block together; the CLI lists and unblocks on either', async () => {
  const { prefix, drop } = redisPrefix();
  const s = settings({
    rateStore: 'redis',
    redisUrl: REDIS_URL,
    redisKeyPrefix: prefix,
    throttling: { ip: { monitor: '60s', maxConnections: 3, block: '5m' } },
  });
  const a = await startGateway({ settings: s, env: { SEKIMORI_NODE_NAME: 'node-a' } });
  const b = await startGateway({ settings: s, env: { SEKIMORI_NODE_NAME: 'node-b' } });
  try {
    const sent = await swaks({
      server: `${a.host}:${a.port}`,
      from: 'sender@remote.test',
      to: 'user@example.com',
      localAddress: '127.0.0.110',
    });
    assert.equal(sent.code, 0, sent.output);
    await quit(await sessionFrom(b.port, '127.0.0.110'));
    await quit(await sessionFrom(a.port, '127.0.0.110'));
    const fourth = await connectFrom(b.port, '127.0.0.110');
    assert.equal(
      fourth.greeting.text,
      '450 4.7.1 Too many connections from 127.0.0.110; try again in 5 minutes',
    );
    assert.equal(
      (await connectFrom(a.port, '127.0.0.110')).greeting.code,
      450,
      'the other gateway refuses too',
    );
    await quit(await sessionFrom(a.port, '127.0.0.111'));

    const listed = (await json(a, ['sender', 'blocked', 'list', '--json'])) as {
      subject: string;
      reason: string;
      counts: unknown;
    }[];
    assert.deepEqual(
      listed.map((x) => [x.subject, x.reason, x.counts]),
      [['127.0.0.110', 'connections', { connections: 4 }]],
    );
    const table = await b.cli(['sender', 'blocked', 'list']);
    assert.match(
      table.stdout,
      /^SUBJECT\s+SCOPE\s+REASON\s+CODE\s+SINCE\s+UNTIL\s+LEFT\s+COUNTS\s+NODE\n127\.0\.0\.110\s+ip\s+connections\s+450 .* connections=4\s+node-b\n$/,
    );

    const un = await b.cli(['sender', 'blocked', 'unblock', '127.0.0.110']);
    assert.equal(un.code, 0, un.stderr);
    assert.match(un.stdout, /^unblocked 127\.0\.0\.110 \(was blocked for connections since /);
    await quit(await sessionFrom(a.port, '127.0.0.110'));
    assert.equal(
      (await b.cli(['sender', 'blocked', 'unblock', '127.0.0.110'])).code,
      3,
      'nothing left to unblock',
    );

    // The product log of the node that set the block and lifted it.
    const events = (await json(b, ['sender', 'events', '--json'])) as {
      action: string;
      subject: string;
      by: string;
    }[];
    assert.deepEqual(
      events.map((e) => [e.action, e.subject, e.by]),
      [
        ['unblock', '127.0.0.110', 'cli'],
        ['block', '127.0.0.110', 'node-b'],
      ],
    );
    assert.match(b.output(), /"msg":"sender filter: ip 127.0.0.110 blocked \(connections\)"/);
  } finally {
    await a.stop();
    await b.stop();
    await drop();
  }
});

test('blocks set by hand; with the gateway down the CLI goes straight to Redis', async () => {
  const { prefix, drop } = redisPrefix();
  const gw = await startGateway({ settings: settings({ rateStore: 'redis', redisKeyPrefix: prefix }) });
  try {
    const add = await gw.cli(['sender', 'blocked', 'add', '127.0.0.112', '--for', '2h']);
    assert.equal(add.code, 0, add.stderr);
    assert.equal(
      (await connectFrom(gw.port, '127.0.0.112')).greeting.text,
      '450 4.7.1 127.0.0.112 is blocked by the administrator',
    );
    await gw.kill('SIGTERM');
    const listed = (await json(gw, ['sender', 'blocked', 'list', '--json'])) as {
      subject: string;
      reason: string;
    }[];
    assert.deepEqual(
      listed.map((x) => [x.subject, x.reason]),
      [['127.0.0.112', 'manual']],
    );
    assert.equal((await gw.cli(['sender', 'blocked', 'unblock', '127.0.0.112'])).code, 0);
    assert.deepEqual(await json(gw, ['sender', 'blocked', 'list', '--json']), []);
    assert.equal((await gw.cli(['sender', 'blocked', 'unblock', 'not an ip'])).code, 2);
  } finally {
    await gw.stop();
    await drop();
  }
});

test('with the memory store and no gateway running, the CLI says the blocks live in the gateway', async () => {
  const gw = await startGateway({ settings: settings({}) });
  try {
    await gw.kill('SIGTERM');
    const r = await gw.cli(['sender', 'blocked', 'list']);
    assert.equal(r.code, 3);
    assert.match(r.stderr, /not running .* "memory" its blocks live only in the running gateway/);
  } finally {
    await gw.stop();
  }
});

test('Redis unreachable: the gateway logs a clear warning, falls back to memory, and mail keeps flowing', async () => {
  const closed = await freePort();
  const gw = await startGateway({
    settings: settings({
      rateStore: 'redis',
      redisUrl: `redis://127.0.0.1:${closed}`,
      throttling: { ip: { monitor: '60s', maxConnections: 2, block: '5m' } },
    }),
  });
  try {
    await waitUntil(() => gw.output().includes('is unavailable'), 'the Redis warning is logged');
    const line =
      gw
        .output()
        .split('\n')
        .find((l) => l.includes('is unavailable')) ?? '';
    const entry = JSON.parse(line) as { level: number; msg: string };
    assert.equal(entry.level, 40);
    assert.match(
      entry.msg,
      new RegExp(
        `^Redis at redis://127\\.0\\.0\\.1:${closed} is unavailable \\(.+\\); the sender filter counts in memory on this node until it is back$`,
      ),
    );
    for (const ip of ['127.0.0.113', '127.0.0.113', '127.0.0.114']) {
      const r = await swaks({
        server: `${gw.host}:${gw.port}`,
        from: 'a@remote.test',
        to: 'user@example.com',
        localAddress: ip,
      });
      assert.equal(r.code, 0, r.output);
      assert.ok(r.queueId);
    }
    assert.equal(
      (await connectFrom(gw.port, '127.0.0.113')).greeting.code,
      450,
      'throttling still works, per node',
    );
    const status = await gw.cli(['status']);
    assert.equal(status.code, 0);
  } finally {
    await gw.stop();
  }
});
