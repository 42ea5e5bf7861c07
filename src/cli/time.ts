import { parseDuration } from '../config/units.js';
import { CliError, EXIT } from './common.js';

/** "2h" (that long ago) or an ISO date/time, for --since and --until. */
export function parseTime(text: string, flag: string): number {
  const ago = parseDuration(text);
  if (ago !== undefined) return Date.now() - ago;
  const t = Date.parse(text);
  if (Number.isNaN(t))
    throw new CliError(`${flag}: "${text}" is neither a duration (2h) nor a date/time`, EXIT.usage);
  return t;
}

/** --since and --until, each parsed when given. */
export function parseTimeRange(opts: { since?: string; until?: string }): { since?: number; until?: number } {
  return {
    since: opts.since ? parseTime(opts.since, '--since') : undefined,
    until: opts.until ? parseTime(opts.until, '--until') : undefined,
  };
}
