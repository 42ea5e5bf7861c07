// Selecting queued messages by sender, recipient, queue and age, for listing and bulk work.
import type { QueueName } from './types.js';

export interface QueueFilter {
  ids?: string[];
  queue?: QueueName;
  /** Address pattern; "*" is a wildcard, case-insensitive. */
  sender?: string;
  recipient?: string;
  /** Only messages at least this old (ms). */
  olderThan?: number;
  /** Only messages at most this old (ms). */
  newerThan?: number;
}

export interface QueueEntrySummary {
  id: string;
  queue: QueueName;
  sender: string;
  recipients: string[];
  pendingRecipients: string[];
  size: number;
  receivedAt: number;
  subject?: string;
  messageId?: string;
  attempts: number;
  nextAttemptAt?: number;
  lastError?: string;
}

export function addressMatcher(pattern: string): (address: string) => boolean {
  const re = new RegExp(
    `^${pattern
      .toLowerCase()
      .split('*')
      .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
  return (address) => re.test(address.toLowerCase());
}

export function isEmptyFilter(f: QueueFilter): boolean {
  return (
    !f.ids?.length &&
    !f.queue &&
    f.sender === undefined &&
    f.recipient === undefined &&
    f.olderThan === undefined &&
    f.newerThan === undefined
  );
}

export function matchesFilter(e: QueueEntrySummary, f: QueueFilter, now = Date.now()): boolean {
  if (f.ids?.length && !f.ids.includes(e.id)) return false;
  if (f.queue && e.queue !== f.queue) return false;
  if (f.sender !== undefined && !addressMatcher(f.sender)(e.sender)) return false;
  if (f.recipient !== undefined) {
    const m = addressMatcher(f.recipient);
    if (!e.recipients.some(m)) return false;
  }
  const age = now - e.receivedAt;
  if (f.olderThan !== undefined && age < f.olderThan) return false;
  if (f.newerThan !== undefined && age > f.newerThan) return false;
  return true;
}
