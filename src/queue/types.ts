import type { AuthResults } from '../auth/types.js';

// The queue is the hand-over point between receiving and delivery. These types are what
// every stage sees of a queued message.

export type QueueName = 'incoming' | 'active' | 'deferred' | 'hold';
export const QUEUE_NAMES: readonly QueueName[] = ['incoming', 'active', 'deferred', 'hold'];

export interface EnvelopeRecipient {
  /** The address as it will be used for delivery (domain lower-cased, no trailing dot). */
  address: string;
  /** DSN NOTIFY values (RFC 3461), e.g. ["FAILURE", "DELAY"], or ["NEVER"]. */
  notify?: string[];
  /** DSN ORCPT, the original recipient as given by the client. */
  orcpt?: string;
}

export interface Envelope {
  id: string;
  /** Envelope sender; "" is the null sender of bounces. */
  sender: string;
  recipients: EnvelopeRecipient[];
  /** Epoch milliseconds when the message was accepted. */
  receivedAt: number;
  client: { ip: string; helo: string; hostname?: string; tls: boolean };
  /** Bytes of the stored message, including the Received header Sekimori added. */
  size: number;
  messageId?: string;
  subject?: string;
  dsn?: { ret?: 'FULL' | 'HDRS'; envid?: string };
  smtputf8?: boolean;
  bodyType?: '7BIT' | '8BITMIME';
  /** Where the message came from: the SMTP listener, or a bounce Sekimori generated. */
  origin: 'smtp' | 'bounce' | 'local';
  /** Already scanned and decided (a copy made by the policy stage, or a release without rescan). */
  scanned?: boolean;
  /** Deliver to this host instead of the domain's route (a rule's re-route action). */
  route?: { host: string; port: number };
  /** The sender filter approved the client or sender: spam and reputation checks are skipped, viruses still scanned. */
  senderApproved?: { by: 'ip' | 'host' | 'sender'; entry: string };
  /** Sender authentication (SPF, DKIM, DMARC, ARC) done while the message was received. */
  auth?: AuthResults;
  /** The queue ID of the message this one was made from (policy copies, notifications, releases). */
  parentId?: string;
}

export type RecipientStatus = 'pending' | 'delivered' | 'bounced';

export interface RecipientState {
  address: string;
  status: RecipientStatus;
  /** The outcome that made it final (delivered, quarantined, …). */
  outcome?: RecipientResult['outcome'];
  /** The last reply or error for this recipient, e.g. "451 4.3.0 try later". */
  lastReply?: string;
}

/** The mutable part of a queued message, rewritten atomically as delivery progresses. */
export interface DeliveryState {
  attempts: number;
  /** Epoch ms of the next attempt (deferred queue). */
  nextAttemptAt?: number;
  lastAttemptAt?: number;
  lastError?: string;
  recipients: RecipientState[];
}

/** Result of one delivery attempt for one recipient. */
export interface RecipientResult {
  address: string;
  /**
   * delivered: accepted by the next hop; deferred / bounced: temporary / permanent failure;
   * the rest are policy outcomes that end the message's life in the queue for that recipient.
   */
  outcome: 'delivered' | 'deferred' | 'bounced' | 'quarantined' | 'deleted' | 'held' | 'redirected';
  /** SMTP reply or local error text, e.g. "250 2.0.0 Ok: queued as 4F..." or "connect ECONNREFUSED". */
  reply: string;
  /** The host:port that answered, when one did. */
  host?: string;
  /** SMTP code when a server answered (0 for local/network errors). */
  code?: number;
}
