// How the external engines' scores join the built-in score.
//
// Each engine counts on its own scale (rspamd's reject score is 15, SpamAssassin's bar is 5), so
// its score is first taken relative to its own threshold, then put on the built-in scale and
// weighted, and the results are ADDED to the built-in score (SpamAssassin's model: an engine is
// one more rule):
//
//   contribution = weight × clamp(engine score / engine threshold, −1, 2) × built-in threshold
//   combined     = built-in score + Σ contributions
//
// Why a sum and not an average: adding an engine should only ever catch more, the way an
// administrator expects; an average would let a lukewarm engine pull a message that the
// built-in engine calls spam back under the bar. With weight 1.0 an engine that reaches its own
// threshold adds exactly the built-in threshold (its "spam" is enough on its own), 0.5 makes it
// need the built-in engine's help, 0 shows its result without counting it. Scaling by the
// engine's threshold keeps the everyday noise of ham small (rspamd gives ham a few points out of
// 15). The clamp keeps one engine's extreme (GTUBE is 1000 points in SpamAssassin) from hiding
// every other opinion, and lets a confident "ham" (negative score) take off at most its weight.
import type { ExternalEngineName, ExternalSpamResult } from './types.js';

export const RATIO_MIN = -1;
export const RATIO_MAX = 2;

export interface EngineWeighting {
  weight: number;
  /** Replaces the threshold the engine reported. */
  threshold?: number;
}

export type EngineWeightings = Partial<Record<ExternalEngineName, EngineWeighting>>;

/** One engine's share of the score: the shape of SpamInputs.engines in src/spam/types.ts. */
export interface EngineContribution {
  name: ExternalEngineName;
  score: number;
  detail: string;
}

const round = (n: number) => Math.round(n * 100) / 100;
const clamp = (n: number) => Math.min(RATIO_MAX, Math.max(RATIO_MIN, n));

/** The engine's score relative to its threshold, clamped; its own verdict when the threshold is unusable. */
export function engineRatio(result: ExternalSpamResult, threshold = result.threshold): number {
  if (!(threshold > 0)) return result.isSpam ? 1 : 0;
  return clamp(result.score / threshold);
}

export function contribution(
  result: ExternalSpamResult,
  weighting: EngineWeighting,
  builtinThreshold: number,
): EngineContribution {
  const threshold = weighting.threshold ?? result.threshold;
  const score = round(weighting.weight * engineRatio(result, threshold) * builtinThreshold);
  const rules = result.symbols
    .filter((s) => s.score !== 0)
    .slice(0, 5)
    .map((s) => `${s.name}=${round(s.score)}`);
  const detail =
    `${result.engine} ${round(result.score)}/${round(threshold)} (${result.action}), weight ${weighting.weight}` +
    (rules.length > 0 ? `: ${rules.join(', ')}` : '');
  return { name: result.engine, score, detail };
}

/** Contributions of every result whose engine has a weighting (engines not configured are ignored). */
export function engineContributions(
  results: ExternalSpamResult[],
  weightings: EngineWeightings,
  builtinThreshold: number,
): EngineContribution[] {
  const out: EngineContribution[] = [];
  for (const r of results) {
    const w = weightings[r.engine];
    if (w) out.push(contribution(r, w, builtinThreshold));
  }
  return out;
}

export interface CombinedScore {
  score: number;
  threshold: number;
  isSpam: boolean;
  contributions: EngineContribution[];
}

/** The built-in verdict's score with the engines added, against the built-in threshold. */
export function combineScores(
  builtin: { score: number; threshold: number },
  results: ExternalSpamResult[],
  weightings: EngineWeightings,
): CombinedScore {
  const contributions = engineContributions(results, weightings, builtin.threshold);
  const score = round(builtin.score + contributions.reduce((s, c) => s + c.score, 0));
  return { score, threshold: builtin.threshold, isSpam: score >= builtin.threshold, contributions };
}
