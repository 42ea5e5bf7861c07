// Where the classifier keeps its counts. Tokens are stored as 48-bit hashes (as SpamAssassin
// keeps 40-bit ones): fixed size, no message text in the database, and a number that
// PostgreSQL's bigint and JavaScript both hold exactly.
import { createHash } from 'node:crypto';
import type { TextModel } from '../text-model/model.js';

export type Label = 'spam' | 'ham';

export interface TokenCounts {
  spam: number;
  ham: number;
}

export interface BayesTotals {
  /** Messages learned as spam and as ham. */
  nspam: number;
  nham: number;
}

/** Count changes for a batch of messages; negative counts unlearn. */
export interface LearnBatch {
  tokens: Map<number, TokenCounts>;
  nspam: number;
  nham: number;
  /** Message keys learned (with their label) or forgotten (null). */
  seen: Map<string, Label | null>;
  /** The text model's features of the messages learned (encodeFeatures), by message key. */
  features: Map<string, Buffer>;
  /** Epoch ms of the batch, kept as the tokens' last use. */
  at: number;
}

export interface BayesStats extends BayesTotals {
  tokens: number;
  /** Epoch ms of the last learning, when known. */
  lastLearned?: number;
  /** The text model in use, when one was trained. */
  textModel?: { nspam: number; nham: number; trainedAt: number };
}

/** A learned message as the text model is trained from it. */
export interface StoredExample {
  key: string;
  label: Label;
  /** encodeFeatures() of its features. */
  features: Uint8Array;
}

export interface TokenStore {
  totals(): Promise<BayesTotals>;
  /** Counts of the given token hashes; tokens never seen are left out. */
  counts(hashes: readonly number[]): Promise<Map<number, TokenCounts>>;
  /** What each message key was learned as, for the keys that were learned. */
  seen(keys: readonly string[]): Promise<Map<string, Label>>;
  /** Applies a batch at once (one transaction in a database). */
  apply(batch: LearnBatch): Promise<void>;
  stats(): Promise<BayesStats>;
  /** Forgets everything. */
  clear(): Promise<void>;
  /** Drops rare tokens (seen at most once) not used since `before` (epoch ms); returns how many. */
  expire(before: number): Promise<number>;
  /** The newest `limit` learned messages that have text-model features. */
  examples(limit: number): Promise<StoredExample[]>;
  /** The trained text model (cached; a node sees another node's training within the cache time). */
  textModel(): Promise<TextModel | undefined>;
  saveTextModel(model: TextModel, trainedAt?: number): Promise<void>;
}

/**
 * Hashes of recent tokens. Most tokens of a message are common words seen in every other one,
 * and hashing was the largest cost of scoring (bench/spam-speed.ts); the memo starts over when
 * full, which keeps it bounded without bookkeeping.
 */
const HASH_MEMO_SIZE = 200_000;
let hashMemo = new Map<string, number>();

export function tokenHash(token: string): number {
  let h = hashMemo.get(token);
  if (h === undefined) {
    h = createHash('sha1').update(token).digest().readUIntBE(0, 6);
    if (hashMemo.size >= HASH_MEMO_SIZE) hashMemo = new Map();
    hashMemo.set(token, h);
  }
  return h;
}

export function emptyBatch(at = Date.now()): LearnBatch {
  return { tokens: new Map(), nspam: 0, nham: 0, seen: new Map(), features: new Map(), at };
}

/** Counts in memory: for the accuracy evaluation and tests, and a model of the database store. */
export class MemoryTokenStore implements TokenStore {
  private readonly tokens = new Map<number, TokenCounts & { at: number }>();
  private readonly learned = new Map<string, { label: Label; features?: Buffer; at: number }>();
  private nspam = 0;
  private nham = 0;
  private lastLearned: number | undefined;
  private model: { model: TextModel; trainedAt: number } | undefined;

  async totals(): Promise<BayesTotals> {
    return { nspam: this.nspam, nham: this.nham };
  }

  async counts(hashes: readonly number[]): Promise<Map<number, TokenCounts>> {
    const out = new Map<number, TokenCounts>();
    for (const h of hashes) {
      const c = this.tokens.get(h);
      if (c) out.set(h, { spam: c.spam, ham: c.ham });
    }
    return out;
  }

  async seen(keys: readonly string[]): Promise<Map<string, Label>> {
    const out = new Map<string, Label>();
    for (const k of keys) {
      const l = this.learned.get(k);
      if (l) out.set(k, l.label);
    }
    return out;
  }

  async apply(batch: LearnBatch): Promise<void> {
    for (const [h, d] of batch.tokens) {
      const c = this.tokens.get(h) ?? { spam: 0, ham: 0, at: batch.at };
      c.spam = Math.max(0, c.spam + d.spam);
      c.ham = Math.max(0, c.ham + d.ham);
      c.at = batch.at;
      if (c.spam === 0 && c.ham === 0) this.tokens.delete(h);
      else this.tokens.set(h, c);
    }
    this.nspam = Math.max(0, this.nspam + batch.nspam);
    this.nham = Math.max(0, this.nham + batch.nham);
    for (const [k, f] of batch.features) {
      const l = this.learned.get(k);
      if (l && !batch.seen.has(k)) l.features ??= f;
    }
    for (const [k, l] of batch.seen) {
      const features = batch.features.get(k);
      // Deleted first so a message learned again counts as the newest.
      this.learned.delete(k);
      if (l !== null) this.learned.set(k, { label: l, at: batch.at, ...(features ? { features } : {}) });
    }
    this.lastLearned = batch.at;
  }

  async stats(): Promise<BayesStats> {
    return {
      nspam: this.nspam,
      nham: this.nham,
      tokens: this.tokens.size,
      ...(this.lastLearned !== undefined ? { lastLearned: this.lastLearned } : {}),
      ...(this.model
        ? {
            textModel: {
              nspam: this.model.model.nspam,
              nham: this.model.model.nham,
              trainedAt: this.model.trainedAt,
            },
          }
        : {}),
    };
  }

  async clear(): Promise<void> {
    this.tokens.clear();
    this.learned.clear();
    this.nspam = this.nham = 0;
    this.model = undefined;
  }

  async examples(limit: number): Promise<StoredExample[]> {
    const out: StoredExample[] = [];
    for (const [key, l] of this.learned)
      if (l.features) out.push({ key, label: l.label, features: l.features });
    return out.slice(-limit);
  }

  async textModel(): Promise<TextModel | undefined> {
    return this.model?.model;
  }

  async saveTextModel(model: TextModel, trainedAt = Date.now()): Promise<void> {
    this.model = { model, trainedAt };
  }

  async expire(before: number): Promise<number> {
    let n = 0;
    for (const [h, c] of this.tokens) {
      if (c.at < before && c.spam + c.ham <= 1) {
        this.tokens.delete(h);
        n++;
      }
    }
    return n;
  }
}
