// Message tracking: one row per message and one per delivery attempt and recipient. Writes
// are batched (one transaction every flush interval) so the hot path never waits on the store.
import type { Store } from '../store/store.js';
import { likePattern } from '../store/like.js';
import type { TrackingDeliveriesTable, TrackingMessagesTable } from '../store/schema.js';
import type { Envelope, RecipientResult } from '../queue/types.js';
import type { Logger } from '../util/log.js';
import { BatchWriter, chunks } from './batch-writer.js';
import { sql, type Insertable } from 'kysely';

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
  | { kind: 'message'; row: Insertable<TrackingMessagesTable> }
  | { kind: 'attempt'; rows: Insertable<TrackingDeliveriesTable>[] }
  | { kind: 'status'; queueId: string; status: MessageStatus; at: number }
  | { kind: 'verdict'; queueId: string; verdict: string };

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
      },
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
    await this.store.db.transaction().execute(async (trx) => {
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
        }
      }
    });
  }
}

export interface TrackingQuery {
  sender?: string;
  recipient?: string;
  since?: number;
  until?: number;
  /** Final or current status of the message, or a delivery result of any attempt. */
  result?: string;
  queueId?: string;
  limit?: number;
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
  deliveries: { at: number; recipient: string; result: string; reply: string; host: string | null }[];
}

export async function queryTracking(store: Store, q: TrackingQuery): Promise<TrackedMessage[]> {
  const { db } = store;
  let query = db.selectFrom('tracking_messages').selectAll();
  if (q.queueId) query = query.where('queue_id', '=', q.queueId);
  if (q.since !== undefined) query = query.where('received_at', '>=', q.since);
  if (q.until !== undefined) query = query.where('received_at', '<=', q.until);
  if (q.sender !== undefined) {
    const p = likePattern(q.sender);
    query = query.where(sql<boolean>`lower(sender) like ${p} escape '\\'`);
  }
  if (q.recipient !== undefined) {
    const p = likePattern(q.recipient);
    query = query.where(sql<boolean>`lower(recipients) like ${`%"${p}"%`} escape '\\'`);
  }
  if (q.result !== undefined) {
    const result = q.result;
    query = query.where((eb) =>
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
  const rows = await query
    .orderBy('received_at', 'desc')
    .limit(q.limit ?? 100)
    .execute();
  if (rows.length === 0) return [];
  const deliveries = await db
    .selectFrom('tracking_deliveries')
    .selectAll()
    .where(
      'queue_id',
      'in',
      rows.map((r) => r.queue_id),
    )
    .orderBy('at')
    .orderBy('id')
    .execute();
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
    deliveries: deliveries
      .filter((d) => d.queue_id === r.queue_id)
      .map((d) => ({ at: d.at, recipient: d.recipient, result: d.result, reply: d.reply, host: d.host })),
  }));
}
