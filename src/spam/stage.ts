// The spam stage as the scanning pipeline calls it: one call gives every spam-related fact of a
// message (score and reasons, graymail, social-engineering indicators, C&C matches).
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import type { ParsedMessage } from '../scan/facts.js';
import type { ScanSettings } from '../scan/scan-settings.js';
import { Bayes } from './bayes/classifier.js';
import { KyselyTokenStore } from './bayes/kysely-store.js';
import type { TokenStore } from './bayes/token-store.js';
import { CncCache, CncRepository, type CncMatch } from './cnc.js';
import { BuiltinSpamEngine, type SpamEngine } from './engine.js';
import { SpamFeedback } from './feedback.js';
import { detectGraymail, type GraymailVerdict } from './graymail.js';
import { socialIndicators, type SocialIndicator } from './social.js';
import type { SpamSettings } from './spam-settings.js';
import { TextModelTrainer } from './text-model/trainer.js';
import type { Logger } from '../util/log.js';
import type { SpamInputs, SpamVerdict } from './types.js';

/** What the stage adds to the facts (Facts.spam, .graymail, .social, .cnc). */
export interface SpamFacts {
  spam: SpamVerdict;
  graymail: GraymailVerdict;
  social: SocialIndicator[];
  cnc: CncMatch[];
}

export interface SpamStageOptions {
  settings: () => SpamSettings;
  /** Accepted domains (settings.domains names) for social engineering. */
  acceptedDomains: () => string[];
  /** Parser limits, for feedback learning from raw messages. */
  scanSettings: () => ScanSettings;
  /** The store's database (bayes_* and cnc_objects tables); without one, no Bayes and no C&C list. */
  db?: Kysely<Database>;
  /** Another token store (tests); defaults to the database's. */
  tokens?: TokenStore;
  /** Where a failed text-model training is reported. */
  log?: Logger;
}

export class SpamStage {
  readonly engine: SpamEngine;
  readonly tokens: TokenStore | undefined;
  readonly cnc: CncRepository | undefined;
  readonly feedback: SpamFeedback | undefined;
  private readonly cncCache: CncCache | undefined;

  constructor(private readonly opts: SpamStageOptions) {
    this.tokens =
      opts.tokens ??
      (opts.db ? new KyselyTokenStore(opts.db, { cacheTtl: opts.settings().bayes.cacheTtl }) : undefined);
    this.engine = new BuiltinSpamEngine({
      settings: opts.settings,
      ...(this.tokens ? { tokens: this.tokens } : {}),
    });
    if (opts.db) {
      this.cnc = new CncRepository(opts.db);
      this.cncCache = new CncCache(this.cnc, () => opts.settings().cnc.refresh);
    }
    if (this.tokens) {
      const s = opts.settings().bayes;
      const trainer = new TextModelTrainer(this.tokens, (err) =>
        opts.log?.warn({ err }, 'spam text model training failed'),
      );
      this.feedback = new SpamFeedback(
        new Bayes(this.tokens, { minSpam: s.minSpam, minHam: s.minHam }),
        opts.scanSettings,
        trainer,
      );
    }
  }

  async analyze(parsed: ParsedMessage, inputs: SpamInputs = {}): Promise<SpamFacts> {
    const settings = this.opts.settings();
    const facts = parsed.facts;
    const spam = await this.engine.score(parsed, inputs);
    const graymail = detectGraymail(facts, settings.graymail);
    const social = socialIndicators(facts, {
      acceptedDomains: this.opts.acceptedDomains(),
      settings: settings.social,
    });
    const cnc = settings.cnc.enabled && this.cncCache ? (await this.cncCache.get()).match(facts) : [];
    return { spam, graymail, social, cnc };
  }

  /** After an import on this node, so the next message sees the new list. */
  cncChanged(): void {
    this.cncCache?.invalidate();
  }
}
