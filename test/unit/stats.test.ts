import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  MINUTE_MS,
  purgeStats,
  queryStats,
  rangeWindow,
  statsNodes,
  StatsRecorder,
  throughput,
} from '../../src/log/stats.js';
import { silentLogger } from '../../src/util/log.js';
import { STORE_KINDS } from '../helpers/stores.js';

const HOUR = 60 * MINUTE_MS;
// a fixed "now" well inside an hour, so bucket edges are predictable
const NOW = Date.UTC(2026, 10, 28, 12, 34, 56);

test('range windows: fixed bucket counts ending with the bucket that holds now', () => {
  const oneHour = rangeWindow('1h', NOW);
  assert.equal(oneHour.buckets, 60);
  assert.equal(oneHour.bucketMs, MINUTE_MS);
  assert.equal(oneHour.from, Date.UTC(2026, 10, 28, 11, 35));
  const day = rangeWindow('24h', NOW);
  assert.deepEqual([day.buckets, day.bucketMs], [96, 15 * MINUTE_MS]);
  assert.equal(day.from + 95 * day.bucketMs, Date.UTC(2026, 10, 28, 12, 30));
  const week = rangeWindow('7d', NOW);
  assert.deepEqual([week.buckets, week.bucketMs], [168, HOUR]);
  assert.equal(week.from + 167 * HOUR, Date.UTC(2026, 10, 28, 12));
});

for (const kind of STORE_KINDS) {
  test(`statistics on ${kind.name}: batched counts, per-node and group sums, zero-filled buckets`, async () => {
    const t = await kind.open();
    try {
      const a = new StatsRecorder(t.store, 'node-a', silentLogger(), 10_000);
      const b = new StatsRecorder(t.store, 'node-b', silentLogger(), 10_000);
      a.count('received', 1, NOW);
      a.count('received', 1, NOW + 1000); // same minute: one row
      a.count('inbound', 2, NOW);
      a.count('virus', 1, NOW - 20 * MINUTE_MS);
      b.count('received', 5, NOW - 2 * MINUTE_MS);
      b.count('outbound', 5, NOW - 2 * MINUTE_MS);
      await Promise.all([a.flush(), b.flush()]);
      // a second flush adds to the stored minute rather than replacing it
      a.count('received', 3, NOW);
      await a.close();
      await b.close();

      const window = rangeWindow('1h', NOW);
      const group = await queryStats(t.store, window);
      assert.equal(group.series.length, 60);
      assert.equal(group.totals.received, 10);
      assert.equal(group.totals.inbound, 2);
      assert.equal(group.totals.outbound, 5);
      assert.equal(group.totals.virus, 1);
      assert.equal(group.totals.spam, 0);
      const last = group.series[59];
      assert.equal(last?.at, NOW - (NOW % MINUTE_MS));
      assert.equal(last?.received, 5);
      assert.equal(group.series[57]?.received, 5);
      assert.equal(group.series[39]?.virus, 1);
      assert.equal(group.series[58]?.received, 0, 'minutes without mail are zeros');

      const onlyA = await queryStats(t.store, { ...window, node: 'node-a' });
      assert.equal(onlyA.totals.received, 5);
      assert.equal(onlyA.totals.outbound, 0);

      // coarser buckets add minutes up: the 24h range puts them in 15-minute buckets
      const day = await queryStats(t.store, rangeWindow('24h', NOW));
      assert.equal(day.series.length, 96);
      assert.equal(day.series[95]?.received, 10); // 12:30–12:45 holds 12:32 and 12:34
      assert.equal(day.series[93]?.virus, 1); // 12:14 is in 12:00–12:15
      assert.equal(day.totals.received, 10);

      assert.equal(await throughput(t.store, undefined, NOW), 2, '10 messages over 5 minutes');
      assert.equal(await throughput(t.store, 'node-a', NOW), 1);
      assert.deepEqual(await statsNodes(t.store), ['node-a', 'node-b']);
    } finally {
      await t.cleanup();
    }
  });

  test(`statistics on ${kind.name}: minutes past the retention are purged, newer ones kept`, async () => {
    const t = await kind.open();
    try {
      const rec = new StatsRecorder(t.store, 'node-a', silentLogger(), 10_000);
      const nineDaysAgo = NOW - 9 * 24 * HOUR;
      rec.count('received', 4, nineDaysAgo);
      rec.count('received', 1, NOW);
      await rec.close();
      assert.equal(await purgeStats(t.store, NOW - 8 * 24 * HOUR), 1);
      const old = await queryStats(t.store, { from: nineDaysAgo - HOUR, bucketMs: HOUR, buckets: 3 });
      assert.equal(old.totals.received, 0);
      const recent = await queryStats(t.store, rangeWindow('1h', NOW));
      assert.equal(recent.totals.received, 1);
    } finally {
      await t.cleanup();
    }
  });
}
