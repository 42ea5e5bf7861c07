// From a zone's answer to listings: each A record is matched against the zone's codes (first
// match; every match in a bitmask zone), then the zone's default. Answers outside 127.0.0.0/8
// are never listings: they come from resolvers that rewrite NXDOMAIN into an advertising page.
import { ipv4ToInt, matchesAnswer } from './codes.js';
import type { ListKind } from './lookup.js';
import type { CodeRule, ListAction, ZoneSettings } from './reputation-settings.js';

/** One listing found in one zone. */
export interface ListHit<A extends ListAction = ListAction> {
  list: ListKind;
  zone: string;
  /** The name asked, e.g. "2.0.0.127.zen.spamhaus.org" or "example.com.dbl.spamhaus.org". */
  query: string;
  /** What the list answered, e.g. "127.0.0.2". */
  code: string;
  /** The matching code's label from settings, e.g. "SBL". */
  name?: string;
  action: A;
  /** Points for the spam score (0 for actions that do not score). */
  score: number;
}

export interface ZoneVerdict<A extends ListAction> {
  hits: ListHit<A>[];
  /** Error answers of the list itself (action "error", or not a 127/8 code). */
  errors: string[];
}

export function evaluateAnswers<A extends ListAction>(
  list: ListKind,
  zone: ZoneSettings<A>,
  query: string,
  answers: readonly string[],
): ZoneVerdict<A> {
  const out: ZoneVerdict<A> = { hits: [], errors: [] };
  for (const code of answers) {
    const n = ipv4ToInt(code);
    if (n === undefined || n >>> 24 !== 127) {
      out.errors.push(`${query} answered ${code}, not a list code (does the resolver rewrite NXDOMAIN?)`);
      continue;
    }
    let rules: CodeRule<A>[] = zone.codes.filter((r) => r.match && matchesAnswer(r.match, n));
    if (!zone.bitmask) rules = rules.slice(0, 1);
    if (rules.length === 0) rules = [zone.default];
    for (const r of rules) {
      if (r.action === 'ignore') continue;
      if (r.action === 'error') {
        out.errors.push(`${query} answered ${code}${r.name ? ` (${r.name})` : ''}`);
        continue;
      }
      const score = r.action === 'score' || r.action === 'allow' ? r.score : 0;
      const hit: ListHit<A> = { list, zone: zone.zone, query, code, action: r.action, score };
      if (r.name) hit.name = r.name;
      out.hits.push(hit);
    }
  }
  return out;
}
