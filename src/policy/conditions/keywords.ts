// Keyword lists (SPEC §12): entries are literal text or PCRE-style expressions, each with a
// description, and a list matches in one of four modes:
//   any   - at least one entry is found;
//   all   - every entry is found (anywhere in the areas searched);
//   none  - no entry is found;
//   score - the scores of the entries found add up to at least the threshold (each entry
//           counts once, however often it occurs; scores may be negative).
// Every entry found is reported with the first place it was found, so the log shows which
// entry matched where.
import type { KeywordList, TextArea } from '../types.js';
import type { MessageContext, TextSource } from '../message-context.js';
import type { Evidence } from '../decision.js';
import { compileUserRegex, literalRegex } from '../regex.js';
import { clip, COST, evidence, type CompiledCondition } from './types.js';

export interface CompiledEntry {
  description: string;
  score: number;
  re: RegExp;
}

export interface CompiledKeywordList {
  list: KeywordList;
  entries: CompiledEntry[];
}

/** Regexes are built once per settings object; they carry no "g" flag, so sharing them is safe. */
export function compileKeywordList(list: KeywordList): CompiledKeywordList {
  return {
    list,
    entries: list.entries.map((e) => ({
      description: e.description,
      score: e.score,
      re: e.regex
        ? compileUserRegex(e.pattern, { caseSensitive: e.caseSensitive })
        : literalRegex(e.pattern, { caseSensitive: e.caseSensitive }),
    })),
  };
}

interface Hit {
  entry: CompiledEntry;
  source: TextSource;
  text: string;
}

function firstHit(entry: CompiledEntry, sources: TextSource[]): Hit | undefined {
  for (const source of sources) {
    const m = entry.re.exec(source.text);
    if (m) return { entry, source, text: m[0] };
  }
  return undefined;
}

function placeText(s: TextSource): string {
  if (s.attachment === undefined) return s.where.replace(/^header:/, 'header ');
  return s.area === 'attachmentNames'
    ? `the name of attachment ${s.attachment}`
    : `attachment ${s.attachment}`;
}

function hitEvidence(list: string, h: Hit, withScore: boolean): Evidence {
  const score = withScore ? ` (score ${h.entry.score})` : '';
  return evidence({
    condition: 'keywords',
    detail: `keyword "${h.entry.description}"${score} of list ${list} in ${placeText(h.source)}`,
    where: h.source.where,
    value: clip(h.text),
    attachment: h.source.attachment,
  });
}

/** One list over the areas' texts: the evidence when the list matches, [] when not. */
function searchList(
  { list, entries }: CompiledKeywordList,
  areas: readonly TextArea[],
  m: MessageContext,
): Evidence[] {
  const sources = m.sources(areas);
  const hits: Hit[] = [];
  for (const entry of entries) {
    const hit = firstHit(entry, sources);
    if (hit) hits.push(hit);
    // "all" cannot match once one entry is missing; "none" cannot once one is found.
    else if (list.mode === 'all') return [];
    if (hit && list.mode === 'none') return [];
  }
  switch (list.mode) {
    case 'any':
    case 'all':
      return hits.map((h) => hitEvidence(list.name, h, false));
    case 'none':
      return [
        evidence({
          condition: 'keywords',
          detail: `none of the ${entries.length} entries of list ${list.name} found in ${areas.join(', ')}`,
        }),
      ];
    case 'score': {
      const total = hits.reduce((sum, h) => sum + h.entry.score, 0);
      if (total < list.threshold) return [];
      return [
        evidence({
          condition: 'keywords',
          detail: `list ${list.name} scored ${total} (threshold ${list.threshold})`,
          value: String(total),
        }),
        ...hits.map((h) => hitEvidence(list.name, h, true)),
      ];
    }
  }
}

export function keywordCondition(
  compiled: CompiledKeywordList,
  areas: readonly TextArea[],
): CompiledCondition {
  const { list } = compiled;
  const threshold = list.mode === 'score' ? ` >= ${list.threshold}` : '';
  // Rules that test the same list over the same areas share one search per message.
  const key = `keywords\0${list.name}\0${areas.join(',')}`;
  return {
    label: `keywords (list ${list.name}, ${list.mode}${threshold}, in ${areas.join(', ')})`,
    cost: COST.keywords,
    evaluate: (m) => m.memo(key, () => searchList(compiled, areas, m)),
  };
}
