// Message tracking: one row per message and one per delivery attempt and recipient. Writes
// are batched (one transaction every flush interval) so the hot path never waits on the store.
import type { Store, StoreKind } from '../store/store.js';
import { likePattern } from '../store/like.js';
import type { Database, TrackingDeliveriesTable, TrackingMessagesTable } from '../store/schema.js';
import type { Envelope, RecipientResult } from '../queue/types.js';
import type { Logger } from '../util/log.js';
import type { ParsedMessage } from '../scan/facts.js';
import type { Decision } from '../policy/decision.js';
import { BatchWriter, chunks } from './batch-writer.js';
import { attachmentNames, summarizeFacts, type FactsSummary } from './facts-summary.js';
import { sql, type ExpressionBuilder, type Insertable, type Kysely, type Migration } from 'kysely';

/**
 * Columns migration 0010 adds to tracking_messages so that tracking tells a message's whole
 * story: how it connected, what the scan found, where its copies came from.
 */
export interface TrackingStoryColumns {
  /** inbound | outbound | internal (set by the policy stage). */
  direction: string | null;
  /** JSON FactsSummary (set by the policy stage). */
  facts: string | null;
  /** Attachment names, lower case, one per line (searchable). */
  attachment_names: string | null;
  /** JSON ConnectionRecord: TLS, client host name, what the sender filter and DNSBLs said. */
  connection: string | null;
  /** The queue ID this message was made from (policy copies, notifications, releases). */
  parent_id: string | null;
}

export type TrackingMessageRow = TrackingMessagesTable & TrackingStoryColumns;
type StoryDatabase = Omit<Database, 'tracking_messages'> & { tracking_messages: TrackingMessageRow };

/** The store's Kysely with the story columns in the table type (they are not in schema.ts). */
export function trackingDb(store: Store): Kysely<StoryDatabase> {
  return store.db as unknown as Kysely<StoryDatabase>;
}

/** What was known about the client when the message was accepted. */
export interface ConnectionRecord {
  tls: boolean;
  hostname?: string;
  /** The sender filter approved the client or sender (spam checks skipped). */
  approved?: { by: string; entry: string };
  /** DNSBL/DNSWL findings at connect. */
  reputation?: { verdict: string; score: number; listed: string[] };
}

/** Migration 0010 (src/store/migrations.ts). */
export function trackingStoryMigration(kind: StoreKind): Migration {
  void kind; // the same column types on both back-ends
  return {
    async up(db: Kysely<unknown>) {
      for (const [name, type] of [
        ['direction', 'varchar(16)'],
        ['facts', 'text'],
        ['attachment_names', 'text'],
        ['connection', 'text'],
        ['parent_id', 'varchar(32)'],
      ] as const) {
        await db.schema.alterTable('tracking_messages').addColumn(name, type).execute();
      }
      await db.schema
        .createIndex('tracking_messages_parent')
        .on('tracking_messages')
        .column('parent_id')
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropIndex('tracking_messages_parent').execute();
      for (const name of ['parent_id', 'connection', 'attachment_names', 'facts', 'direction'])
        await db.schema.alterTable('tracking_messages').dropColumn(name).execute();
    },
  };
}

function connectionRecord(envelope: Envelope): ConnectionRecord {
  const c: ConnectionRecord = { tls: envelope.client.tls };
  if (envelope.client.hostname) c.hostname = envelope.client.hostname;
  if (envelope.senderApproved) c.approved = { ...envelope.senderApproved };
  const r = envelope.reputation;
  if (r)
    c.reputation = {
      verdict: r.verdict,
      score: r.score,
      listed: r.hits.map((h) => `${h.zone}=${h.code}${h.name ? ` (${h.name})` : ''}`),
    };
  return c;
}

export type MessageStatus =
  | 'queued'
  | 'delivered'
  | 'deferred'
  | 'bounced'
  | 'partly-bounced'
  | 'deleted'
  | 'held'
  | 'expired'
  | 'quarantined';

type Op =
  | { kind: 'message'; row: Insertable<TrackingMessageRow> }
  | { kind: 'attempt'; rows: Insertable<TrackingDeliveriesTable>[] }
  | { kind: 'status'; queueId: string; status: MessageStatus; at: number }
  | { kind: 'verdict'; queueId: string; verdict: string }
  | { kind: 'scanned'; queueId: string; direction: string; facts: string; attachmentNames: string };

export class TrackingLog extends BatchWriter<Op> {
  constructor(
    private readonly store: Store,
    private readonly node: string,
    log: Logger,
    flushIntervalMs = 200,
  ) {
    // Tracking must never stop mail: rows that cannot be written wait for a later flush.
    super(log, 'cannot write message tracking; will retry', flushIntervalMs);
  }

  received(envelope: Envelope): void {
    this.push({
      kind: 'message',
      row: {
        queue_id: envelope.id,
        node: this.node,
        received_at: envelope.receivedAt,
        client_ip: envelope.client.ip,
        helo: envelope.client.helo,
        sender: envelope.sender,
        recipients: JSON.stringify(envelope.recipients.map((r) => r.address)),
        recipient_count: envelope.recipients.length,
        size: envelope.size,
        message_id: envelope.messageId ?? null,
        subject: envelope.subject ?? null,
        status: 'queued',
        updated_at: envelope.receivedAt,
        connection: JSON.stringify(connectionRecord(envelope)),
        parent_id: envelope.parentId ?? null,
      },
    });
  }

  /** What the scan found (summarised) and the direction, once the policy stage has decided. */
  scanned(queueId: string, parsed: ParsedMessage, decision?: Decision): void {
    this.push({
      kind: 'scanned',
      queueId,
      direction: parsed.facts.direction,
      facts: JSON.stringify(summarizeFacts(parsed, decision)),
      attachmentNames: attachmentNames(parsed),
    });
  }

  attempt(queueId: string, results: RecipientResult[], at = Date.now()): void {
    if (results.length === 0) return;
    this.push({
      kind: 'attempt',
      rows: results.map((r) => ({
        queue_id: queueId,
        at,
        recipient: r.address,
        result: r.outcome,
        reply: r.reply.slice(0, 2000),
        host: r.host ?? null,
      })),
    });
  }

  status(queueId: string, status: MessageStatus, at = Date.now()): void {
    this.push({ kind: 'status', queueId, status, at });
  }

  /** The scan and policy summary of a message, shown in tracking. */
  verdict(queueId: string, verdict: string): void {
    this.push({ kind: 'verdict', queueId, verdict: verdict.slice(0, 2000) });
  }

  protected async write(ops: Op[]): Promise<void> {
    await trackingDb(this.store)
      .transaction()
      .execute(async (trx) => {
        const messages = ops.flatMap((o) => (o.kind === 'message' ? [o.row] : []));
        for (const chunk of chunks(messages, 200)) {
          await trx
            .insertInto('tracking_messages')
            .values(chunk)
            .onConflict((oc) => oc.column('queue_id').doNothing())
            .execute();
        }
        const attempts = ops.flatMap((o) => (o.kind === 'attempt' ? o.rows : []));
        for (const chunk of chunks(attempts, 200)) {
          await trx.insertInto('tracking_deliveries').values(chunk).execute();
        }
        for (const o of ops) {
          if (o.kind === 'status') {
            await trx
              .updateTable('tracking_messages')
              .set({ status: o.status, updated_at: o.at })
              .where('queue_id', '=', o.queueId)
              .execute();
          } else if (o.kind === 'verdict') {
            await trx
              .updateTable('tracking_messages')
              .set({ verdict: o.verdict })
              .where('queue_id', '=', o.queueId)
              .execute();
          } else if (o.kind === 'scanned') {
            await trx
              .updateTable('tracking_messages')
              .set({ direction: o.direction, facts: o.facts, attachment_names: o.attachmentNames || null })
              .where('queue_id', '=', o.queueId)
              .execute();
          }
        }
      });
  }
}

export interface TrackingQuery {
  /** Address patterns, "*" wildcard, case-insensitive. */
  sender?: string;
  recipient?: string;
  /** Subject contains ("*" wildcard). */
  subject?: string;
  /** Client IP ("*" wildcard, e.g. "192.0.2.*"). */
  clientIp?: string;
  since?: number;
  until?: number;
  /** Final or current status of the message, or a delivery result of any attempt. */
  result?: string;
  /** The scan and policy summary contains this ("virus", "quarantine", a rule name…). */
  verdict?: string;
  /** An attachment name contains this ("*.exe", "invoice"). */
  attachment?: string;
  queueId?: string;
  limit?: number;
  offset?: number;
}

export interface TrackedMessage {
  queueId: string;
  node: string;
  receivedAt: number;
  clientIp: string;
  helo: string;
  sender: string;
  recipients: string[];
  size: number;
  messageId: string | null;
  subject: string | null;
  status: string;
  verdict: string | null;
  direction: string | null;
  parentId: string | null;
  updatedAt: number;
  deliveries: TrackedDelivery[];
}

export interface TrackedDelivery {
  at: number;
  recipient: string;
  result: string;
  reply: string;
  host: string | null;
}

type TrackingWhere = ExpressionBuilder<StoryDatabase, 'tracking_messages'>;

/** The query's conditions, for both the page and the count. */
function matches(q: TrackingQuery) {
  return (eb: TrackingWhere) => {
    const all = [];
    const like = (column: string, pattern: string) =>
      sql<boolean>`lower(${sql.ref(column)}) like ${pattern} escape '\\'`;
    if (q.queueId) all.push(eb('queue_id', '=', q.queueId));
    if (q.since !== undefined) all.push(eb('received_at', '>=', q.since));
    if (q.until !== undefined) all.push(eb('received_at', '<=', q.until));
    if (q.sender !== undefined) all.push(like('sender', likePattern(q.sender)));
    if (q.recipient !== undefined) all.push(like('recipients', `%"${likePattern(q.recipient)}"%`));
    if (q.subject) all.push(like('subject', `%${likePattern(q.subject)}%`));
    if (q.clientIp) all.push(like('client_ip', likePattern(q.clientIp)));
    if (q.verdict) all.push(like('verdict', `%${likePattern(q.verdict)}%`));
    if (q.attachment) all.push(like('attachment_names', `%${likePattern(q.attachment)}%`));
    if (q.result !== undefined) {
      const result = q.result;
      all.push(
        eb.or([
          eb('status', '=', result),
          eb.exists(
            eb
              .selectFrom('tracking_deliveries as d')
              .select('d.id')
              .whereRef('d.queue_id', '=', 'tracking_messages.queue_id')
              .where('d.result', '=', result),
          ),
        ]),
      );
    }
    return eb.and(all);
  };
}

export async function countTracking(store: Store, q: TrackingQuery): Promise<number> {
  const row = await trackingDb(store)
    .selectFrom('tracking_messages')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where(matches(q))
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

export async function queryTracking(store: Store, q: TrackingQuery): Promise<TrackedMessage[]> {
  const db = trackingDb(store);
  const rows = await db
    .selectFrom('tracking_messages')
    .selectAll()
    .where(matches(q))
    .orderBy('received_at', 'desc')
    .orderBy('queue_id', 'desc')
    .limit(q.limit ?? 100)
    .offset(q.offset ?? 0)
    .execute();
  if (rows.length === 0) return [];
  const deliveries = await deliveriesOf(
    store,
    rows.map((r) => r.queue_id),
  );
  return rows.map((r) => ({
    queueId: r.queue_id,
    node: r.node,
    receivedAt: r.received_at,
    clientIp: r.client_ip,
    helo: r.helo,
    sender: r.sender,
    recipients: JSON.parse(r.recipients) as string[],
    size: r.size,
    messageId: r.message_id,
    subject: r.subject,
    status: r.status,
    verdict: r.verdict,
    direction: r.direction,
    parentId: r.parent_id,
    updatedAt: r.updated_at,
    deliveries: deliveries.filter((d) => d.queueId === r.queue_id).map(({ queueId: _q, ...d }) => d),
  }));
}

/** Delivery attempts of these messages, oldest first. */
export async function deliveriesOf(
  store: Store,
  queueIds: string[],
): Promise<(TrackedDelivery & { queueId: string })[]> {
  if (queueIds.length === 0) return [];
  const rows = await store.db
    .selectFrom('tracking_deliveries')
    .selectAll()
    .where('queue_id', 'in', queueIds)
    .orderBy('at')
    .orderBy('id')
    .execute();
  return rows.map((d) => ({
    queueId: d.queue_id,
    at: d.at,
    recipient: d.recipient,
    result: d.result,
    reply: d.reply,
    host: d.host,
  }));
}

/** One message's row with the story columns, or undefined. */
export async function trackingRow(store: Store, queueId: string): Promise<TrackingMessageRow | undefined> {
  return trackingDb(store)
    .selectFrom('tracking_messages')
    .selectAll()
    .where('queue_id', '=', queueId)
    .executeTakeFirst();
}

/** Messages made from this one (policy copies, notifications, releases). */
export async function trackingChildren(store: Store, queueId: string): Promise<TrackingMessageRow[]> {
  return trackingDb(store)
    .selectFrom('tracking_messages')
    .selectAll()
    .where('parent_id', '=', queueId)
    .orderBy('received_at')
    .execute();
}

export type { FactsSummary };
