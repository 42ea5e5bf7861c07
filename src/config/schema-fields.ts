// The zod fields for the human units of the settings document (units.ts), shared by every
// section so that each accepts the same forms and says the same thing about a bad value.
// Must not import settings.ts: that file imports the sections, which import this one.
import { z } from 'zod';
import { parseDuration, parseSize } from './units.js';

/** "20MB", "512KB" or a number of bytes; `example` is what the error message suggests. */
export function sizeField({ example = '20MB, 512KB or 1048576' } = {}) {
  return z
    .union([z.string(), z.number()])
    .refine((v) => parseSize(v) !== undefined, { message: `not a size (write e.g. ${example})` });
}

/** "90s", "1h30m" or a number of seconds; with `positive`, zero is refused too. */
export function durationField({ example = '90s, 10m, 4h or 5d', positive = false } = {}) {
  return z.union([z.string(), z.number()]).refine(
    (v) => {
      const ms = parseDuration(v);
      return ms !== undefined && (!positive || ms > 0);
    },
    { message: `not a duration (write e.g. ${example})` },
  );
}

/** A size setting that takes `fallback` when left out. */
export const size = (fallback: string) => sizeField().default(fallback);

/** A duration setting that takes `fallback` when left out. */
export const duration = (fallback: string) => durationField().default(fallback);

/** A whole number of at least 1 that takes `fallback` when left out. */
export const count = (fallback: number) => z.number().int().min(1).default(fallback);
