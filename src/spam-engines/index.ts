// The configured external engines, asked in parallel. check() never throws: these engines are
// optional, so one that cannot answer is skipped (logged once per outage) and the message goes on
// with the others — mail is never deferred for them. An engine that failed is left out for
// `retryAfter`, so a dead or blackholed daemon costs one timeout, not one per message.
import type { Logger } from '../util/log.js';
import { engineContributions, type EngineContribution, type EngineWeightings } from './combine.js';
import { RspamdClient } from './rspamd.js';
import type { ExternalEnginesSettings } from './settings.js';
import { SpamdClient } from './spamd.js';
import {
  ExternalEngineError,
  type ExternalEngineFailure,
  type ExternalEngineName,
  type ExternalScanEnvelope,
  type ExternalSpamResult,
} from './types.js';

export * from './types.js';
export { combineScores, engineContributions, type EngineContribution } from './combine.js';
export { externalEnginesSchema, resolveExternalEngines, type ExternalEnginesSettings } from './settings.js';
export { RspamdClient } from './rspamd.js';
export { SpamdClient } from './spamd.js';

export interface ExternalSkip {
  engine: ExternalEngineName;
  reason: ExternalEngineFailure;
  message: string;
}

export interface ExternalCheck {
  results: ExternalSpamResult[];
  skipped: ExternalSkip[];
}

interface Client {
  readonly engine: ExternalEngineName;
  readonly address: string;
  check(raw: Buffer, env: ExternalScanEnvelope): Promise<ExternalSpamResult>;
  ping(): Promise<boolean>;
  close(): void;
}

export interface ExternalSpamEnginesOptions {
  log?: Logger;
  /** Clock in milliseconds (tests). */
  now?: () => number;
}

export class ExternalSpamEngines {
  private readonly clients: Client[] = [];
  private readonly downUntil = new Map<ExternalEngineName, number>();
  private readonly now: () => number;

  constructor(
    private readonly settings: ExternalEnginesSettings,
    private readonly options: ExternalSpamEnginesOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    const { rspamd, spamassassin } = settings;
    if (rspamd) this.clients.push(new RspamdClient(rspamd));
    if (spamassassin) this.clients.push(new SpamdClient({ ...spamassassin, command: 'REPORT' }));
  }

  /** True when at least one engine is configured. */
  get configured(): boolean {
    return this.clients.length > 0;
  }

  get weightings(): EngineWeightings {
    const w: EngineWeightings = {};
    const { rspamd, spamassassin } = this.settings;
    if (rspamd)
      w.rspamd = { weight: rspamd.weight, ...(rspamd.threshold ? { threshold: rspamd.threshold } : {}) };
    if (spamassassin) {
      w.spamassassin = {
        weight: spamassassin.weight,
        ...(spamassassin.threshold ? { threshold: spamassassin.threshold } : {}),
      };
    }
    return w;
  }

  /** Every configured engine's opinion of the message, and the ones that gave none. */
  async check(raw: Buffer, env: ExternalScanEnvelope = {}): Promise<ExternalCheck> {
    const out: ExternalCheck = { results: [], skipped: [] };
    await Promise.all(
      this.clients.map(async (c) => {
        const until = this.downUntil.get(c.engine);
        if (until !== undefined && this.now() < until) {
          const message = `${c.engine} skipped until ${new Date(until).toISOString()} after a failure`;
          out.skipped.push({ engine: c.engine, reason: 'backoff', message });
          return;
        }
        try {
          out.results.push(await c.check(raw, env));
          if (until !== undefined) {
            this.downUntil.delete(c.engine);
            this.options.log?.info({ engine: c.engine, address: c.address }, `${c.engine} answers again`);
          }
        } catch (e) {
          const err =
            e instanceof ExternalEngineError
              ? e
              : new ExternalEngineError(c.engine, 'protocol', (e as Error).message);
          out.skipped.push({ engine: c.engine, reason: err.reason, message: err.message });
          this.noteFailure(c, err, until !== undefined);
        }
      }),
    );
    // Same order whatever answered first.
    out.results.sort((a, b) => a.engine.localeCompare(b.engine));
    out.skipped.sort((a, b) => a.engine.localeCompare(b.engine));
    return out;
  }

  /** The results as SpamInputs.engines for the built-in engine, on its threshold's scale. */
  contributions(check: ExternalCheck, builtinThreshold: number): EngineContribution[] {
    return engineContributions(check.results, this.weightings, builtinThreshold);
  }

  /** Each engine's health (status pages). */
  async ping(): Promise<Partial<Record<ExternalEngineName, boolean>>> {
    const entries = await Promise.all(this.clients.map(async (c) => [c.engine, await c.ping()] as const));
    return Object.fromEntries(entries);
  }

  close(): void {
    for (const c of this.clients) c.close();
  }

  private noteFailure(c: Client, err: ExternalEngineError, wasDown: boolean): void {
    if (err.reason === 'too-large' || err.reason === 'closed') {
      // About this message (or shutdown), not the engine's health.
      this.options.log?.debug({ engine: c.engine }, err.message);
      return;
    }
    this.downUntil.set(c.engine, this.now() + this.settings.retryAfter);
    if (!wasDown) {
      this.options.log?.warn(
        { engine: c.engine, address: c.address, reason: err.reason, retryAfterMs: this.settings.retryAfter },
        `${err.message}; optional engine skipped, mail goes on without it`,
      );
    }
  }
}
