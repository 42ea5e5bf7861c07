import { parseTimeText } from '../config/time-text.js';
import { CliError, EXIT } from './common.js';

/** "2h" (that long ago) or an ISO date/time, for --since and --until. */
export function parseTime(text: string, flag: string): number {
  const t = parseTimeText(text);
  if (t === undefined)
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
