// Training the text model from what the store has learned: after `sekimori spam learn`, and on
// a gateway after reports and releases (a few seconds later, once for a burst of them).
import type { TokenStore } from '../bayes/token-store.js';
import { trainTextModel, type TrainOptions } from './model.js';

/** The newest learned messages the model is trained from (older ones keep teaching Bayes). */
export const MAX_EXAMPLES = 20_000;

export interface TrainingResult {
  nspam: number;
  nham: number;
  ms: number;
}

export async function retrainTextModel(
  store: TokenStore,
  options: Partial<TrainOptions> = {},
): Promise<TrainingResult> {
  const started = Date.now();
  const model = await trainTextModel(await store.examples(MAX_EXAMPLES), options);
  await store.saveTextModel(model);
  return { nspam: model.nspam, nham: model.nham, ms: Date.now() - started };
}

/** Retrains once after a burst of learning; never two trainings at once. */
export class TextModelTrainer {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;

  constructor(
    private readonly store: TokenStore,
    private readonly onError: (err: Error) => void,
    private readonly delayMs = 5_000,
  ) {}

  schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.run();
    }, this.delayMs);
    this.timer.unref();
  }

  /** Trains now (or right after the training under way); resolves when done. */
  async run(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        try {
          await retrainTextModel(this.store);
        } catch (e) {
          this.onError(e as Error);
        }
      } while (this.again);
    })();
    try {
      await this.running;
    } finally {
      this.running = undefined;
    }
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Resolves when no training is under way. */
  async idle(): Promise<void> {
    await this.running;
  }
}
