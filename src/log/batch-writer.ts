// Batched writes for the logs kept in the store (message tracking, policy events): what is
// pushed is written together one flush interval later, so the hot path never waits on the
// store. A failed write is logged and kept for a later flush, up to a cap, so a store that is
// down never stops mail and never fills the memory.
import type { Logger } from '../util/log.js';

/** Time to wait after a failed write. */
const RETRY_MS = 2000;
/** Items kept for retry only while fewer than this are pending. */
const MAX_PENDING = 100_000;

export abstract class BatchWriter<T> {
  private items: T[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private purgeTimer: NodeJS.Timeout | undefined;

  /** `failureMessage` is what the warning says when a write fails ("cannot write …; will retry"). */
  constructor(
    private readonly log: Logger,
    private readonly failureMessage: string,
    private readonly flushIntervalMs: number,
  ) {}

  /** Writes one batch; when it throws, the whole batch is kept and tried again later. */
  protected abstract write(items: T[]): Promise<void>;

  protected push(item: T): void {
    this.items.push(item);
    this.schedule(this.flushIntervalMs);
  }

  /** Writes everything pending; resolves when it is in the store (or kept for a retry). */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.writePending());
    return this.flushing;
  }

  /** Runs `purge` (retention of what this log wrote) now and every `intervalMs` until close(). */
  protected startPurging(purge: () => Promise<unknown>, failureMessage: string, intervalMs: number): void {
    const run = () => purge().catch((err: unknown) => this.log.warn({ err }, failureMessage));
    void run();
    this.purgeTimer = setInterval(() => void run(), intervalMs);
    this.purgeTimer.unref();
  }

  async close(): Promise<void> {
    if (this.purgeTimer) clearInterval(this.purgeTimer);
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.flush();
  }

  private schedule(ms: number): void {
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, ms);
  }

  private async writePending(): Promise<void> {
    const items = this.items;
    this.items = [];
    if (items.length === 0) return;
    try {
      await this.write(items);
    } catch (err) {
      this.log.warn({ err, pending: items.length }, this.failureMessage);
      if (this.items.length < MAX_PENDING) this.items = items.concat(this.items);
      this.schedule(RETRY_MS);
    }
  }
}

/** `items` in slices of at most `size` (rows per INSERT statement). */
export function* chunks<T>(items: T[], size: number): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}
