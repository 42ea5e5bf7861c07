// The quarantine: messages a rule stopped, with the envelope, the facts and the reason, kept in
// the store so that any node of a group can show and release them.
import { randomBytes } from 'node:crypto';
import { sql, type Selectable } from 'kysely';
import type { Store } from '../store/store.js';
import type { QuarantineTable } from '../store/schema.js';
import { likePattern } from '../store/like.js';
import type { Envelope } from '../queue/types.js';

export interface QuarantineInput {
  queueId: string;
  node: string;
  area: string;
  retentionMs?: number;
  envelope: Envelope;
  recipients: string[];
  subject?: string;
  ruleId?: string;
  reason: string;
  /** Facts and matched rules, as shown to administrators. */
  details: unknown;
  message: Buffer;
  /** "archived" for archive copies (kept, not waiting for a decision). */
  status?: 'quarantined' | 'archived';
}

export interface QuarantineEntry {
  id: string;
  queueId: string;
  node: string;
  area: string;
  createdAt: number;
  expiresAt: number | null;
  sender: string;
  recipients: string[];
  subject: string | null;
  size: number;
  ruleId: string | null;
  reason: string;
  status: string;
}

export interface QuarantineQuery {
  area?: string;
  sender?: string;
  recipient?: string;
  subject?: string;
  ruleId?: string;
  since?: number;
  until?: number;
  status?: string;
  limit?: number;
  /** Entries to skip (paging). */
  offset?: number;
}

/** The columns of a quarantine row that make a QuarantineEntry (the listing leaves out the message). */
const ENTRY_COLUMNS = [
  'id',
  'queue_id',
  'node',
  'area',
  'created_at',
  'expires_at',
  'sender',
  'recipients',
  'subject',
  'size',
  'rule_id',
  'reason',
  'status',
] as const;

function toEntry(r: Pick<Selectable<QuarantineTable>, (typeof ENTRY_COLUMNS)[number]>): QuarantineEntry {
  return {
    id: r.id,
    queueId: r.queue_id,
    node: r.node,
    area: r.area,
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    sender: r.sender,
    recipients: JSON.parse(r.recipients) as string[],
    subject: r.subject,
    size: r.size,
    ruleId: r.rule_id,
    reason: r.reason,
    status: r.status,
  };
}

export class QuarantineRepository {
  constructor(private readonly store: Store) {}

  async add(q: QuarantineInput): Promise<string> {
    const id = `Q${Date.now().toString(36).toUpperCase()}${randomBytes(5).toString('hex').toUpperCase()}`;
    const now = Date.now();
    await this.store.db
      .insertInto('quarantine')
      .values({
        id,
        queue_id: q.queueId,
        node: q.node,
        area: q.area,
        created_at: now,
        expires_at: q.retentionMs ? now + q.retentionMs : null,
        sender: q.envelope.sender,
        recipients: JSON.stringify(q.recipients),
        subject: q.subject ?? null,
        size: q.message.length,
        rule_id: q.ruleId ?? null,
        reason: q.reason,
        envelope: JSON.stringify(q.envelope),
        facts: JSON.stringify(q.details),
        message: q.message,
        status: q.status ?? 'quarantined',
      })
      .execute();
    return id;
  }

  async list(q: QuarantineQuery = {}): Promise<QuarantineEntry[]> {
    let query = this.store.db
      .selectFrom('quarantine')
      .select(ENTRY_COLUMNS)
      .where('status', '=', q.status ?? 'quarantined');
    if (q.area) query = query.where('area', '=', q.area);
    if (q.ruleId) query = query.where('rule_id', '=', q.ruleId);
    if (q.since !== undefined) query = query.where('created_at', '>=', q.since);
    if (q.until !== undefined) query = query.where('created_at', '<=', q.until);
    if (q.sender) query = query.where(sql<boolean>`lower(sender) like ${likePattern(q.sender)} escape '\\'`);
    if (q.recipient) {
      query = query.where(
        sql<boolean>`lower(recipients) like ${`%"${likePattern(q.recipient)}"%`} escape '\\'`,
      );
    }
    if (q.subject) {
      query = query.where(sql<boolean>`lower(subject) like ${`%${likePattern(q.subject)}%`} escape '\\'`);
    }
    const rows = await query
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(q.limit ?? 100)
      .offset(q.offset ?? 0)
      .execute();
    return rows.map(toEntry);
  }

  async get(
    id: string,
  ): Promise<(QuarantineEntry & { envelope: Envelope; details: unknown; message: Buffer }) | undefined> {
    const r = await this.store.db
      .selectFrom('quarantine')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    if (!r) return undefined;
    return {
      ...toEntry(r),
      envelope: JSON.parse(r.envelope) as Envelope,
      details: JSON.parse(r.facts) as unknown,
      message: Buffer.from(r.message),
    };
  }

  /** Marks an entry released or deleted; only a quarantined entry changes (so two nodes cannot both release it). */
  async setStatus(id: string, status: 'released' | 'deleted'): Promise<boolean> {
    const result = await this.store.db
      .updateTable('quarantine')
      .set({ status })
      .where('id', '=', id)
      .where('status', '=', 'quarantined')
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** Undoes a release whose queueing failed. */
  async unclaim(id: string): Promise<void> {
    await this.store.db
      .updateTable('quarantine')
      .set({ status: 'quarantined' })
      .where('id', '=', id)
      .where('status', '=', 'released')
      .execute();
  }

  /** Drops entries past their retention; returns how many. */
  async purgeExpired(now = Date.now()): Promise<number> {
    const result = await this.store.db
      .deleteFrom('quarantine')
      .where('expires_at', 'is not', null)
      .where('expires_at', '<', now)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
