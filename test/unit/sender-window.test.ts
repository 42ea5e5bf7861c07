import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryRateStore } from '../../src/sender/memory-store.js';
import { RedisRateStore } from '../../src/sender/redis-store.js';
import type { BlockRequest, RateStore } from '../../src/sender/rate-store.js';
import { REDIS_URL, redisPrefix, sleep } from '../helpers/sender-harness.js';

const blockOf = (subject: string, o: Partial<BlockRequest> = {}): BlockRequest => ({
  scope: 'ip',
  subject,
  reason: 'connections',
  code: 450,
  refuseAt: 'connect',
  durationMs: 60_000,
  node: 'test',
  ...o,
});

test('memory windows slide bucket by bucket (60 buckets per window)', async () => {
  let now = 1_000_000;
  const s = new MemoryRateStore(() => now);
  const hit = (n = 1) => s.count({ key: 'k', windowMs: 60_000, add: { n } }).then((r) => r.sums.n);
  assert.equal(await hit(), 1);
  now += 30_000;
  assert.equal(await hit(2), 3);
  now += 29_000;
  assert.equal(await hit(0), 3, 'both still inside the window');
  now += 1000; // the first hit is now 60 s old
  assert.equal(await hit(0), 2);
  now += 30_000;
  assert.equal(await hit(0), 0);
  // Separate counters of one window, and keys are separate.
  const r = await s.count({ key: 'p', windowMs: 1000, add: { total: 1, hits: 0 } });
  assert.deepEqual(r.sums, { total: 1, hits: 0 });
  assert.deepEqual((await s.count({ key: 'p', windowMs: 1000, add: { total: 1, hits: 1 } })).sums, {
    total: 2,
    hits: 1,
  });
  await s.close();
});

test('memory blocks: first one wins, they end on time, and permanent ones stay', async () => {
  let now = 5_000;
  const s = new MemoryRateStore(() => now);
  const b = await s.block(blockOf('192.0.2.1', { durationMs: 1000, counts: { connections: 6 } }));
  assert.deepEqual(b, {
    scope: 'ip',
    subject: '192.0.2.1',
    reason: 'connections',
    code: 450,
    refuseAt: 'connect',
    node: 'test',
    counts: { connections: 6 },
    since: 5000,
    until: 6000,
  });
  assert.equal(await s.block(blockOf('192.0.2.1', { reason: 'dha' })), undefined);
  await s.block(blockOf('192.0.2.2', { durationMs: undefined, code: 550 }));
  const counted = await s.count({
    key: 'c',
    windowMs: 1000,
    add: { n: 1 },
    unlessBlocked: { scope: 'ip', subject: '192.0.2.1' },
  });
  assert.equal(counted.block?.subject, '192.0.2.1', 'a blocked client is not counted');
  assert.deepEqual(counted.sums, {});
  now = 6000;
  assert.equal(await s.getBlock('ip', '192.0.2.1'), undefined);
  assert.deepEqual(
    (await s.listBlocks()).map((x) => x.subject),
    ['192.0.2.2'],
  );
  assert.deepEqual(
    (await s.expireBlocks()).map((x) => x.subject),
    ['192.0.2.1'],
  );
  assert.deepEqual(await s.expireBlocks(), [], 'an ended block is reported once');
  assert.equal((await s.unblock('ip', '192.0.2.2'))?.code, 550);
  assert.deepEqual(await s.listBlocks(), []);
  await s.remember('sent:a@example.com', 100);
  assert.equal(await s.recalls('sent:a@example.com'), true);
  now += 100;
  assert.equal(await s.recalls('sent:a@example.com'), false);
  await s.close();
});

// The same contract, on both stores, with the real clock.
const STORES: { name: string; open: () => Promise<{ store: RateStore; done: () => Promise<void> }> }[] = [
  {
    name: 'memory',
    open: async () => {
      const store = new MemoryRateStore();
      return { store, done: () => store.close() };
    },
  },
  {
    name: 'Redis',
    open: async () => {
      const { prefix, drop } = redisPrefix();
      const store = RedisRateStore.connect(REDIS_URL, prefix);
      assert.ok(await store.ready(), 'Redis answers');
      return {
        store,
        done: async () => {
          await store.close();
          await drop();
        },
      };
    },
  },
];

for (const kind of STORES) {
  describe(`RateStore contract: ${kind.name}`, () => {
    const opened: (() => Promise<void>)[] = [];
    after(async () => {
      for (const d of opened) await d();
    });
    const open = async () => {
      const o = await kind.open();
      opened.push(o.done);
      return o.store;
    };

    test('counts in a sliding window and forgets what is older', async () => {
      const s = await open();
      const add = (n: number) => s.count({ key: 'w', windowMs: 600, add: { n, m: 0 } });
      assert.deepEqual((await add(1)).sums, { n: 1, m: 0 });
      assert.deepEqual((await add(2)).sums, { n: 3, m: 0 });
      await sleep(700);
      assert.deepEqual((await add(1)).sums, { n: 1, m: 0 });
      await s.reset('w');
      assert.deepEqual((await add(0)).sums, { n: 0, m: 0 });
    });

    test('many concurrent counts are all counted', async () => {
      const s = await open();
      const results = await Promise.all(
        Array.from({ length: 50 }, () => s.count({ key: 'c', windowMs: 60_000, add: { n: 1 } })),
      );
      const seen = results.map((r) => r.sums.n).sort((a, b) => (a ?? 0) - (b ?? 0));
      assert.deepEqual(
        seen,
        Array.from({ length: 50 }, (_, i) => i + 1),
        'each count saw a distinct total',
      );
    });

    test('blocks: set once, listed, checked with counting, lifted, and ended on time', async () => {
      const s = await open();
      const b = await s.block(
        blockOf('2001:db8::5', { durationMs: 400, counts: { recipients: 10, unknownRecipients: 7 } }),
      );
      assert.ok(b);
      assert.equal(b.until! - b.since, 400);
      assert.deepEqual(b.counts, { recipients: 10, unknownRecipients: 7 });
      assert.equal(await s.block(blockOf('2001:db8::5')), undefined, 'a block in force is not replaced');
      await s.block(
        blockOf('a@b.example', { scope: 'sender', reason: 'sender-messages', durationMs: 60_000 }),
      );
      await s.block(blockOf('192.0.2.9', { reason: 'spam', code: 550, durationMs: undefined }));
      assert.deepEqual(
        (await s.listBlocks()).map((x) => `${x.scope}:${x.subject}`),
        ['ip:2001:db8::5', 'sender:a@b.example', 'ip:192.0.2.9'],
        'soonest to end first, permanent last',
      );
      const guarded = await s.count({
        key: 'g',
        windowMs: 1000,
        add: { n: 1 },
        unlessBlocked: { scope: 'sender', subject: 'a@b.example' },
      });
      assert.equal(guarded.block?.reason, 'sender-messages');
      assert.equal((await s.getBlock('ip', '192.0.2.9'))?.until, undefined, 'permanent');
      assert.equal((await s.unblock('sender', 'a@b.example'))?.subject, 'a@b.example');
      assert.equal(await s.unblock('sender', 'a@b.example'), undefined);
      await sleep(500);
      assert.equal(await s.getBlock('ip', '2001:db8::5'), undefined, 'ended');
      assert.deepEqual(
        (await s.expireBlocks()).map((x) => x.subject),
        ['2001:db8::5'],
      );
      assert.deepEqual(await s.expireBlocks(), []);
      assert.ok(
        await s.block(blockOf('2001:db8::5', { durationMs: 1000 })),
        'can be blocked again after the end',
      );
    });

    test('remembers keys for their time to live', async () => {
      const s = await open();
      await s.remember('sent:alice@example.com', 300);
      assert.equal(await s.recalls('sent:alice@example.com'), true);
      assert.equal(await s.recalls('sent:bob@example.com'), false);
      await sleep(400);
      assert.equal(await s.recalls('sent:alice@example.com'), false);
    });
  });
}

test('two Redis clients (two nodes) count one window together and only one of them sets the block', async () => {
  const { prefix, drop } = redisPrefix();
  const a = RedisRateStore.connect(REDIS_URL, prefix);
  const b = RedisRateStore.connect(REDIS_URL, prefix);
  assert.ok((await a.ready()) && (await b.ready()));
  try {
    for (let i = 0; i < 3; i++) await a.count({ key: 'c:192.0.2.1', windowMs: 60_000, add: { n: 1 } });
    const r = await b.count({ key: 'c:192.0.2.1', windowMs: 60_000, add: { n: 1 } });
    assert.equal(r.sums.n, 4);
    const set = await Promise.all([a.block(blockOf('192.0.2.1')), b.block(blockOf('192.0.2.1'))]);
    assert.equal(set.filter(Boolean).length, 1);
    assert.equal((await a.getBlock('ip', '192.0.2.1'))?.subject, '192.0.2.1');
  } finally {
    await a.close();
    await b.close();
    await drop();
  }
});
