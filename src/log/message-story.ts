// A message's whole story, from the logs kept in the store: how the client connected and what
// the sender filter said, acceptance, what the scan found, each rule that matched with its
// evidence and action, the quarantine entry, the copies made, each delivery attempt per
// recipient, and the final status — in time order, for the console's message tracking.
import type { Store } from '../store/store.js';
import type { Evidence } from '../policy/decision.js';
import { queryPolicyEvents } from './policy-events.js';
import { querySenderEvents } from '../sender/events.js';
import {
  deliveriesOf,
  trackingChildren,
  trackingRow,
  type ConnectionRecord,
  type FactsSummary,
  type TrackedDelivery,
} from './tracking.js';

/** Sender-filter events for the client this long before acceptance still tell its story. */
const SENDER_EVENT_WINDOW_MS = 60 * 60 * 1000;

export type StoryStage =
  'connection' | 'accepted' | 'scanned' | 'rule' | 'quarantined' | 'copy' | 'delivery' | 'final';

export interface StoryStep {
  at: number;
  stage: StoryStage;
  /** One line for people, e.g. 'rule "No programs" matched: attachment a.exe (exe); quarantine (policy)'. */
  summary: string;
  recipient?: string;
}

export interface MessageStory {
  queueId: string;
  node: string;
  status: string;
  receivedAt: number;
  updatedAt: number;
  sender: string;
  recipients: string[];
  subject: string | null;
  messageId: string | null;
  size: number;
  direction: string | null;
  verdict: string | null;
  /** The message this one was made from, when it is a copy, notification or release. */
  parentId: string | null;
  connection: {
    clientIp: string;
    helo: string;
    tls: boolean | null;
    hostname?: string;
    /** Trusted network (by the settings now in force). */
    trusted?: boolean;
    senderFilter: {
      result: string;
      approved?: { by: string; entry: string };
      reputation?: ConnectionRecord['reputation'];
      /** Blocks set, lifted or ended for this client around the time (src/sender/events.ts). */
      events: { at: number; action: string; reason: string; code: number; until?: number }[];
    };
  };
  facts: FactsSummary | null;
  rules: {
    at: number;
    recipient: string;
    ruleId: string;
    ruleName: string;
    action: string;
    evidence: Evidence[];
  }[];
  quarantine: {
    id: string;
    area: string;
    status: string;
    createdAt: number;
    ruleId: string | null;
    recipients: string[];
  }[];
  copies: { queueId: string; receivedAt: number; recipients: string[]; status: string }[];
  deliveries: TrackedDelivery[];
  timeline: StoryStep[];
}

export interface StoryOptions {
  /** Whether an IP is in the trusted networks (the settings now in force). */
  isTrusted?: (ip: string) => boolean;
}

const STAGE_ORDER: StoryStage[] = [
  'connection',
  'accepted',
  'scanned',
  'rule',
  'quarantined',
  'copy',
  'delivery',
  'final',
];

function parseJson<T>(text: string | null): T | null {
  if (!text) return null;
  try {
    return JSON.parse(text) as T;
  } catch {
    return null;
  }
}

function senderFilterResult(c: ConnectionRecord | null, trusted: boolean | undefined): string {
  if (c?.approved) return `approved by ${c.approved.by} (${c.approved.entry}): spam checks skipped`;
  if (trusted) return 'trusted network';
  if (c?.reputation)
    return `accepted; listed: ${c.reputation.listed.join(', ')} (score ${c.reputation.score})`;
  return 'accepted';
}

function factsLine(f: FactsSummary): string {
  const parts = [`${f.direction}, ${f.size} bytes`];
  if (f.auth) {
    const a = f.auth;
    parts.push(`SPF ${a.spf ?? '-'}, DKIM ${a.dkim ?? '-'}, DMARC ${a.dmarc ?? '-'}`);
  }
  if (f.viruses.length) parts.push(`virus ${[...new Set(f.viruses.map((v) => v.name))].join(', ')}`);
  if (f.spam)
    parts.push(
      f.spam.skipped
        ? `spam not scored (${f.spam.skipped})`
        : `spam score ${f.spam.score.toFixed(1)}/${f.spam.threshold.toFixed(1)}${f.spam.isSpam ? ' SPAM' : ''}`,
    );
  if (f.graymail) parts.push(`graymail ${f.graymail.category ?? ''}`.trim());
  if (f.attachmentCount) parts.push(`${f.attachmentCount} attachment(s)`);
  if (f.urlCount) parts.push(`${f.urlCount} URL(s)`);
  if (f.dlp.length) parts.push(`${f.dlp.length} DLP finding(s)`);
  if (f.exceptions.length) parts.push(`scan exception ${f.exceptions.map((e) => e.kind).join(', ')}`);
  return parts.join('; ');
}

export async function messageStory(
  store: Store,
  queueId: string,
  o: StoryOptions = {},
): Promise<MessageStory | undefined> {
  const row = await trackingRow(store, queueId);
  if (!row) return undefined;
  const [deliveries, events, children, quarantined, senderEvents] = await Promise.all([
    deliveriesOf(store, [queueId]),
    queryPolicyEvents(store, { queueId, limit: 1000 }),
    trackingChildren(store, queueId),
    store.db
      .selectFrom('quarantine')
      .select(['id', 'area', 'status', 'created_at', 'rule_id', 'recipients'])
      .where('queue_id', '=', queueId)
      .orderBy('created_at')
      .execute(),
    querySenderEvents(store, {
      subject: row.client_ip,
      since: row.received_at - SENDER_EVENT_WINDOW_MS,
      limit: 50,
    }),
  ]);
  const connection = parseJson<ConnectionRecord>(row.connection);
  const facts = parseJson<FactsSummary>(row.facts);
  const trusted = o.isTrusted?.(row.client_ip);
  const recipients = JSON.parse(row.recipients) as string[];

  const story: MessageStory = {
    queueId,
    node: row.node,
    status: row.status,
    receivedAt: row.received_at,
    updatedAt: row.updated_at,
    sender: row.sender,
    recipients,
    subject: row.subject,
    messageId: row.message_id,
    size: row.size,
    direction: row.direction,
    verdict: row.verdict,
    parentId: row.parent_id,
    connection: {
      clientIp: row.client_ip,
      helo: row.helo,
      tls: connection ? connection.tls : null,
      ...(connection?.hostname ? { hostname: connection.hostname } : {}),
      ...(trusted !== undefined ? { trusted } : {}),
      senderFilter: {
        result: senderFilterResult(connection, trusted),
        ...(connection?.approved ? { approved: connection.approved } : {}),
        ...(connection?.reputation ? { reputation: connection.reputation } : {}),
        events: senderEvents
          .filter((e) => e.at <= row.received_at)
          .map((e) => ({
            at: e.at,
            action: e.action,
            reason: e.reason,
            code: e.code,
            ...(e.until !== undefined ? { until: e.until } : {}),
          })),
      },
    },
    facts,
    rules: events
      .map((e) => ({
        at: e.at,
        recipient: e.recipient,
        ruleId: e.ruleId,
        ruleName: e.ruleName,
        action: e.action,
        evidence: e.evidence,
      }))
      .sort((a, b) => a.at - b.at),
    quarantine: quarantined.map((q) => ({
      id: q.id,
      area: q.area,
      status: q.status,
      createdAt: q.created_at,
      ruleId: q.rule_id,
      recipients: JSON.parse(q.recipients) as string[],
    })),
    copies: children.map((c) => ({
      queueId: c.queue_id,
      receivedAt: c.received_at,
      recipients: JSON.parse(c.recipients) as string[],
      status: c.status,
    })),
    deliveries: deliveries.map(({ queueId: _q, ...d }) => d),
    timeline: [],
  };
  story.timeline = timeline(story);
  return story;
}

function timeline(s: MessageStory): StoryStep[] {
  const steps: StoryStep[] = [];
  const c = s.connection;
  steps.push({
    at: s.receivedAt,
    stage: 'connection',
    summary: `from ${c.clientIp}${c.hostname ? ` (${c.hostname})` : ''}, HELO ${c.helo}${
      c.tls === null ? '' : c.tls ? ', TLS' : ', no TLS'
    }; sender filter: ${c.senderFilter.result}`,
  });
  for (const e of c.senderFilter.events)
    steps.push({
      at: e.at,
      stage: 'connection',
      summary: `sender filter ${e.action} for ${c.clientIp} (${e.reason})`,
    });
  steps.push({
    at: s.receivedAt,
    stage: 'accepted',
    summary: `accepted as ${s.queueId}: ${s.sender || '<>'} to ${s.recipients.join(', ')}, ${s.size} bytes${
      s.parentId ? ` (made from ${s.parentId})` : ''
    }`,
  });
  const firstRule = s.rules[0]?.at;
  if (s.facts) steps.push({ at: firstRule ?? s.receivedAt, stage: 'scanned', summary: factsLine(s.facts) });
  for (const r of s.rules)
    steps.push({
      at: r.at,
      stage: 'rule',
      recipient: r.recipient,
      summary: `rule "${r.ruleName}" matched: ${r.evidence.map((e) => e.detail).join('; ') || '(no condition)'} → ${r.action}`,
    });
  for (const q of s.quarantine)
    steps.push({
      at: q.createdAt,
      stage: 'quarantined',
      summary: `${q.status === 'archived' ? 'archived' : 'quarantined'} in ${q.area} as ${q.id} (${q.status})`,
    });
  for (const copy of s.copies)
    steps.push({
      at: copy.receivedAt,
      stage: 'copy',
      summary: `copy ${copy.queueId} to ${copy.recipients.join(', ')} (${copy.status})`,
    });
  for (const d of s.deliveries)
    steps.push({
      at: d.at,
      stage: 'delivery',
      recipient: d.recipient,
      summary: `${d.recipient}: ${d.result}${d.host ? ` at ${d.host}` : ''} — ${d.reply}`,
    });
  steps.push({ at: s.updatedAt, stage: 'final', summary: `status ${s.status}` });
  return steps
    .map((step, i) => ({ step, i }))
    .sort(
      (a, b) =>
        a.step.at - b.step.at ||
        STAGE_ORDER.indexOf(a.step.stage) - STAGE_ORDER.indexOf(b.step.stage) ||
        a.i - b.i,
    )
    .map(({ step }) => step);
}
