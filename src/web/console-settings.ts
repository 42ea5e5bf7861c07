// The "console" section of the settings document: what administrators see before logon and
// how long sessions and lock-outs last. Deliberately independent of src/config/settings.ts
// (which imports this file).
import { z } from 'zod';
import { parseDuration } from '../config/units.js';
import { count, durationField } from '../config/schema-fields.js';

const duration = (fallback: string) => durationField({ positive: true }).default(fallback);

export const consoleSettingsSchema = z
  .strictObject({
    /** Shown on the logon page before anyone logs on (e.g. an acceptable-use notice). */
    logonNotice: z.string().max(10_000).default(''),
    /** A session unused for this long ends. */
    sessionIdleTimeout: duration('30m'),
    /** A session ends this long after logon, however busy. */
    sessionMaxLifetime: duration('12h'),
    /** Failed logons in a row that lock an account. */
    lockoutThreshold: count(5),
    /** How long a locked account stays locked (an administrator can unlock it sooner). */
    lockoutDuration: duration('15m'),
  })
  .prefault({});

export type ConsoleSettingsDocument = z.output<typeof consoleSettingsSchema>;

/** Durations in milliseconds. */
export interface ConsoleSettings {
  logonNotice: string;
  sessionIdleTimeout: number;
  sessionMaxLifetime: number;
  lockoutThreshold: number;
  lockoutDuration: number;
}

export function resolveConsoleSettings(doc: ConsoleSettingsDocument): ConsoleSettings {
  const ms = (v: string | number) => parseDuration(v) ?? 0;
  return {
    logonNotice: doc.logonNotice,
    sessionIdleTimeout: ms(doc.sessionIdleTimeout),
    sessionMaxLifetime: ms(doc.sessionMaxLifetime),
    lockoutThreshold: doc.lockoutThreshold,
    lockoutDuration: ms(doc.lockoutDuration),
  };
}
