// Rule conditions as administrators write them: a list of one-key objects, each optionally
// wrapped in "not:". A condition left without options matches any case of its kind
// ("virus: {}" = any category).
import { z } from 'zod';
import { parseSize } from '../config/units.js';
import { VIRUS_CATEGORIES } from '../scan/facts.js';
import { regexProblem } from './regex.js';
import { exactlyOne, headerNameSetting, listShorthand, sizeSetting } from './schema-common.js';
import { DLP_TEMPLATES, SCAN_EXCEPTION_KINDS, TEXT_AREAS, TRUE_TYPES } from './types.js';

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

const kindsShape = {
  virus: virus.optional(),
  scanException: scanException.optional(),
  attachment: attachment.optional(),
  keywords: keywords.optional(),
  dlp: dlp.optional(),
  size: range(sizeSetting).optional(),
  recipientCount: range(z.number().int().min(0)).optional(),
  header: header.optional(),
};

export const CONDITION_KINDS = Object.keys(kindsShape) as (keyof typeof kindsShape)[];

const plainCondition = z.strictObject(kindsShape).superRefine(exactlyOne(CONDITION_KINDS, 'condition'));

/** "not: <condition>" negates one condition; double negation is not offered. */
export const conditionSchema = z
  .strictObject({ ...kindsShape, not: plainCondition.optional() })
  .superRefine(exactlyOne([...CONDITION_KINDS, 'not'], 'condition'));

export type ConditionDocument = z.output<typeof conditionSchema>;
export type PlainConditionDocument = z.output<typeof plainCondition>;
