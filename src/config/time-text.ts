// Times as administrators type them in searches: "2h" (that long ago) or an ISO date/time.
import { parseDuration } from './units.js';

/** Epoch ms, or undefined when the text is neither a duration nor a date/time. */
export function parseTimeText(text: string, now = Date.now()): number | undefined {
  const ago = parseDuration(text);
  if (ago !== undefined) return now - ago;
  const t = Date.parse(text);
  return Number.isNaN(t) ? undefined : t;
}
