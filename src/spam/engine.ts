// The built-in spam engine: header, body and URL heuristics, GTUBE, the results of sender
// authentication and reputation, and the Bayesian classifier, added up into one score that
// the detection level's threshold turns into a verdict (SpamAssassin's model).
import type { Facts, ParsedMessage } from '../scan/facts.js';
import { EngineUnavailableError } from '../scan/virus-engine.js';
import { Bayes, type BayesResult } from './bayes/classifier.js';
import type { TokenStore } from './bayes/token-store.js';
import { tokenize } from './bayes/tokenizer.js';
import { bodyRules } from './rules/body.js';
import { gtubeRule } from './rules/gtube.js';
import { headerRules } from './rules/headers.js';
import { authRules, reputationReasons } from './rules/inputs.js';
import { RULES, type RuleHit, type RuleName } from './rules/scores.js';
import { urlRules } from './rules/urls.js';
import type { SpamSettings } from './spam-settings.js';
import { textFeatures } from './text-model/features.js';
import type { SpamInputs, SpamReason, SpamVerdict } from './types.js';

export interface SpamEngine {
  score(parsed: ParsedMessage, extra: SpamInputs): Promise<SpamVerdict>;
}

/** The Bayes rule for a probability (SpamAssassin's BAYES_* buckets). */
export function bayesRule(p: number): RuleName {
  if (p < 0.01) return 'BAYES_00';
  if (p < 0.05) return 'BAYES_05';
  if (p < 0.2) return 'BAYES_20';
  if (p < 0.8) return 'BAYES_50';
  if (p < 0.95) return 'BAYES_80';
  if (p < 0.99) return 'BAYES_95';
  if (p < 0.999) return 'BAYES_99';
  return 'BAYES_999';
}

/** Every heuristic of the message alone (no other stage, no classifier). */
export function heuristicHits(facts: Facts): RuleHit[] {
  return [...gtubeRule(facts), ...headerRules(facts), ...bodyRules(facts), ...urlRules(facts)];
}

function exemption(settings: SpamSettings, facts: Facts): string | undefined {
  for (const e of settings.exemptions) {
    const texts =
      e.in === 'subject'
        ? [facts.subject]
        : e.in === 'body'
          ? [facts.textBody, facts.htmlText]
          : facts.headers.filter((h) => h.name === e.header).map((h) => h.value);
    if (texts.some((t) => e.regex.test(t))) return e.description || `${e.in} matches ${e.regex.source}`;
  }
  return undefined;
}

const round = (n: number) => Math.round(n * 100) / 100;

/**
 * Bounds of the text model's points. It may take a message past the threshold on its own, but
 * cannot cancel much of what reputation and rules found (the bounds cost nothing on the corpus).
 */
const TEXT_MODEL_POINTS = { min: -4, max: 6 };

export interface BuiltinSpamEngineOptions {
  settings: () => SpamSettings;
  /** Where the classifier's counts are; without one, the classifier is not used. */
  tokens?: TokenStore;
}

export class BuiltinSpamEngine implements SpamEngine {
  private bayes: Bayes | undefined;
  private bayesFor: SpamSettings['bayes'] | undefined;

  constructor(private readonly opts: BuiltinSpamEngineOptions) {}

  private classifier(settings: SpamSettings): Bayes | undefined {
    if (!settings.bayes.enabled || !this.opts.tokens) return undefined;
    if (this.bayesFor !== settings.bayes) {
      this.bayes = new Bayes(this.opts.tokens, {
        minSpam: settings.bayes.minSpam,
        minHam: settings.bayes.minHam,
      });
      this.bayesFor = settings.bayes;
    }
    return this.bayes;
  }

  private scoreOf(settings: SpamSettings, rule: RuleName): number {
    return settings.ruleScores[rule] ?? RULES[rule].score;
  }

  /** The text model's opinion: its log-odds times the TEXT_MODEL score, once it learned enough. */
  private async textModelReason(
    settings: SpamSettings,
    parsed: ParsedMessage,
    tokens: Set<string>,
  ): Promise<SpamReason | undefined> {
    const weight = this.scoreOf(settings, 'TEXT_MODEL');
    if (!settings.bayes.textModel || weight === 0 || !this.opts.tokens) return undefined;
    const model = await this.opts.tokens.textModel();
    if (!model || model.nspam < settings.bayes.minSpam || model.nham < settings.bayes.minHam)
      return undefined;
    const margin = model.margin(textFeatures(parsed.head ?? '', tokens));
    return {
      rule: 'TEXT_MODEL',
      score: round(Math.max(TEXT_MODEL_POINTS.min, Math.min(TEXT_MODEL_POINTS.max, weight * margin))),
      detail: `log-odds ${margin.toFixed(2)} (trained on ${model.nspam} spam, ${model.nham} ham)`,
    };
  }

  async score(parsed: ParsedMessage, extra: SpamInputs): Promise<SpamVerdict> {
    const settings = this.opts.settings();
    const facts = parsed.facts;
    const verdict = (reasons: SpamReason[], skipped?: SpamVerdict['skipped']): SpamVerdict => {
      const score = round(reasons.reduce((s, r) => s + r.score, 0));
      return {
        score,
        threshold: settings.threshold,
        isSpam: skipped === undefined && score >= settings.threshold,
        level: settings.level,
        reasons,
        ...(skipped !== undefined ? { skipped } : {}),
      };
    };
    if (!settings.enabled) return verdict([], 'disabled');
    if (extra.senderApproved) {
      return verdict(
        [{ rule: 'APPROVED_SENDER', score: 0, detail: 'approved by the sender filter' }],
        'approved-sender',
      );
    }
    // The DKIM approved and enforcement lists are auth settings (auth.dkimApproved/dkimEnforced);
    // sender authentication reports their outcome.
    const approvedBy = extra.auth?.dkimApproved;
    if (approvedBy) {
      return verdict(
        [{ rule: 'DKIM_APPROVED', score: 0, detail: `valid DKIM signature of ${approvedBy}` }],
        'dkim-approved',
      );
    }
    const exempt = exemption(settings, facts);
    if (exempt) return verdict([{ rule: 'EXEMPT', score: 0, detail: exempt }], 'exempt');

    const hits = [...heuristicHits(facts), ...authRules(extra.auth)];
    let bayes: BayesResult | undefined;
    let textReason: SpamReason | undefined;
    const classifier = this.classifier(settings);
    if (classifier) {
      try {
        const tokens = tokenize(facts);
        bayes = await classifier.classifyTokens(tokens);
        textReason = await this.textModelReason(settings, parsed, tokens);
      } catch (e) {
        // A store failure defers the message like any engine failure (SPEC §13), rather than
        // letting spam through unscored.
        throw new EngineUnavailableError('bayes', `token store: ${(e as Error).message}`);
      }
      if (bayes.ready) {
        const clues = bayes.clues
          .slice(0, 5)
          .map((c) => `${c.token} ${c.probability.toFixed(2)}`)
          .join(', ');
        hits.push({
          rule: bayesRule(bayes.probability),
          detail: `probability ${bayes.probability.toFixed(4)} from ${bayes.used} tokens (${clues})`,
        });
      }
    }
    const reasons: SpamReason[] = [
      ...hits.map((h) => ({ rule: h.rule, score: this.scoreOf(settings, h.rule), detail: h.detail })),
      ...(textReason ? [textReason] : []),
      ...reputationReasons(extra),
    ];
    const out = verdict(reasons);
    if (bayes) {
      out.bayes = {
        ready: bayes.ready,
        probability: bayes.probability,
        nspam: bayes.nspam,
        nham: bayes.nham,
      };
    }
    return out;
  }
}

/** Headers for the delivered message (SpamAssassin's X-Spam-* in Sekimori's name). */
export function spamHeaders(v: SpamVerdict): { name: string; value: string }[] {
  const rules = v.reasons.map((r) => `${r.rule}=${r.score}`).join(', ');
  return [
    { name: 'X-Sekimori-Spam', value: v.isSpam ? 'Yes' : 'No' },
    {
      name: 'X-Sekimori-Spam-Score',
      value: `${v.score.toFixed(1)} (threshold ${v.threshold.toFixed(1)}, level ${v.level})`,
    },
    ...(rules ? [{ name: 'X-Sekimori-Spam-Report', value: rules }] : []),
  ];
}
