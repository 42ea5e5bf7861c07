// The "senderFilter" section of the settings document: connection control, approved/blocked
// lists, SMTP traffic throttling and the IP profiler, and where their counters live.
// Deliberately independent of src/config/settings.ts (which imports this file).
//
// A throttling rule or profiler threat that is not written is off; one that is written is on
// (unless "enabled: false"), so the example in issue 5 imports as it is and does what it says.
import { z } from 'zod';
import { parseDuration } from '../config/units.js';
import { count, durationField } from '../config/schema-fields.js';
import { entryKind, isDomainEntry, type ListEntry } from './lists.js';

/** Every duration in this section is a period or a block length: zero is refused. */
const duration = (fallback: string) => durationField({ positive: true }).default(fallback);

const optionalCount = () => z.number().int().min(1).optional();

/** "50%" or 50 (a percentage either way). */
const percent = (fallback: string) =>
  z
    .union([z.string(), z.number()])
    .refine((v) => parsePercent(v) !== undefined, { message: 'not a percentage (write e.g. 50%)' })
    .default(fallback);

export function parsePercent(v: string | number): number | undefined {
  const n = typeof v === 'number' ? v : /^\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(v)?.[1];
  const x = Number(n);
  return n !== undefined && Number.isFinite(x) && x >= 0 && x <= 100 ? x / 100 : undefined;
}

const ENTRY_HELP =
  'not an IP address, CIDR block, sender address or domain (write e.g. 192.0.2.7, 2001:db8::/32, user@example.com, example.com or *.example.com)';

const entryText = z
  .string()
  .trim()
  .refine((v) => entryKind(v) !== undefined, { message: ENTRY_HELP });

const network = z
  .string()
  .trim()
  .refine((v) => entryKind(v) === 'network', {
    message: 'not an IP address or CIDR block (write e.g. 192.0.2.0/24 or 2001:db8::/32)',
  });

const approvedEntry = z.union([
  entryText,
  z
    .strictObject({
      entry: entryText,
      /** Domain entries only: approve the IPs of its A/AAAA and MX hosts (refreshed on a schedule). */
      resolve: z.boolean().default(false),
      comment: z.string().optional(),
    })
    .refine((e) => !e.resolve || isDomainEntry(e.entry), {
      message: 'resolve: only a domain name (not a wildcard, address or IP) can be resolved',
    }),
]);

const blockedEntry = z.union([
  entryText,
  z.strictObject({
    entry: entryText,
    /** Until when a temporary entry applies (ISO date or date-time); none means permanent. */
    expires: z
      .string()
      .refine((v) => !Number.isNaN(Date.parse(v)), {
        message: 'not a date (write e.g. 2026-12-31 or 2026-12-31T18:00:00Z)',
      })
      .optional(),
    comment: z.string().optional(),
  }),
]);

// Reply texts go on the wire after the code: printable ASCII, one line.
const replyText = (fallback: string) =>
  z
    .string()
    .regex(/^[\x20-\x7e]{1,400}$/, 'must be one line of printable ASCII, at most 400 characters')
    .default(fallback);

const ACTIONS = ['block-temporarily', 'block-permanently'] as const;
const REFUSE_AT = ['connect', 'rcpt'] as const;

const threat = (extra: z.ZodRawShape = {}) =>
  z.strictObject({
    enabled: z.boolean().default(true),
    monitor: duration('1h'),
    /** Share of the IP's traffic in the window that must be bad. */
    rate: percent('50%'),
    /** Least traffic in the window before the rate counts (messages; recipients for dha). */
    minMessages: count(10),
    action: z.enum(ACTIONS).default('block-temporarily'),
    /** How long a temporary block lasts. */
    block: duration('1h'),
    /** Refuse a blocked IP at connect (default) or only at RCPT TO. */
    refuseAt: z.enum(REFUSE_AT).default('connect'),
    ...extra,
  });

export const senderFilterSettingsSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    /** Where counters and blocks live: this process, or Redis shared by every node of a group. */
    rateStore: z.enum(['memory', 'redis']).default('memory'),
    redisUrl: z
      .string()
      .regex(/^rediss?:\/\/\S+$/, 'not a Redis URL (write e.g. redis://127.0.0.1:6379/0)')
      .default('redis://127.0.0.1:6379'),
    /** Prefix of every Redis key, so several groups (or tests) can share one Redis. */
    redisKeyPrefix: z.string().min(1).max(100).default('sekimori:sender:'),
    /** Overrides the lists below; trusted networks are never refused by it. */
    connectionControl: z
      .strictObject({
        mode: z.enum(['accept-all-except', 'deny-all-except']).default('accept-all-except'),
        list: z.array(network).default([]),
      })
      .prefault({}),
    approved: z.array(approvedEntry).default([]),
    /** How often "resolve: true" domains of the approved list are looked up again. */
    approvedResolveInterval: duration('1h'),
    blocked: z.array(blockedEntry).default([]),
    throttling: z
      .strictObject({
        /** Clients in settings.trustedNetworks are not throttled (Postfix does the same). */
        exceptTrustedNetworks: z.boolean().default(true),
        exceptions: z.array(entryText).default([]),
        ip: z
          .strictObject({
            enabled: z.boolean().default(true),
            monitor: duration('60s'),
            maxConnections: optionalCount(),
            maxMessages: optionalCount(),
            block: duration('5m'),
          })
          .refine((r) => r.maxConnections !== undefined || r.maxMessages !== undefined, {
            message: 'set maxConnections, maxMessages or both',
          })
          .optional(),
        sender: z
          .strictObject({
            enabled: z.boolean().default(true),
            monitor: duration('60s'),
            maxMessages: count(10),
            block: duration('5m'),
          })
          .optional(),
      })
      .prefault({}),
    ipProfiler: z
      .strictObject({
        exceptions: z.array(network).default([]),
        /** How long Sekimori remembers a sender of outbound mail (for the bounce threat). */
        rememberSenders: duration('30d'),
        spam: threat().optional(),
        virus: threat().optional(),
        dha: threat({ nonExistentRecipients: count(5) }).optional(),
        bounce: threat().optional(),
      })
      .prefault({}),
    /** Texts after the code; %IP% %SENDER% %THREAT% %RETRY% %UNTIL% are filled in. */
    replies: z
      .strictObject({
        connectionControl: replyText('%IP% is not allowed to connect'),
        blockedIp: replyText('%IP% is on the blocked list'),
        blockedSender: replyText('<%SENDER%> is on the blocked list'),
        tooManyConnections: replyText('Too many connections from %IP%; try again in %RETRY%'),
        tooManyMessages: replyText('Too many messages from %IP%; try again in %RETRY%'),
        tooManySenderMessages: replyText('Too many messages from <%SENDER%>; try again in %RETRY%'),
        profilerTemporary: replyText('%IP% is blocked for %THREAT%; try again in %RETRY%'),
        profilerPermanent: replyText('%IP% is blocked for %THREAT%'),
        manual: replyText('%IP%%SENDER% is blocked by the administrator'),
      })
      .prefault({}),
  })
  .prefault({});

export type SenderFilterSettingsDocument = z.output<typeof senderFilterSettingsSchema>;

export type Threat = 'spam' | 'virus' | 'dha' | 'bounce';
export const THREATS: readonly Threat[] = ['spam', 'virus', 'dha', 'bounce'];

/** One profiler threat, in runtime units (ms, fraction 0..1). */
export interface ThreatRule {
  monitor: number;
  rate: number;
  minMessages: number;
  /** dha only: least unknown recipients in the window. */
  nonExistentRecipients: number;
  action: 'block-temporarily' | 'block-permanently';
  block: number;
  refuseAt: 'connect' | 'rcpt';
}

export interface ApprovedEntry extends ListEntry {
  resolve: boolean;
  comment?: string;
}

export interface BlockedEntry extends ListEntry {
  comment?: string;
}

export type ReplyName = keyof SenderFilterSettingsDocument['replies'];

/** Runtime form; a rule or threat that is off is undefined. */
export interface SenderFilterSettings {
  enabled: boolean;
  rateStore: 'memory' | 'redis';
  redisUrl: string;
  redisKeyPrefix: string;
  connectionControl: { mode: 'accept-all-except' | 'deny-all-except'; list: ListEntry[] };
  approved: ApprovedEntry[];
  approvedResolveInterval: number;
  blocked: BlockedEntry[];
  throttling: {
    exceptTrustedNetworks: boolean;
    exceptions: ListEntry[];
    ip?: { monitor: number; maxConnections?: number; maxMessages?: number; block: number };
    sender?: { monitor: number; maxMessages: number; block: number };
  };
  ipProfiler: {
    exceptions: ListEntry[];
    rememberSenders: number;
  } & Partial<Record<Threat, ThreatRule>>;
  replies: Record<ReplyName, string>;
}

const ms = (v: string | number) => parseDuration(v) ?? 0;

type ThreatDocument = z.output<ReturnType<typeof threat>> & { nonExistentRecipients?: number };

function resolveThreat(t: ThreatDocument | undefined): ThreatRule | undefined {
  if (!t || !t.enabled) return undefined;
  return {
    monitor: ms(t.monitor),
    rate: parsePercent(t.rate) ?? 0.5,
    minMessages: t.minMessages,
    nonExistentRecipients: t.nonExistentRecipients ?? 0,
    action: t.action,
    block: ms(t.block),
    refuseAt: t.refuseAt,
  };
}

const entries = (list: string[]): ListEntry[] => list.map((entry) => ({ entry }));

export function resolveSenderFilterSettings(doc: SenderFilterSettingsDocument): SenderFilterSettings {
  const t = doc.throttling;
  const p = doc.ipProfiler;
  const out: SenderFilterSettings = {
    enabled: doc.enabled,
    rateStore: doc.rateStore,
    redisUrl: doc.redisUrl,
    redisKeyPrefix: doc.redisKeyPrefix,
    connectionControl: { mode: doc.connectionControl.mode, list: entries(doc.connectionControl.list) },
    approved: doc.approved.map((e) =>
      typeof e === 'string'
        ? { entry: e, resolve: false }
        : { entry: e.entry, resolve: e.resolve, ...(e.comment ? { comment: e.comment } : {}) },
    ),
    approvedResolveInterval: ms(doc.approvedResolveInterval),
    blocked: doc.blocked.map((e) =>
      typeof e === 'string'
        ? { entry: e }
        : {
            entry: e.entry,
            ...(e.expires ? { expires: Date.parse(e.expires) } : {}),
            ...(e.comment ? { comment: e.comment } : {}),
          },
    ),
    throttling: { exceptTrustedNetworks: t.exceptTrustedNetworks, exceptions: entries(t.exceptions) },
    ipProfiler: { exceptions: entries(p.exceptions), rememberSenders: ms(p.rememberSenders) },
    replies: { ...doc.replies },
  };
  if (t.ip?.enabled) {
    out.throttling.ip = { monitor: ms(t.ip.monitor), block: ms(t.ip.block) };
    if (t.ip.maxConnections !== undefined) out.throttling.ip.maxConnections = t.ip.maxConnections;
    if (t.ip.maxMessages !== undefined) out.throttling.ip.maxMessages = t.ip.maxMessages;
  }
  if (t.sender?.enabled) {
    out.throttling.sender = {
      monitor: ms(t.sender.monitor),
      maxMessages: t.sender.maxMessages,
      block: ms(t.sender.block),
    };
  }
  for (const name of THREATS) {
    const rule = resolveThreat(p[name] as ThreatDocument | undefined);
    if (rule) out.ipProfiler[name] = rule;
  }
  return out;
}
