// SMTP refusals of the sender filter: the code comes from what happened (4xx when the client
// should retry later, 5xx when not), the text from settings.senderFilter.replies.
import type { Block, BlockReason } from './rate-store.js';
import type { ReplyName, SenderFilterSettings, Threat } from './sender-settings.js';

export interface Refusal {
  code: number;
  status: string;
  text: string;
}

const THREAT_TEXT: Record<Threat, string> = {
  spam: 'sending spam',
  virus: 'sending viruses',
  dha: 'a directory harvest attack',
  bounce: 'a bounce attack',
};

const UNITS: [string, number][] = [
  ['day', 86_400_000],
  ['hour', 3_600_000],
  ['minute', 60_000],
  ['second', 1000],
];

/** "5 minutes", "1 hour", "30 seconds": the remaining time rounded up in its largest unit. */
export function humanDuration(ms: number): string {
  // Whole seconds first, so 59m59.9s left still reads "1 hour".
  const seconds = Math.max(1, Math.round(ms / 1000));
  for (const [unit, size] of UNITS) {
    const s = size / 1000;
    if (seconds >= s || unit === 'second') {
      const n = Math.ceil(seconds / s);
      return `${n} ${unit}${n === 1 ? '' : 's'}`;
    }
  }
  return `${seconds} seconds`;
}

export interface ReplyContext {
  ip?: string;
  sender?: string;
  threat?: Threat;
  until?: number;
  now?: number;
}

export function fillReply(template: string, c: ReplyContext): string {
  const now = c.now ?? Date.now();
  return template.replace(/%(IP|SENDER|THREAT|RETRY|UNTIL)%/g, (_, token: string) => {
    switch (token) {
      case 'IP':
        return c.ip ?? '';
      case 'SENDER':
        return c.sender ?? '';
      case 'THREAT':
        return c.threat ? THREAT_TEXT[c.threat] : '';
      case 'RETRY':
        return c.until === undefined ? 'a while' : humanDuration(c.until - now);
      default:
        return c.until === undefined ? 'never' : new Date(c.until).toISOString();
    }
  });
}

export function refusal(code: number, template: string, c: ReplyContext): Refusal {
  return { code, status: code >= 500 ? '5.7.1' : '4.7.1', text: fillReply(template, c) };
}

const REPLY_OF: Record<BlockReason, (b: Block) => ReplyName> = {
  connections: () => 'tooManyConnections',
  messages: () => 'tooManyMessages',
  'sender-messages': () => 'tooManySenderMessages',
  spam: (b) => (b.code >= 500 ? 'profilerPermanent' : 'profilerTemporary'),
  virus: (b) => (b.code >= 500 ? 'profilerPermanent' : 'profilerTemporary'),
  dha: (b) => (b.code >= 500 ? 'profilerPermanent' : 'profilerTemporary'),
  bounce: (b) => (b.code >= 500 ? 'profilerPermanent' : 'profilerTemporary'),
  manual: () => 'manual',
};

/** The refusal a block gives, with the texts of the settings in force now. */
export function blockRefusal(b: Block, s: SenderFilterSettings, now = Date.now()): Refusal {
  const template = s.replies[REPLY_OF[b.reason](b)];
  const threat =
    b.reason === 'spam' || b.reason === 'virus' || b.reason === 'dha' || b.reason === 'bounce'
      ? b.reason
      : undefined;
  return refusal(b.code, template, {
    ip: b.scope === 'ip' ? b.subject : undefined,
    sender: b.scope === 'sender' ? b.subject : undefined,
    threat,
    until: b.until,
    now,
  });
}
