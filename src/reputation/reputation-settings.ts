// The "reputation" section of the settings document (SPEC §3, §4 URLs, §12 Reputation): DNSBL
// and DNSWL zones checked at connect time, URIBL/DBL zones and local lists for the URLs of a
// message, and the trusted upstream relays (SPEC §1) whose Received header names the real
// client. Deliberately independent of src/config/settings.ts (which imports this file).
//
// Each zone maps the answers its operator documents to an action:
//   reject    refuse the client: 550 (a "standard" list)
//   tempfail  refuse for now: 450 (a "dynamic" list: listings that come and go)
//   score     let the message in and add `score` to its spam score
//   allow     DNSWL only: the client is vouched for, DNSBL listings are set aside
//   ignore    nothing (a documented answer that should not count)
//   error     the operator's own error answer (query refused, over the free limit): logged
// A value is an action ("reject"), a score (2.5), or { action, score, name }.
import { z } from 'zod';
import ipaddr from 'ipaddr.js';
import { DOMAIN_RE } from '../config/host-port.js';
import { parseDuration } from '../config/units.js';
import { parseCodePattern, type AnswerMatch } from './codes.js';

const DNSBL_ACTIONS = ['reject', 'tempfail', 'score', 'ignore', 'error'] as const;
const DNSWL_ACTIONS = ['allow', 'score', 'ignore', 'error'] as const;
const URIBL_ACTIONS = ['score', 'ignore', 'error'] as const;

export type DnsblAction = (typeof DNSBL_ACTIONS)[number];
export type DnswlAction = (typeof DNSWL_ACTIONS)[number];
export type UriblAction = (typeof URIBL_ACTIONS)[number];
export type ListAction = DnsblAction | DnswlAction | UriblAction;

const duration = (fallback: string) =>
  z
    .union([z.string(), z.number()])
    .refine((v) => (parseDuration(v) ?? 0) > 0, { message: 'not a duration (write e.g. 2s, 500ms or 10m)' })
    .default(fallback);

const score = z.number().min(-100).max(100);

function codeValue<A extends readonly [string, ...string[]]>(actions: A) {
  return z.union([
    z.enum(actions),
    score,
    z
      .strictObject({
        action: z.enum(actions).optional(),
        score: score.optional(),
        /** A label for logs and spam reasons, e.g. "SBL" or "PBL". */
        name: z.string().max(60).optional(),
      })
      .refine((v) => v.action !== 'score' || v.score !== undefined, {
        message: 'action "score" needs a score (write e.g. { action: score, score: 2.5 } or just 2.5)',
      }),
  ]);
}

const zoneName = z
  .string()
  .trim()
  .toLowerCase()
  .refine((v) => DOMAIN_RE.test(v) && !v.startsWith('*.'), {
    message: 'not a DNS zone (write e.g. zen.spamhaus.org)',
  });

const CODE_HELP =
  'not a return code (write e.g. 127.0.0.2, 127.0.0.10-11, 127.0.*.3 or 127.0.0.0/24; in a bitmask zone one address such as 127.0.0.8)';

function zone<S extends z.ZodType, E extends z.ZodRawShape>(code: S, fallback: z.output<S>, extra: E) {
  return z
    .strictObject({
      zone: zoneName,
      enabled: z.boolean().default(true),
      description: z.string().max(200).optional(),
      /** Answers are bit fields (SURBL, URIBL): a key matches when any of its bits is set. */
      bitmask: z.boolean().default(false),
      codes: z.record(z.string(), code).default({}),
      /** What an answer in 127.0.0.0/8 that no code matches means. */
      default: code.default(fallback as never),
      ...extra,
    })
    .superRefine((doc, ctx) => {
      const z0 = doc as unknown as { codes: Record<string, unknown>; bitmask: boolean };
      for (const key of Object.keys(z0.codes)) {
        if (!parseCodePattern(key, z0.bitmask))
          ctx.addIssue({ code: 'custom', path: ['codes', key], message: CODE_HELP });
      }
    });
}

// Reply texts go on the wire after the code: printable ASCII, one line.
const replyText = (fallback: string) =>
  z
    .string()
    .regex(/^[\x20-\x7e]{1,400}$/, 'must be one line of printable ASCII, at most 400 characters')
    .default(fallback);

const cidr = z
  .string()
  .trim()
  .refine((v) => (v.includes('/') ? ipaddr.isValidCIDR(v) : ipaddr.isValid(v)), {
    message: 'not an IP address or CIDR block (write e.g. 192.0.2.0/24 or 2001:db8::/32)',
  });

/** Local URL list entries: a domain (with its subdomains), "*.domain", an IP or CIDR, or a URL prefix. */
export function isUrlListEntry(v: string): boolean {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(v)) {
    try {
      new URL(v);
      return true;
    } catch {
      return false;
    }
  }
  if (v.includes('/')) return ipaddr.isValidCIDR(v);
  return ipaddr.isValid(v) || DOMAIN_RE.test(v);
}

const urlEntry = z.string().trim().refine(isUrlListEntry, {
  message:
    'not a domain, IP, CIDR block or URL (write e.g. example.com, *.example.com, 192.0.2.7 or https://example.com/path)',
});

const dnsblZone = zone(codeValue(DNSBL_ACTIONS), 'reject', {});
const dnswlZone = zone(codeValue(DNSWL_ACTIONS), 'allow', {});
const uriblZone = zone(codeValue(URIBL_ACTIONS), 1, {
  /** "domain": URL host names (their registered domain); "ip": IP-address URLs, reversed like a DNSBL. */
  type: z.enum(['domain', 'ip']).default('domain'),
});

// The default set: lists an administrator will recognise, with the codes their operators
// document. Spamhaus answers 127.255.255.252-255 when it refuses a query (a public resolver,
// too many queries): those are errors, never listings. Spamhaus and URIBL are free only for
// low-volume, non-commercial use through your own resolver; Barracuda needs the resolver's IP
// registered, so it ships disabled.
const DEFAULT_DNSBL: z.input<typeof dnsblZone>[] = [
  {
    zone: 'zen.spamhaus.org',
    description: 'Spamhaus ZEN: SBL, CSS, XBL, DROP (standard: 550) and PBL (dynamic IP space: 450)',
    codes: {
      '127.0.0.2': { action: 'reject', name: 'SBL' },
      '127.0.0.3': { action: 'reject', name: 'SBL CSS' },
      '127.0.0.4-7': { action: 'reject', name: 'XBL' },
      '127.0.0.9': { action: 'reject', name: 'DROP' },
      '127.0.0.10-11': { action: 'tempfail', name: 'PBL' },
      '127.255.255.252-255': { action: 'error', name: 'query refused by Spamhaus' },
    },
    default: 'ignore',
  },
  {
    zone: 'bl.spamcop.net',
    description: 'SpamCop: listings expire within a day of the last report, so a temporary failure',
    codes: { '127.0.0.2': { action: 'tempfail', name: 'SCBL' } },
    default: 'ignore',
  },
  {
    zone: 'b.barracudacentral.org',
    enabled: false,
    description: 'Barracuda BRBL: register your resolver at barracudacentral.org, then enable',
    codes: { '127.0.0.2': { action: 'reject', name: 'BRBL' } },
    default: 'ignore',
  },
];

const DEFAULT_DNSWL: z.input<typeof dnswlZone>[] = [
  {
    zone: 'list.dnswl.org',
    description: 'DNSWL.org: 127.0.<category>.<trust>; high and medium trust skip DNSBL refusals',
    codes: {
      '127.0.0.255': { action: 'error', name: 'over the DNSWL.org free limit' },
      '127.0.*.3': { action: 'allow', score: -2, name: 'DNSWL high' },
      '127.0.*.2': { action: 'allow', score: -1, name: 'DNSWL medium' },
      '127.0.*.1': { action: 'score', score: -0.5, name: 'DNSWL low' },
      '127.0.*.0': { action: 'ignore', name: 'DNSWL none' },
    },
    default: 'ignore',
  },
];

const DEFAULT_URIBL: z.input<typeof uriblZone>[] = [
  {
    zone: 'dbl.spamhaus.org',
    description: 'Spamhaus DBL',
    codes: {
      '127.0.1.2': { score: 2.5, name: 'DBL spam' },
      '127.0.1.4': { score: 4, name: 'DBL phish' },
      '127.0.1.5': { score: 4, name: 'DBL malware' },
      '127.0.1.6': { score: 4, name: 'DBL botnet C&C' },
      '127.0.1.102-103': { score: 1, name: 'DBL abused legit' },
      '127.0.1.104-106': { score: 2, name: 'DBL abused legit (phish/malware/C&C)' },
      '127.0.1.255': { action: 'error', name: 'IP queries prohibited' },
      '127.255.255.252-255': { action: 'error', name: 'query refused by Spamhaus' },
    },
    default: 'ignore',
  },
  {
    zone: 'multi.surbl.org',
    description: 'SURBL (bit field)',
    bitmask: true,
    codes: {
      '127.0.0.1': { action: 'error', name: 'query refused by SURBL' },
      '127.0.0.8': { score: 4, name: 'SURBL phishing' },
      '127.0.0.16': { score: 4, name: 'SURBL malware' },
      '127.0.0.64': { score: 2, name: 'SURBL abuse' },
      '127.0.0.128': { score: 1.5, name: 'SURBL cracked' },
    },
    default: 'ignore',
  },
  {
    zone: 'multi.uribl.com',
    description: 'URIBL (bit field)',
    bitmask: true,
    codes: {
      '127.0.0.1': { action: 'error', name: 'query refused by URIBL' },
      '127.0.0.2': { score: 2.5, name: 'URIBL black' },
      '127.0.0.4': { score: 0.5, name: 'URIBL grey' },
      '127.0.0.8': { score: 1, name: 'URIBL red' },
    },
    default: 'ignore',
  },
  {
    zone: 'zen.spamhaus.org',
    type: 'ip',
    description: 'Spamhaus SBL for IP-address URLs',
    codes: {
      '127.0.0.2': { score: 2.5, name: 'SBL' },
      '127.0.0.3': { score: 1.5, name: 'SBL CSS' },
      '127.0.0.9': { score: 4, name: 'DROP' },
      '127.255.255.252-255': { action: 'error', name: 'query refused by Spamhaus' },
    },
    default: 'ignore',
  },
];

export const reputationSettingsSchema = z
  .strictObject({
    /** How long one zone may take to answer; a zone that does not answer in time is skipped. */
    timeout: duration('2s'),
    /** How long answers (listed or not) are kept; the records' own TTLs are not used. */
    cacheTtl: duration('10m'),
    cacheSize: z.number().int().min(0).max(10_000_000).default(100_000),
    /** Private, loopback, link-local and other non-public addresses are never looked up. */
    skipPrivate: z.boolean().default(true),
    /**
     * Upstream MTAs or cloud pre-filters that relay mail to Sekimori (SPEC §1). Their clients
     * are not checked at connect; the real client, read from the relay's Received header, is
     * checked after DATA instead (its listings then count towards the spam score).
     */
    trustedRelays: z.array(cidr).default([]),
    dnsbl: z
      .strictObject({
        enabled: z.boolean().default(true),
        zones: z.array(dnsblZone).prefault(DEFAULT_DNSBL),
        reply: z
          .strictObject({
            /**
             * "intelligent": 550 for reject codes (standard lists), 450 for tempfail codes
             * (dynamic lists). "custom": customCode and customText for every refusal.
             * Texts: %IP% %ZONE% %CODE% (the answer) %NAME% (the code's name) %TXT% (the list's TXT record).
             */
            mode: z.enum(['intelligent', 'custom']).default('intelligent'),
            rejectText: replyText('Service unavailable; client [%IP%] blocked using %ZONE%'),
            tempfailText: replyText(
              'Service temporarily unavailable; client [%IP%] listed on %ZONE%; try again later',
            ),
            customCode: z.number().int().min(400).max(599).default(550),
            customText: replyText('Service unavailable; client [%IP%] blocked using %ZONE%'),
          })
          .prefault({}),
        /** Behind a trusted relay nothing can be refused any more: these scores are added instead. */
        relayedScores: z.strictObject({ reject: score.default(10), tempfail: score.default(5) }).prefault({}),
      })
      .prefault({}),
    dnswl: z.array(dnswlZone).prefault(DEFAULT_DNSWL),
    uribl: z
      .strictObject({
        enabled: z.boolean().default(true),
        zones: z.array(uriblZone).prefault(DEFAULT_URIBL),
        /** URLs always counted as bad (a domain covers its subdomains; a URL is a prefix). */
        localBlock: z.array(urlEntry).default([]),
        /** URLs never looked up or counted (checked after localBlock, which wins). */
        localAllow: z.array(urlEntry).default([]),
        localBlockScore: score.default(10),
        /** At most this many distinct domains and IPs of one message are looked up. */
        maxLookups: z.number().int().min(1).max(1000).default(50),
      })
      .prefault({}),
  })
  .prefault({});

export type ReputationSettingsDocument = z.output<typeof reputationSettingsSchema>;

/** One return-code rule, compiled. */
export interface CodeRule<A extends ListAction = ListAction> {
  /** The settings key, e.g. "127.0.0.10-11" (undefined for the zone's default). */
  key?: string;
  match?: AnswerMatch;
  action: A;
  score: number;
  name?: string;
}

export interface ZoneSettings<A extends ListAction = ListAction> {
  zone: string;
  description?: string;
  bitmask: boolean;
  codes: CodeRule<A>[];
  default: CodeRule<A>;
}

export interface UriZoneSettings extends ZoneSettings<UriblAction> {
  type: 'domain' | 'ip';
}

export interface DnsblReplySettings {
  mode: 'intelligent' | 'custom';
  rejectText: string;
  tempfailText: string;
  customCode: number;
  customText: string;
}

/** Runtime form: durations in ms, disabled zones left out, codes compiled. */
export interface ReputationSettings {
  timeout: number;
  cacheTtl: number;
  cacheSize: number;
  skipPrivate: boolean;
  trustedRelays: string[];
  dnsbl: {
    enabled: boolean;
    zones: ZoneSettings<DnsblAction>[];
    reply: DnsblReplySettings;
    relayedScores: { reject: number; tempfail: number };
  };
  dnswl: ZoneSettings<DnswlAction>[];
  uribl: {
    enabled: boolean;
    zones: UriZoneSettings[];
    localBlock: string[];
    localAllow: string[];
    localBlockScore: number;
    maxLookups: number;
  };
}

type CodeValue<A extends ListAction> = A | number | { action?: A; score?: number; name?: string };

function rule<A extends ListAction>(v: CodeValue<A>): CodeRule<A> {
  if (typeof v === 'number') return { action: 'score' as A, score: v };
  if (typeof v === 'string') return { action: v, score: 0 };
  const action = v.action ?? ((v.score !== undefined ? 'score' : 'ignore') as A);
  const out: CodeRule<A> = { action, score: v.score ?? 0 };
  if (v.name) out.name = v.name;
  return out;
}

interface ZoneDocument<A extends ListAction> {
  zone: string;
  enabled: boolean;
  description?: string;
  bitmask: boolean;
  codes: Record<string, CodeValue<A>>;
  default: CodeValue<A>;
}

function resolveZone<A extends ListAction>(z0: ZoneDocument<A>): ZoneSettings<A> {
  const codes = Object.entries(z0.codes).map(([key, v]) => {
    const match = parseCodePattern(key, z0.bitmask);
    return { ...rule(v), key, ...(match ? { match } : {}) };
  });
  const out: ZoneSettings<A> = { zone: z0.zone, bitmask: z0.bitmask, codes, default: rule(z0.default) };
  if (z0.description) out.description = z0.description;
  return out;
}

const ms = (v: string | number) => parseDuration(v) ?? 0;

export function resolveReputationSettings(doc: ReputationSettingsDocument): ReputationSettings {
  const enabled = <T extends { enabled: boolean }>(list: T[]) => list.filter((z0) => z0.enabled);
  return {
    timeout: ms(doc.timeout),
    cacheTtl: ms(doc.cacheTtl),
    cacheSize: doc.cacheSize,
    skipPrivate: doc.skipPrivate,
    trustedRelays: doc.trustedRelays,
    dnsbl: {
      enabled: doc.dnsbl.enabled,
      zones: enabled(doc.dnsbl.zones).map((z0) => resolveZone<DnsblAction>(z0)),
      reply: { ...doc.dnsbl.reply },
      relayedScores: { ...doc.dnsbl.relayedScores },
    },
    dnswl: enabled(doc.dnswl).map((z0) => resolveZone<DnswlAction>(z0)),
    uribl: {
      enabled: doc.uribl.enabled,
      zones: enabled(doc.uribl.zones).map((z0) => ({ ...resolveZone<UriblAction>(z0), type: z0.type })),
      localBlock: doc.uribl.localBlock.map((e) => e.toLowerCase()),
      localAllow: doc.uribl.localAllow.map((e) => e.toLowerCase()),
      localBlockScore: doc.uribl.localBlockScore,
      maxLookups: doc.uribl.maxLookups,
    },
  };
}
