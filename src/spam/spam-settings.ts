// The "spam" section of the settings document: spam scoring, the Bayesian classifier, graymail,
// social engineering and the C&C list. Deliberately independent of src/config/settings.ts
// (which imports this file).
import { z } from 'zod';
import {
  externalEnginesSchema,
  resolveExternalEngines,
  type ExternalEnginesSettings,
} from '../spam-engines/settings.js';
import { parseDuration } from '../config/units.js';
import { entryKind } from '../sender/lists.js';
import { compileUserRegex, regexProblem } from '../policy/regex.js';

/** SPEC §12: catch rate high / medium (default) / low, or a custom threshold from 3.0 to 10.0. */
export const SPAM_LEVELS = ['low', 'medium', 'high', 'custom'] as const;
export type SpamLevel = (typeof SPAM_LEVELS)[number];

/** Score at or above which a message is spam, per level (a higher catch rate is a lower bar). */
export const LEVEL_THRESHOLDS: Record<Exclude<SpamLevel, 'custom'>, number> = {
  high: 4.0,
  medium: 5.0,
  low: 6.0,
};

const duration = (fallback: string) =>
  z
    .union([z.string(), z.number()])
    .refine((v) => parseDuration(v) !== undefined, {
      message: 'not a duration (write e.g. 90s, 10m, 4h or 5d)',
    })
    .default(fallback);

const domainList = z
  .array(
    z
      .string()
      .trim()
      .toLowerCase()
      .refine((d) => entryKind(d) === 'domain', { message: 'not a domain name' }),
  )
  .default([]);

const networkList = z
  .array(
    z
      .string()
      .trim()
      .refine((d) => entryKind(d) === 'network', { message: 'not an IP address or CIDR block' }),
  )
  .default([]);

const pattern = z
  .string()
  .min(1)
  .superRefine((p, ctx) => {
    const problem = regexProblem(p);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

/** Text exemption (SPEC §12): mail whose area matches the expression skips spam scoring. */
const exemption = z
  .strictObject({
    in: z.enum(['subject', 'body', 'header']),
    /** Header name for in: header. */
    header: z.string().min(1).optional(),
    pattern,
    caseSensitive: z.boolean().default(false),
    description: z.string().default(''),
  })
  .refine((e) => e.in !== 'header' || e.header !== undefined, {
    message: 'in: header needs a header name',
    path: ['header'],
  });

const bayes = z
  .strictObject({
    enabled: z.boolean().default(true),
    /** The classifier stays silent until it has learned this many spam and ham messages. */
    minSpam: z.number().int().min(1).default(200),
    minHam: z.number().int().min(1).default(200),
    /** The text model (logistic regression beside the Bayesian counts), trained from the same messages. */
    textModel: z.boolean().default(true),
    /** How long a node trusts its cache of token counts before it checks for new learning. */
    cacheTtl: duration('60s'),
  })
  .prefault({});

const graymail = z
  .strictObject({
    enabled: z.boolean().default(true),
    /** Client IPs/CIDRs whose mail is never graymail (a newsletter the organisation wants). */
    exceptions: networkList,
  })
  .prefault({});

const social = z
  .strictObject({
    enabled: z.boolean().default(true),
    /** Display names of internal people (besides the recipients' own names) to protect. */
    internalNames: z.array(z.string().trim().min(2)).default([]),
    /** Domains to protect from look-alikes besides the accepted domains (brands, partners). */
    protectedDomains: domainList,
    /** Edit distance up to which a domain counts as a look-alike (names of 6+ letters). */
    lookalikeDistance: z.number().int().min(1).max(3).default(1),
  })
  .prefault({});

const cnc = z
  .strictObject({
    enabled: z.boolean().default(true),
    /** How often each node reloads the list from the store. */
    refresh: duration('60s'),
  })
  .prefault({});

export const spamSettingsSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    /** Score mail from trusted networks (outbound relay) too; off by default, as most gateways. */
    scanTrustedNetworks: z.boolean().default(false),
    level: z.enum(SPAM_LEVELS).default('medium'),
    /** Only with level: custom. */
    threshold: z.number().min(3).max(10).optional(),
    /** Score of a heuristic rule by name, replacing the built-in one (0 turns it off). */
    ruleScores: z
      .record(z.string().regex(/^[A-Z0-9_]+$/, 'rule names are upper case'), z.number())
      .default({}),
    exemptions: z.array(exemption).default([]),
    bayes,
    graymail,
    social,
    cnc,
    /** Optional rspamd / SpamAssassin opinions added to the built-in score. */
    external: externalEnginesSchema,
  })
  .superRefine((v, ctx) => {
    if (v.level === 'custom' && v.threshold === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['threshold'],
        message: 'level custom needs a threshold (3.0–10.0)',
      });
    if (v.level !== 'custom' && v.threshold !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['threshold'],
        message: 'threshold is only used with level: custom',
      });
  })
  .prefault({});

export type SpamSettingsDocument = z.output<typeof spamSettingsSchema>;

/** Runtime form: the threshold resolved, durations in milliseconds, exemptions compiled. */
export interface SpamSettings {
  external: ExternalEnginesSettings;
  enabled: boolean;
  scanTrustedNetworks: boolean;
  level: SpamLevel;
  threshold: number;
  ruleScores: Record<string, number>;
  exemptions: {
    in: 'subject' | 'body' | 'header';
    header?: string;
    regex: RegExp;
    description: string;
  }[];
  bayes: { enabled: boolean; minSpam: number; minHam: number; textModel: boolean; cacheTtl: number };
  graymail: { enabled: boolean; exceptions: string[] };
  social: {
    enabled: boolean;
    internalNames: string[];
    protectedDomains: string[];
    lookalikeDistance: number;
  };
  cnc: { enabled: boolean; refresh: number };
}

export function thresholdFor(level: SpamLevel, custom?: number): number {
  return level === 'custom' ? (custom ?? LEVEL_THRESHOLDS.medium) : LEVEL_THRESHOLDS[level];
}

export function resolveSpamSettings(doc: SpamSettingsDocument): SpamSettings {
  const ms = (v: string | number) => parseDuration(v) ?? 0;
  return {
    external: resolveExternalEngines(doc.external),
    enabled: doc.enabled,
    scanTrustedNetworks: doc.scanTrustedNetworks,
    level: doc.level,
    threshold: thresholdFor(doc.level, doc.threshold),
    ruleScores: { ...doc.ruleScores },
    exemptions: doc.exemptions.map((e) => ({
      in: e.in,
      ...(e.header !== undefined ? { header: e.header.toLowerCase() } : {}),
      regex: compileUserRegex(e.pattern, { caseSensitive: e.caseSensitive }),
      description: e.description,
    })),
    bayes: { ...doc.bayes, cacheTtl: ms(doc.bayes.cacheTtl) },
    graymail: { enabled: doc.graymail.enabled, exceptions: [...doc.graymail.exceptions] },
    social: { ...doc.social, internalNames: [...doc.social.internalNames] },
    cnc: { enabled: doc.cnc.enabled, refresh: ms(doc.cnc.refresh) },
  };
}

/** The defaults as runtime settings (tests, tools). */
export function defaultSpamSettings(): SpamSettings {
  return resolveSpamSettings(spamSettingsSchema.parse(undefined));
}
