// Mail statistics for the dashboard: per node and per minute, one counter per metric, in the
// store table stats_minutes so every node of a group sees the others'. Counting only adds to
// memory; the counts are written together one flush interval later (BatchWriter), so mail never
// waits on the store. Minutes older than the retention are purged on a timer.
import { sql, type Kysely, type Migration } from 'kysely';
import type { Store, StoreKind } from '../store/store.js';
import type { Logger } from '../util/log.js';
import { BatchWriter, chunks } from './batch-writer.js';

export const METRICS = [
  'received',
  'inbound',
  'outbound',
  'delivered',
  'bounced',
  'deferred',
  /** Refused at SMTP by the sender filter or by reputation (DNSBL). */
  'blockedSender',
  'virus',
  'spam',
  'graymail',
  'quarantined',
  'deleted',
] as const;
export type Metric = (typeof METRICS)[number];

export const MINUTE_MS = 60_000;
/** Minutes older than this are purged. */
export const STATS_RETENTION_MS = 8 * 24 * 3_600_000;
const PURGE_INTERVAL_MS = 3_600_000;

/** Table stats_minutes: one row per node, minute (epoch ms at the minute's start) and metric. */
export interface StatsMinutesTable {
  node: string;
  minute: number;
  metric: string;
  count: number;
}

type Db = Kysely<{ stats_minutes: StatsMinutesTable }>;

const statsDb = (store: Store): Db =>
  store.db.withTables<{ stats_minutes: StatsMinutesTable }>() as unknown as Db;

/** Migration '0008_stats' of src/store/migrations.ts. */
export function statsMigration(kind: StoreKind): Migration {
  const time = kind === 'postgres' ? 'bigint' : 'integer';
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('stats_minutes')
        .addColumn('node', 'varchar(255)', (c) => c.notNull())
        .addColumn('minute', time, (c) => c.notNull())
        .addColumn('metric', 'varchar(32)', (c) => c.notNull())
        .addColumn('count', time, (c) => c.notNull())
        .addPrimaryKeyConstraint('stats_minutes_pk', ['node', 'minute', 'metric'])
        .execute();
      await db.schema.createIndex('stats_minutes_minute').on('stats_minutes').column('minute').execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('stats_minutes').execute();
    },
  };
}

export const minuteOf = (at: number): number => at - (at % MINUTE_MS);

interface Increment {
  minute: number;
  metric: Metric;
  n: number;
}

/** This node's counters. `count` is cheap and never throws; writes are batched. */
export class StatsRecorder extends BatchWriter<Increment> {
  constructor(
    private readonly store: Store,
    private readonly node: string,
    logger: Logger,
    flushIntervalMs = 1000,
  ) {
    super(logger, 'cannot write mail statistics; will retry', flushIntervalMs);
  }

  count(metric: Metric, n = 1, at = Date.now()): void {
    if (n > 0) this.push({ minute: minuteOf(at), metric, n });
  }

  protected async write(items: Increment[]): Promise<void> {
    // one row per minute and metric, whatever the number of increments
    const sums = new Map<string, StatsMinutesTable>();
    for (const i of items) {
      const key = `${i.minute}/${i.metric}`;
      const row = sums.get(key);
      if (row) row.count += i.n;
      else sums.set(key, { node: this.node, minute: i.minute, metric: i.metric, count: i.n });
    }
    const db = statsDb(this.store);
    for (const rows of chunks([...sums.values()], 200)) {
      await db
        .insertInto('stats_minutes')
        .values(rows)
        .onConflict((oc) =>
          oc.columns(['node', 'minute', 'metric']).doUpdateSet({
            count: (eb) => eb('stats_minutes.count', '+', eb.ref('excluded.count')),
          }),
        )
        .execute();
    }
  }

  /** Purges old minutes now and then every hour. */
  startRetention(intervalMs = PURGE_INTERVAL_MS): void {
    this.startPurging(
      () => purgeStats(this.store, Date.now() - STATS_RETENTION_MS),
      'cannot purge old mail statistics',
      intervalMs,
    );
  }
}

/** Removes every minute before `before` (all nodes); returns the rows removed. */
export async function purgeStats(store: Store, before: number): Promise<number> {
  const r = await statsDb(store).deleteFrom('stats_minutes').where('minute', '<', before).executeTakeFirst();
  return Number(r.numDeletedRows);
}

export type Counts = Record<Metric, number>;

export const zeroCounts = (): Counts => Object.fromEntries(METRICS.map((m) => [m, 0])) as Counts;

export interface StatsQuery {
  /** First bucket's start (epoch ms, a multiple of bucketMs). */
  from: number;
  bucketMs: number;
  buckets: number;
  /** One node, or every node of the group when absent. */
  node?: string;
}

export interface StatsSeries {
  bucketMs: number;
  totals: Counts;
  /** `buckets` points in time order, zero-filled. */
  series: ({ at: number } & Counts)[];
}

/** Sums per bucket and metric over the query's window; buckets without mail are zeros. */
export async function queryStats(store: Store, q: StatsQuery): Promise<StatsSeries> {
  const until = q.from + q.buckets * q.bucketMs;
  // bucketMs is a number we chose, never caller text; as a literal PostgreSQL keeps bigint arithmetic
  const bucket = sql<number>`minute - (minute % ${sql.lit(q.bucketMs)})`;
  let query = statsDb(store)
    .selectFrom('stats_minutes')
    .select([bucket.as('bucket'), 'metric', (eb) => eb.fn.sum<number>('count').as('total')])
    .where('minute', '>=', q.from)
    .where('minute', '<', until);
  if (q.node) query = query.where('node', '=', q.node);
  const rows = await query.groupBy([bucket, 'metric']).execute();
  const series = Array.from({ length: q.buckets }, (_, i) => ({
    at: q.from + i * q.bucketMs,
    ...zeroCounts(),
  }));
  const totals = zeroCounts();
  for (const r of rows) {
    if (!isMetric(r.metric)) continue;
    const point = series[Math.floor((Number(r.bucket) - q.from) / q.bucketMs)];
    if (!point) continue;
    const n = Number(r.total);
    point[r.metric] += n;
    totals[r.metric] += n;
  }
  return { bucketMs: q.bucketMs, totals, series };
}

const isMetric = (m: string): m is Metric => (METRICS as readonly string[]).includes(m);

export const STATS_RANGES = {
  '1h': { bucketMs: MINUTE_MS, buckets: 60 },
  '24h': { bucketMs: 15 * MINUTE_MS, buckets: 96 },
  '7d': { bucketMs: 60 * MINUTE_MS, buckets: 168 },
} as const;
export type StatsRange = keyof typeof STATS_RANGES;

/** The window of a dashboard range ending with the bucket that holds `now`. */
export function rangeWindow(range: StatsRange, now = Date.now()): Omit<StatsQuery, 'node'> {
  const { bucketMs, buckets } = STATS_RANGES[range];
  const current = now - (now % bucketMs);
  return { from: current - (buckets - 1) * bucketMs, bucketMs, buckets };
}

/** Messages received per minute over the last `minutes` whole and current minutes. */
export async function throughput(store: Store, node: string | undefined, now = Date.now(), minutes = 5) {
  const from = minuteOf(now) - (minutes - 1) * MINUTE_MS;
  const { totals } = await queryStats(store, { from, bucketMs: MINUTE_MS, buckets: minutes, node });
  return totals.received / minutes;
}

/** Nodes that have statistics in the store, sorted. */
export async function statsNodes(store: Store): Promise<string[]> {
  const rows = await statsDb(store).selectFrom('stats_minutes').select('node').distinct().execute();
  return rows.map((r) => r.node).sort();
}
