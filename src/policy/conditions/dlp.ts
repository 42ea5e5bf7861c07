// The DLP condition: at least minCount distinct numbers of a template (a card quoted twice
// in a reply is one card). Evidence shows the numbers masked, never in full.
import type { Evidence } from '../decision.js';
import type { DlpTemplate, TextArea } from '../types.js';
import type { TextSource } from '../message-context.js';
import { detect, type DlpFinding } from '../dlp/detectors.js';
import { dlpLabel } from '../dlp/catalog.js';
import { COST, evidence, type CompiledCondition } from './types.js';

/** At most this many numbers are listed one by one; the count says how many there were. */
const MAX_LISTED = 20;

/** Each distinct number with the first place it was found; shared by rules with the same template and areas. */
function distinct(
  template: DlpTemplate,
  sources: TextSource[],
): Map<string, { f: DlpFinding; s: TextSource }> {
  const seen = new Map<string, { f: DlpFinding; s: TextSource }>();
  for (const s of sources) {
    for (const f of detect(template, s.text)) if (!seen.has(f.value)) seen.set(f.value, { f, s });
  }
  return seen;
}

export function dlpCondition(
  template: DlpTemplate,
  minCount: number,
  areas: readonly TextArea[],
): CompiledCondition {
  return {
    label: `dlp (${template}${minCount > 1 ? `, ${minCount} or more` : ''}, in ${areas.join(', ')})`,
    cost: COST.dlp,
    evaluate: (m) => {
      const seen = m.memo(`dlp\0${template}\0${areas.join(',')}`, () => distinct(template, m.sources(areas)));
      if (seen.size < minCount) return [];
      const list: Evidence[] = [...seen.values()].slice(0, MAX_LISTED).map(({ f, s }) =>
        evidence({
          condition: 'dlp',
          detail: `${f.label ? `${f.label} ` : ''}${dlpLabel(template)} ${f.masked} in ${s.attachment ? `attachment ${s.attachment}` : s.where}`,
          where: s.where,
          value: f.masked,
          attachment: s.attachment,
        }),
      );
      if (seen.size > 1)
        list.unshift(
          evidence({
            condition: 'dlp',
            detail: `${seen.size} distinct numbers of template ${template} found (${minCount} or more needed)`,
            value: String(seen.size),
          }),
        );
      return list;
    },
  };
}
