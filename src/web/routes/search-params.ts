// Query-string parameters the search routes share (tracking, quarantine, queue): paging, times
// as administrators type them ("2h" ago or an ISO date/time), durations.
import { z } from 'zod';
import { parseTimeText } from '../../config/time-text.js';
import { parseDuration } from '../../config/units.js';

export const limitParam = z.coerce.number().int().min(1).max(1000).default(100);
export const offsetParam = z.coerce.number().int().min(0).default(0);

/** "2h" (that long ago) or an ISO date/time → epoch ms. */
export const timeParam = z
  .string()
  .transform((text, ctx) => {
    const t = parseTimeText(text);
    if (t === undefined) {
      ctx.addIssue({ code: 'custom', message: `"${text}" is neither a duration (2h) nor a date/time` });
      return z.NEVER;
    }
    return t;
  })
  .describe('ISO date/time, or a duration ago such as 2h');

/** "90s", "10m", "2h", "3d" → ms. */
export const durationParam = z
  .string()
  .transform((text, ctx) => {
    const ms = parseDuration(text);
    if (ms === undefined) {
      ctx.addIssue({ code: 'custom', message: `"${text}" is not a duration (e.g. 90s, 10m, 2h, 3d)` });
      return z.NEVER;
    }
    return ms;
  })
  .describe('a duration such as 90s, 10m, 2h, 3d');

/** A search text: "*" is a wildcard, case-insensitive. */
export const patternParam = z.string().min(1).max(500);
