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

export interface Database {
  settings: SettingsTable;
  tracking_messages: TrackingMessagesTable;
  tracking_deliveries: TrackingDeliveriesTable;
}
