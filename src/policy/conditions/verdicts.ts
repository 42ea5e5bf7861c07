// Conditions on what the spam stage found: the spam score, graymail, social-engineering
// indicators and C&C list matches. A verdict the stage did not give (spam scanning off, an
// internal message) never matches.
import type { CncType, CncWhere } from '../../spam/cnc.js';
import type { GraymailCategory } from '../../spam/graymail.js';
import type { SocialIndicatorKind } from '../../spam/social.js';
import type { SpamReason } from '../../spam/types.js';
import type { SpamRuleLevel } from '../types.js';
import { clip, COST, evidence, type CompiledCondition } from './types.js';

const score = (n: number) => n.toFixed(1);

/** The reasons that raised the score most, for the log: "BAYES_99 +3.5 (…), …". */
function topReasons(reasons: readonly SpamReason[], max = 3): string {
  return [...reasons]
    .filter((r) => r.score > 0)
    .sort((a, b) => b.score - a.score)
    .slice(0, max)
    .map((r) => `${r.rule} +${score(r.score)}${r.detail ? ` (${clip(r.detail, 60)})` : ''}`)
    .join(', ');
}

/**
 * No threshold: the message is spam by the spam settings. A threshold (from a level or
 * written): this rule's own catch rate, so a rule can e.g. delete only the surest spam.
 */
export function spamCondition(
  threshold: number | undefined,
  level: SpamRuleLevel | undefined,
): CompiledCondition {
  const bar =
    threshold === undefined ? undefined : level ? `${score(threshold)} (${level})` : score(threshold);
  return {
    label: bar === undefined ? 'spam (the spam verdict)' : `spam (score at least ${bar})`,
    cost: COST.facts,
    evaluate: (m) => {
      const v = m.facts.spam;
      if (!v || v.skipped !== undefined) return [];
      const hit = threshold === undefined ? v.isSpam : v.score >= threshold;
      if (!hit) return [];
      const top = topReasons(v.reasons);
      const against = bar ?? `${score(v.threshold)} (${v.level})`;
      return [
        evidence({
          condition: 'spam',
          detail: `spam score ${score(v.score)} reaches ${against}${top ? `: ${top}` : ''}`,
          value: score(v.score),
        }),
      ];
    },
  };
}

export function graymailCondition(categories: readonly GraymailCategory[] | undefined): CompiledCondition {
  const wanted = categories ? new Set(categories) : undefined;
  return {
    label: `graymail (${categories?.join(', ') ?? 'any category'})`,
    cost: COST.facts,
    evaluate: (m) => {
      const g = m.facts.graymail;
      if (!g?.graymail || g.category === undefined || (wanted && !wanted.has(g.category))) return [];
      return [
        evidence({
          condition: 'graymail',
          detail: `graymail (${g.category})${g.reasons.length ? `: ${g.reasons.join(', ')}` : ''}`,
          value: g.category,
        }),
      ];
    },
  };
}

export function socialCondition(kinds: readonly SocialIndicatorKind[] | undefined): CompiledCondition {
  const wanted = kinds ? new Set(kinds) : undefined;
  return {
    label: `social engineering (${kinds?.join(', ') ?? 'any indicator'})`,
    cost: COST.facts,
    evaluate: (m) =>
      (m.facts.social ?? [])
        .filter((s) => !wanted || wanted.has(s.kind))
        .map((s) =>
          evidence({ condition: 'socialEngineering', detail: `${s.kind}: ${s.detail}`, value: s.kind }),
        ),
  };
}

export function cncCondition(
  types: readonly CncType[] | undefined,
  where: readonly CncWhere[] | undefined,
): CompiledCondition {
  const wantedTypes = types ? new Set(types) : undefined;
  const wantedWhere = where ? new Set(where) : undefined;
  return {
    label: `C&C match (${types?.join(', ') ?? 'any type'} in ${where?.join(', ') ?? 'any place'})`,
    cost: COST.facts,
    evaluate: (m) =>
      (m.facts.cnc ?? [])
        .filter(
          (c) => (!wantedTypes || wantedTypes.has(c.type)) && (!wantedWhere || wantedWhere.has(c.where)),
        )
        .map((c) => {
          // A listed hash names a file: say which, so stripAttachments "matching" can remove it.
          const file =
            c.type === 'sha256' ? m.facts.attachments.find((a) => a.sha256 === c.value)?.id : undefined;
          return evidence({
            condition: 'cnc',
            detail: `${c.where} ${clip(c.subject, 80)} matches C&C ${c.type} ${clip(c.value, 80)}${c.description ? ` (${clip(c.description, 80)})` : ''}`,
            where: file === undefined ? c.where : `attachment:${file}`,
            value: c.value,
            attachment: file,
          });
        }),
  };
}
