// The sender-filtering log (SPEC §12 "Logs: sender filtering (block start/stop per IP)"): one
// row per block set, lifted by hand, or ended. Rows go to the store table sender_events; the
// process log gets every event too.
import type { Generated, Kysely, Migration } from 'kysely';
import type { Store, StoreKind } from '../store/store.js';
import type { Logger } from '../util/log.js';
import type { Block } from './rate-store.js';

export type SenderEventAction = 'block' | 'unblock' | 'expire';

export interface SenderEvent {
  at: number;
  /** The node that noticed it. */
  node: string;
  action: SenderEventAction;
  block: Block;
  /** Who lifted a block by hand ("cli", "console"), when known. */
  by?: string;
}

export interface SenderEventLog {
  record(e: SenderEvent): void;
  /** Resolves when what was recorded so far is written. */
  flush?(): Promise<unknown>;
}

/** Table sender_events (times are epoch ms, counts JSON text, as in the other tables). */
export interface SenderEventsTable {
  id: Generated<number>;
  at: number;
  node: string;
  action: string;
  scope: string;
  subject: string;
  reason: string;
  code: number;
  since: number;
  until: number | null;
  counts: string | null;
  set_by: string;
}

type Db = Kysely<{ sender_events: SenderEventsTable }>;

/** Migration for src/store/migrations.ts (the lead adds it under the next free number). */
export function senderEventsMigration(kind: StoreKind): Migration {
  const serial = kind === 'postgres' ? 'bigserial' : 'integer';
  const time = kind === 'postgres' ? 'bigint' : 'integer';
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('sender_events')
        .addColumn('id', serial, (c) =>
          kind === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement(),
        )
        .addColumn('at', time, (c) => c.notNull())
        .addColumn('node', 'varchar(255)', (c) => c.notNull())
        .addColumn('action', 'varchar(16)', (c) => c.notNull())
        .addColumn('scope', 'varchar(16)', (c) => c.notNull())
        .addColumn('subject', 'text', (c) => c.notNull())
        .addColumn('reason', 'varchar(32)', (c) => c.notNull())
        .addColumn('code', 'integer', (c) => c.notNull())
        .addColumn('since', time, (c) => c.notNull())
        .addColumn('until', time)
        .addColumn('counts', 'text')
        .addColumn('set_by', 'varchar(255)', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('sender_events_at').on('sender_events').column('at').execute();
      await db.schema.createIndex('sender_events_subject').on('sender_events').column('subject').execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('sender_events').execute();
    },
  };
}

export interface SenderEventRow {
  at: number;
  node: string;
  action: SenderEventAction;
  scope: string;
  subject: string;
  reason: string;
  code: number;
  since: number;
  until?: number;
  counts?: Record<string, number>;
  /** The node that set the block, or who lifted it. */
  by: string;
}

export interface SenderEventQuery {
  since?: number;
  subject?: string;
  limit?: number;
}

/** Writes events to the store without holding up SMTP; a failed write is logged, not retried. */
export class StoreSenderEventLog implements SenderEventLog {
  private readonly db: Db;
  private pending: Promise<unknown> = Promise.resolve();

  constructor(
    store: Store,
    private readonly log: Logger,
  ) {
    this.db = store.db.withTables<{ sender_events: SenderEventsTable }>() as unknown as Db;
  }

  record(e: SenderEvent): void {
    const b = e.block;
    const values = {
      at: e.at,
      node: e.node,
      action: e.action,
      scope: b.scope,
      subject: b.subject,
      reason: b.reason,
      code: b.code,
      since: b.since,
      until: b.until ?? null,
      counts: b.counts ? JSON.stringify(b.counts) : null,
      set_by: e.by ?? b.node,
    };
    this.pending = this.pending
      .then(() => this.db.insertInto('sender_events').values(values).execute())
      .catch((err: unknown) => this.log.error({ err }, 'cannot write the sender filtering log'));
  }

  /** Resolves when every event recorded so far is written (tests, shutdown). */
  flush(): Promise<unknown> {
    return this.pending;
  }
}

/** Newest first. */
export async function querySenderEvents(store: Store, q: SenderEventQuery = {}): Promise<SenderEventRow[]> {
  const db = store.db.withTables<{ sender_events: SenderEventsTable }>() as unknown as Db;
  let query = db.selectFrom('sender_events').selectAll();
  if (q.since !== undefined) query = query.where('at', '>=', q.since);
  if (q.subject) query = query.where('subject', '=', q.subject.toLowerCase());
  const rows = await query
    .orderBy('at', 'desc')
    .orderBy('id', 'desc')
    .limit(q.limit ?? 100)
    .execute();
  return rows.map((r) => {
    const out: SenderEventRow = {
      at: Number(r.at),
      node: r.node,
      action: r.action as SenderEventAction,
      scope: r.scope,
      subject: r.subject,
      reason: r.reason,
      code: Number(r.code),
      since: Number(r.since),
      by: r.set_by,
    };
    if (r.until !== null) out.until = Number(r.until);
    if (r.counts) out.counts = JSON.parse(r.counts) as Record<string, number>;
    return out;
  });
}
