// The Bayesian classifier: Gary Robinson's token probabilities combined with Fisher's
// chi-square method, as SpamBayes and SpamAssassin do. Learning goes through batches so that a
// mailbox of thousands of messages is a few database transactions, not one per token.
import { createHash } from 'node:crypto';
import type { Facts } from '../../scan/facts.js';
import { encodeFeatures, textFeatures } from '../text-model/features.js';
import { tokenize } from './tokenizer.js';
import { emptyBatch, tokenHash, type Label, type LearnBatch, type TokenStore } from './token-store.js';

export interface BayesOptions {
  /** Messages of each kind that must be learned before the classifier says anything. */
  minSpam: number;
  minHam: number;
  /** The most extreme tokens used per message (SpamBayes: 150). */
  maxDiscriminators: number;
  /**
   * Tokens closer to 0.5 than this are ignored (SpamBayes 0.1, SpamAssassin 0.346); 0.25 did
   * slightly better on the SpamAssassin corpus (bench/eval-spam.ts --folds 5).
   */
  minStrength: number;
  /** Robinson's s and x: how much a rarely seen token is pulled towards x. */
  unknownStrength: number;
  unknownProb: number;
}

export const DEFAULT_BAYES_OPTIONS: BayesOptions = {
  minSpam: 200,
  minHam: 200,
  maxDiscriminators: 150,
  minStrength: 0.25,
  unknownStrength: 0.45,
  unknownProb: 0.5,
};

export interface Clue {
  token: string;
  probability: number;
}

export interface BayesResult {
  /** False while too few messages are learned; probability is then 0.5. */
  ready: boolean;
  /** 0 = surely ham, 1 = surely spam. */
  probability: number;
  /** Tokens that took part. */
  used: number;
  /** The strongest clues each way, for the verdict's reasons. */
  clues: Clue[];
  nspam: number;
  nham: number;
}

export interface LearnSummary {
  learned: number;
  /** Already learned with that label. */
  skipped: number;
  /** Learned before with the other label, now moved. */
  relearned: number;
  forgotten: number;
}

/** Upper tail of the chi-square distribution with an even number of degrees of freedom. */
export function chi2Q(x2: number, v: number): number {
  const m = x2 / 2;
  let term = Math.exp(-m);
  let sum = term;
  for (let i = 1; i < v / 2; i++) {
    term *= m / i;
    sum += term;
  }
  return Math.min(sum, 1);
}

/** Fisher/Robinson combining of token probabilities into one (SpamBayes chi2_spamprob). */
export function combine(probs: readonly number[]): number {
  if (probs.length === 0) return 0.5;
  let lnS = 0;
  let lnH = 0;
  for (const p of probs) {
    lnS += Math.log(1 - p);
    lnH += Math.log(p);
  }
  const n = probs.length;
  const S = 1 - chi2Q(-2 * lnS, 2 * n);
  const H = 1 - chi2Q(-2 * lnH, 2 * n);
  return (S - H + 1) / 2;
}

/**
 * Identifies a message for "already learned" checks: its Message-ID and its text, so the same
 * message reported twice (or released after headers were added) is learned once.
 */
export function messageKey(facts: Facts): string {
  return createHash('sha256')
    .update(facts.messageId ?? '')
    .update('\0')
    .update(facts.subject)
    .update('\0')
    .update(facts.textBody.slice(0, 65536))
    .update('\0')
    .update(facts.html.slice(0, 65536))
    .digest('hex')
    .slice(0, 40);
}

interface Pending {
  key: string;
  label: Label | null;
  hashes: number[];
  /** The text model's features (encoded); absent when forgetting. */
  features?: Buffer;
}

/** A message to learn: its facts and, for the text model, its head (ParsedMessage has both). */
export interface LearnInput {
  facts: Facts;
  /** messageHead() of the raw message; without it the text model sees word tokens only. */
  head?: string;
}

/** Collects messages to learn or forget; flush() writes them in one store batch. */
export class LearnQueue {
  private pending: Pending[] = [];

  constructor(private readonly store: TokenStore) {}

  get size(): number {
    return this.pending.length;
  }

  learn(message: LearnInput, label: Label): void {
    const tokens = tokenize(message.facts);
    this.pending.push({
      key: messageKey(message.facts),
      label,
      hashes: hashes(tokens),
      features: encodeFeatures(textFeatures(message.head ?? '', tokens)),
    });
  }

  forget(facts: Facts): void {
    this.pending.push({ key: messageKey(facts), label: null, hashes: hashes(tokenize(facts)) });
  }

  async flush(): Promise<LearnSummary> {
    const items = this.pending;
    this.pending = [];
    const summary: LearnSummary = { learned: 0, skipped: 0, relearned: 0, forgotten: 0 };
    if (items.length === 0) return summary;
    const state = new Map<string, Label | null>(await this.store.seen(items.map((i) => i.key)));
    const batch = emptyBatch();
    const add = (hs: number[], label: Label, sign: 1 | -1) => {
      for (const h of hs) {
        const c = batch.tokens.get(h) ?? { spam: 0, ham: 0 };
        c[label] += sign;
        batch.tokens.set(h, c);
      }
      if (label === 'spam') batch.nspam += sign;
      else batch.nham += sign;
    };
    for (const item of items) {
      const prev = state.get(item.key) ?? null;
      if (prev === item.label) {
        if (item.label !== null) summary.skipped++;
        // Learned before the text model existed: its features are filled in (the store keeps
        // features already there).
        if (item.label !== null && item.features) batch.features.set(item.key, item.features);
        continue;
      }
      if (prev !== null) add(item.hashes, prev, -1);
      if (item.label !== null) {
        add(item.hashes, item.label, 1);
        if (prev !== null) summary.relearned++;
        else summary.learned++;
      } else summary.forgotten++;
      state.set(item.key, item.label);
      batch.seen.set(item.key, item.label);
      if (item.label !== null && item.features) batch.features.set(item.key, item.features);
    }
    if (batch.seen.size > 0 || batch.features.size > 0) await this.store.apply(dropZeros(batch));
    return summary;
  }
}

function dropZeros(batch: LearnBatch): LearnBatch {
  for (const [h, c] of batch.tokens) if (c.spam === 0 && c.ham === 0) batch.tokens.delete(h);
  return batch;
}

function hashes(tokens: Set<string>): number[] {
  return [...new Set([...tokens].map(tokenHash))];
}

export class Bayes {
  readonly options: BayesOptions;

  constructor(
    readonly store: TokenStore,
    options: Partial<BayesOptions> = {},
  ) {
    this.options = { ...DEFAULT_BAYES_OPTIONS, ...options };
  }

  async classify(facts: Facts): Promise<BayesResult> {
    return this.classifyTokens(tokenize(facts));
  }

  async classifyTokens(tokens: Set<string>): Promise<BayesResult> {
    const o = this.options;
    const { nspam, nham } = await this.store.totals();
    const base = { nspam, nham, used: 0, clues: [] as Clue[] };
    if (nspam < o.minSpam || nham < o.minHam || nspam === 0 || nham === 0) {
      return { ready: false, probability: 0.5, ...base };
    }
    const byHash = new Map<number, string>();
    for (const t of tokens) byHash.set(tokenHash(t), t);
    const counts = await this.store.counts([...byHash.keys()]);
    const scored: Clue[] = [];
    for (const [h, c] of counts) {
      const spamRatio = c.spam / nspam;
      const hamRatio = c.ham / nham;
      if (spamRatio + hamRatio === 0) continue;
      const p = spamRatio / (spamRatio + hamRatio);
      const n = c.spam + c.ham;
      const f = (o.unknownStrength * o.unknownProb + n * p) / (o.unknownStrength + n);
      if (Math.abs(f - 0.5) >= o.minStrength) scored.push({ token: byHash.get(h) as string, probability: f });
    }
    scored.sort((a, b) => Math.abs(b.probability - 0.5) - Math.abs(a.probability - 0.5));
    const clues = scored.slice(0, o.maxDiscriminators);
    // Robinson's f never reaches 0 or 1 while s > 0; the guard keeps log() finite if s = 0.
    const probability = combine(clues.map((c) => Math.min(1 - 1e-9, Math.max(1e-9, c.probability))));
    return { ready: true, probability, ...base, used: clues.length, clues: clues.slice(0, 8) };
  }

  queue(): LearnQueue {
    return new LearnQueue(this.store);
  }

  async learn(message: LearnInput, label: Label): Promise<LearnSummary> {
    const q = this.queue();
    q.learn(message, label);
    return q.flush();
  }

  async forget(facts: Facts): Promise<LearnSummary> {
    const q = this.queue();
    q.forget(facts);
    return q.flush();
  }
}
