// Table types shared by SQLite and PostgreSQL. Times are epoch milliseconds (bigint in
// PostgreSQL, read back as numbers), lists are JSON text, so one set of queries serves both.
import type { Generated } from 'kysely';

export interface SettingsTable {
  id: number;
  version: number;
  document: string;
  updated_at: number;
}

export interface TrackingMessagesTable {
  queue_id: string;
  node: string;
  received_at: number;
  client_ip: string;
  helo: string;
  sender: string;
  /** JSON array of envelope recipients. */
  recipients: string;
  recipient_count: number;
  size: number;
  message_id: string | null;
  subject: string | null;
  /** queued | delivered | deferred | bounced | partly-bounced | deleted | held */
  status: string;
  updated_at: number;
  /** Scan and policy summary, e.g. "virus Eicar-Test-Signature; quarantined (virus)". */
  verdict: string | null;
}

export interface TrackingDeliveriesTable {
  id: Generated<number>;
  queue_id: string;
  at: number;
  recipient: string;
  /** delivered | deferred | bounced | expired */
  result: string;
  reply: string;
  host: string | null;
}

export interface QuarantineTable {
  id: string;
  queue_id: string;
  node: string;
  area: string;
  created_at: number;
  expires_at: number | null;
  sender: string;
  /** JSON array: the recipients this copy was quarantined for. */
  recipients: string;
  subject: string | null;
  size: number;
  rule_id: string | null;
  reason: string;
  /** JSON of the original Envelope. */
  envelope: string;
  /** JSON of the Facts (and matched rules) at the time. */
  facts: string;
  message: Buffer;
  /** quarantined | released | deleted */
  status: string;
}

export interface PolicyEventsTable {
  id: Generated<number>;
  at: number;
  queue_id: string;
  node: string;
  sender: string;
  recipient: string;
  subject: string | null;
  rule_id: string;
  rule_name: string;
  /** JSON array of Evidence. */
  evidence: string;
  /** What was done, e.g. "quarantine (virus)", "tagSubject", "deliver". */
  action: string;
}

export interface Database {
  settings: SettingsTable;
  tracking_messages: TrackingMessagesTable;
  tracking_deliveries: TrackingDeliveriesTable;
  quarantine: QuarantineTable;
  policy_events: PolicyEventsTable;
}
