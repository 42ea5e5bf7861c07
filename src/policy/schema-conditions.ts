// Rule conditions as administrators write them: a list of one-key objects, each optionally
// wrapped in "not:". A condition left without options matches any case of its kind
// ("virus: {}" = any category).
import { z } from 'zod';
import { DMARC_ACTIONS } from '../auth/auth-settings.js';
import { parseSize } from '../config/units.js';
import { VIRUS_CATEGORIES } from '../scan/facts.js';
import { CNC_TYPES } from '../spam/cnc.js';
import { SOCIAL_INDICATOR_KINDS } from '../spam/social.js';
import { regexProblem } from './regex.js';
import { exactlyOne, headerNameSetting, listShorthand, sizeSetting } from './schema-common.js';
import {
  CNC_WHERE,
  DKIM_RESULTS,
  DLP_TEMPLATES,
  DMARC_POLICIES,
  DMARC_RESULTS,
  GRAYMAIL_CATEGORIES,
  SCAN_EXCEPTION_KINDS,
  SPAM_RULE_LEVELS,
  SPF_RESULTS,
  TEXT_AREAS,
  TRUE_TYPES,
} from './types.js';

/** "grayware" stands for every spyware/grayware category. */
export const GRAYWARE_CATEGORIES = VIRUS_CATEGORIES.filter((c) => c !== 'virus' && c !== 'mass-mailing');

const textAreas = z.array(z.enum(TEXT_AREAS)).min(1);

const virus = z.preprocess(
  listShorthand('categories'),
  z.strictObject({
    categories: z
      .array(z.enum([...VIRUS_CATEGORIES, 'grayware']))
      .min(1)
      .optional(),
  }),
);

const scanException = z.preprocess(
  listShorthand('kinds'),
  z.strictObject({ kinds: z.array(z.enum(SCAN_EXCEPTION_KINDS)).min(1).optional() }),
);

const nonEmpty = (what: string) => z.array(z.string().min(1, `empty ${what}`)).min(1);

const attachment = z
  .strictObject({
    /** File name globs ("*.exe", "invoice*"); matched against the name and its last path segment. */
    names: nonEmpty('name').optional(),
    /** Extensions with or without the dot. */
    extensions: nonEmpty('extension').optional(),
    trueTypes: z.array(z.enum(TRUE_TYPES)).min(1).optional(),
    /** Declared MIME types, "*" wildcards allowed ("application/x-ms*"). */
    declaredTypes: nonEmpty('type').optional(),
    minSize: sizeSetting.optional(),
    maxSize: sizeSetting.optional(),
    encrypted: z.boolean().optional(),
    macros: z.boolean().optional(),
    pdfJavascript: z.boolean().optional(),
    doubleExtension: z.boolean().optional(),
    /** How many files must match (default 1); with no other option, the number of files. */
    minCount: z.number().int().min(1).optional(),
  })
  .superRefine((v, ctx) => {
    const min = v.minSize === undefined ? undefined : parseSize(v.minSize);
    const max = v.maxSize === undefined ? undefined : parseSize(v.maxSize);
    if (min !== undefined && max !== undefined && min > max)
      ctx.addIssue({ code: 'custom', path: ['maxSize'], message: 'is smaller than minSize' });
  });

const keywords = z.strictObject({
  list: z.string().min(1),
  in: textAreas.optional(),
});

const dlp = z.strictObject({
  template: z.enum(DLP_TEMPLATES),
  minCount: z.number().int().min(1).optional(),
  in: textAreas.optional(),
});

function range<T extends z.ZodType>(bound: T) {
  return z
    .strictObject({ min: bound.optional(), max: bound.optional() })
    .refine((v) => v.min !== undefined || v.max !== undefined, { message: 'needs min, max or both' });
}

const header = z
  .strictObject({
    name: headerNameSetting,
    /** Regular expression over each value of the header; omitted = the header is present. */
    pattern: z.string().min(1).optional(),
    caseSensitive: z.boolean().optional(),
  })
  .superRefine((v, ctx) => {
    const problem = v.pattern === undefined ? undefined : regexProblem(v.pattern, v.caseSensitive);
    if (problem) ctx.addIssue({ code: 'custom', path: ['pattern'], message: problem });
  });

/** "spam: {}" is the spam verdict; a level or threshold (SPEC §12: 3.0-10.0) sets this rule's own bar. */
const spam = z.preprocess(
  (v) => (v === null ? {} : v),
  z
    .strictObject({
      level: z.enum(SPAM_RULE_LEVELS).optional(),
      threshold: z.number().min(3).max(10).optional(),
    })
    .refine((v) => v.level === undefined || v.threshold === undefined, {
      message: 'write a level or a threshold, not both',
    }),
);

const graymail = z.preprocess(
  listShorthand('categories'),
  z.strictObject({ categories: z.array(z.enum(GRAYMAIL_CATEGORIES)).min(1).optional() }),
);

const socialEngineering = z.preprocess(
  listShorthand('kinds'),
  z.strictObject({ kinds: z.array(z.enum(SOCIAL_INDICATOR_KINDS)).min(1).optional() }),
);

const cnc = z.preprocess(
  listShorthand('types'),
  z.strictObject({
    types: z.array(z.enum(CNC_TYPES)).min(1).optional(),
    where: z.array(z.enum(CNC_WHERE)).min(1).optional(),
  }),
);

const AUTH_TESTS = ['spf', 'dkim', 'dmarc', 'dmarcPolicy', 'dmarcAction', 'suspicious'] as const;

/** Any listed test is enough unless match is all. */
const authentication = z
  .strictObject({
    match: z.enum(['any', 'all']).optional(),
    spf: z.array(z.enum(SPF_RESULTS)).min(1).optional(),
    dkim: z.array(z.enum(DKIM_RESULTS)).min(1).optional(),
    dmarc: z.array(z.enum(DMARC_RESULTS)).min(1).optional(),
    dmarcPolicy: z.array(z.enum(DMARC_POLICIES)).min(1).optional(),
    dmarcAction: z.array(z.enum(DMARC_ACTIONS)).min(1).optional(),
    suspicious: z.literal(true, { error: 'write suspicious: true, or leave it out' }).optional(),
  })
  .refine((v) => AUTH_TESTS.some((k) => v[k] !== undefined), {
    message: `needs at least one of ${AUTH_TESTS.join(', ')}`,
  });

const kindsShape = {
  virus: virus.optional(),
  scanException: scanException.optional(),
  attachment: attachment.optional(),
  keywords: keywords.optional(),
  dlp: dlp.optional(),
  size: range(sizeSetting).optional(),
  recipientCount: range(z.number().int().min(0)).optional(),
  header: header.optional(),
  spam: spam.optional(),
  graymail: graymail.optional(),
  socialEngineering: socialEngineering.optional(),
  cnc: cnc.optional(),
  authentication: authentication.optional(),
};

export const CONDITION_KINDS = Object.keys(kindsShape) as (keyof typeof kindsShape)[];

const plainCondition = z.strictObject(kindsShape).superRefine(exactlyOne(CONDITION_KINDS, 'condition'));

/** "not: <condition>" negates one condition; double negation is not offered. */
export const conditionSchema = z
  .strictObject({ ...kindsShape, not: plainCondition.optional() })
  .superRefine(exactlyOne([...CONDITION_KINDS, 'not'], 'condition'));

export type ConditionDocument = z.output<typeof conditionSchema>;
export type PlainConditionDocument = z.output<typeof plainCondition>;
