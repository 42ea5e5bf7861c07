// Order of the rules an engine reports, shared by both clients.
import type { ExternalSymbol } from './types.js';

/** Largest contributions first (either sign), then by name, so reports read the same each time. */
export function bySignificance(symbols: ExternalSymbol[]): ExternalSymbol[] {
  return [...symbols].sort((a, b) => Math.abs(b.score) - Math.abs(a.score) || a.name.localeCompare(b.name));
}
