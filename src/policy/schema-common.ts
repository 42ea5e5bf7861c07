// Small zod pieces shared by the policy settings schema. Every message says what to write
// instead, because administrators read them after an import fails.
import { z } from 'zod';
import { durationField, sizeField } from '../config/schema-fields.js';
import { addressPatternProblem } from './address-pattern.js';

export const sizeSetting = sizeField({ example: '10MB, 512KB or 1048576' });

export const durationSetting = durationField({ example: '30d, 12h or 90m' });

/** Names of rules, lists, groups, templates and areas: referenced from elsewhere, so kept simple. */
export const nameSetting = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'use letters, digits, ".", "_" and "-" (at most 64)');

/** One mailbox; UTF-8 local parts and domains are allowed (RFC 6531). */
export const addressSetting = z
  .string()
  .regex(/^[^\s@<>,;"]+@[^\s@<>,;"]+$/u, 'not an e-mail address (write e.g. audit@example.com)');

export const addressPatternSetting = z.string().superRefine((v, ctx) => {
  const problem = addressPatternProblem(v);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

// RFC 5322 field name: printable ASCII except ":".
export const headerNameSetting = z
  .string()
  .regex(/^[\x21-\x39\x3b-\x7e]+$/, 'not a header name (write e.g. X-Mailer)');

/** Header values must stay on one line, or a rule could inject headers of its own. */
export const headerValueSetting = z.string().regex(/^[^\r\n]*$/, 'must be one line');

/** For objects with one key per kind ("- virus: {...}"): exactly one key must be set. */
export function exactlyOne(kinds: readonly string[], what: string) {
  return (value: Record<string, unknown>, ctx: z.RefinementCtx): void => {
    const set = kinds.filter((k) => value[k] !== undefined);
    if (set.length === 1) return;
    ctx.addIssue({
      code: 'custom',
      message:
        set.length === 0
          ? `a ${what} needs one of: ${kinds.join(', ')}`
          : `a ${what} has exactly one of ${kinds.join(', ')}; write ${set.join(' and ')} as separate entries`,
    });
  };
}

/** `key: [a, b]` is shorthand for `key: { field: [a, b] }`; `key:` alone is `key: {}`. */
export function listShorthand(field: string) {
  return (v: unknown): unknown => (Array.isArray(v) ? { [field]: v } : v === null ? {} : v);
}
