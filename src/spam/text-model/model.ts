// The text model: logistic regression over a message's features (features.ts), the kind of
// filter that did best in the TREC spam tracks (Goodman and Yih 2006; Sculley and Wachman
// 2007). Unlike the Bayesian counts it weighs features against each other, so a thousand
// common words cannot outvote the few that matter. It is trained in batch from every learned
// message kept in the store, in an order fixed by the messages' keys, so the result does not
// depend on whether spam or ham was learned first.
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { StoredExample } from '../bayes/token-store.js';
import { decodeFeatures, FEATURE_BITS } from './features.js';

/**
 * A learned message: its key (messageKey(), its place in the training order), label and
 * encoded features, decoded one at a time while training so tens of thousands of examples
 * take a few kilobytes each.
 */
export type TextExample = StoredExample;

export interface TrainOptions {
  /** Passes over the examples. */
  epochs: number;
  /** Step size of each update (features are scaled to unit length). */
  rate: number;
  /** Examples between two yields to the event loop, so a gateway keeps serving mail. */
  yieldEvery: number;
}

/** Chosen on the SpamAssassin corpus (bench/eval-spam.ts, 70/30 and 5-fold): more epochs changed nothing. */
export const DEFAULT_TRAIN_OPTIONS: TrainOptions = { epochs: 5, rate: 40, yieldEvery: 200 };

export class TextModel {
  constructor(
    readonly weights: Float32Array,
    readonly nspam: number,
    readonly nham: number,
  ) {}

  static empty(): TextModel {
    return new TextModel(new Float32Array(1 << FEATURE_BITS), 0, 0);
  }

  /** Log-odds that the message is spam: above 0 spam-like, below 0 ham-like. */
  margin(features: Uint32Array): number {
    if (features.length === 0) return 0;
    let sum = 0;
    for (const f of features) sum += this.weights[f] as number;
    return sum / Math.sqrt(features.length);
  }

  encodeWeights(): Buffer {
    return deflateRawSync(Buffer.from(this.weights.buffer, this.weights.byteOffset, this.weights.byteLength));
  }

  static decode(weights: Uint8Array, nspam: number, nham: number): TextModel {
    const raw = inflateRawSync(weights);
    if (raw.length !== 4 << FEATURE_BITS)
      throw new Error(`text model of ${raw.length} bytes, not ${4 << FEATURE_BITS}`);
    // Copied into its own buffer: inflate's result may not be 4-byte aligned.
    const w = new Float32Array(1 << FEATURE_BITS);
    new Uint8Array(w.buffer).set(raw);
    return new TextModel(w, nspam, nham);
  }
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Stochastic gradient descent on the logistic loss, in key order. */
export async function trainTextModel(
  examples: readonly TextExample[],
  options: Partial<TrainOptions> = {},
): Promise<TextModel> {
  const o = { ...DEFAULT_TRAIN_OPTIONS, ...options };
  const ordered = [...examples].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const model = TextModel.empty();
  const w = model.weights;
  let done = 0;
  for (let epoch = 0; epoch < o.epochs; epoch++) {
    for (const ex of ordered) {
      const features = decodeFeatures(ex.features);
      if (features.length === 0) continue;
      const p = 1 / (1 + Math.exp(-model.margin(features)));
      const step = (o.rate * ((ex.label === 'spam' ? 1 : 0) - p)) / Math.sqrt(features.length);
      for (const f of features) w[f] = (w[f] as number) + step;
      if (++done % o.yieldEvery === 0) await nextTurn();
    }
  }
  const nspam = examples.filter((e) => e.label === 'spam').length;
  return new TextModel(w, nspam, examples.length - nspam);
}
