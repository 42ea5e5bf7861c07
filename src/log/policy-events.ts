// The policy event log: for every message and recipient, each rule that matched, the evidence
// that made it match, and what was done. Batched like message tracking.
import { sql, type Insertable } from 'kysely';
import type { Store } from '../store/store.js';
import type { PolicyEventsTable } from '../store/schema.js';
import type { Evidence } from '../policy/decision.js';
import type { Logger } from '../util/log.js';
import { BatchWriter, chunks } from './batch-writer.js';

export interface PolicyEventInput {
  queueId: string;
  sender: string;
  recipient: string;
  subject?: string;
  ruleId: string;
  ruleName: string;
  evidence: Evidence[];
  action: string;
}

export interface PolicyEvent extends Omit<PolicyEventInput, 'subject'> {
  id: number;
  at: number;
  node: string;
  subject: string | null;
}

export class PolicyEventLog extends BatchWriter<Insertable<PolicyEventsTable>> {
  constructor(
    private readonly store: Store,
    private readonly node: string,
    log: Logger,
    flushIntervalMs = 200,
  ) {
    super(log, 'cannot write policy events; will retry', flushIntervalMs);
  }

  record(e: PolicyEventInput, at = Date.now()): void {
    this.push({
      at,
      queue_id: e.queueId,
      node: this.node,
      sender: e.sender,
      recipient: e.recipient,
      subject: e.subject ?? null,
      rule_id: e.ruleId,
      rule_name: e.ruleName,
      evidence: JSON.stringify(e.evidence),
      action: e.action,
    });
  }

  protected async write(rows: Insertable<PolicyEventsTable>[]): Promise<void> {
    for (const chunk of chunks(rows, 200)) {
      await this.store.db.insertInto('policy_events').values(chunk).execute();
    }
  }
}

export interface PolicyEventQuery {
  queueId?: string;
  ruleId?: string;
  sender?: string;
  recipient?: string;
  since?: number;
  until?: number;
  limit?: number;
}

export async function queryPolicyEvents(store: Store, q: PolicyEventQuery): Promise<PolicyEvent[]> {
  let query = store.db.selectFrom('policy_events').selectAll();
  if (q.queueId) query = query.where('queue_id', '=', q.queueId);
  if (q.ruleId) query = query.where('rule_id', '=', q.ruleId);
  if (q.since !== undefined) query = query.where('at', '>=', q.since);
  if (q.until !== undefined) query = query.where('at', '<=', q.until);
  if (q.sender) query = query.where(sql<boolean>`lower(sender) = ${q.sender.toLowerCase()}`);
  if (q.recipient) query = query.where(sql<boolean>`lower(recipient) = ${q.recipient.toLowerCase()}`);
  const rows = await query
    .orderBy('at', 'desc')
    .orderBy('id', 'desc')
    .limit(q.limit ?? 100)
    .execute();
  return rows.map((r) => ({
    id: r.id,
    at: r.at,
    node: r.node,
    queueId: r.queue_id,
    sender: r.sender,
    recipient: r.recipient,
    subject: r.subject,
    ruleId: r.rule_id,
    ruleName: r.rule_name,
    evidence: JSON.parse(r.evidence) as Evidence[],
    action: r.action,
  }));
}
