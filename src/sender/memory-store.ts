// RateStore of a single node: maps in this process. Also the fallback while Redis is away.
import {
  blockId,
  bucketWidth,
  inForce,
  type Block,
  type BlockRequest,
  type BlockScope,
  type CountRequest,
  type CountResult,
  type RateStore,
} from './rate-store.js';

interface Window {
  /** bucket start (ms) -> counter name -> count */
  buckets: Map<number, Record<string, number>>;
  expires: number;
}

/** How often idle windows and remembered keys are swept out. */
const SWEEP_INTERVAL = 60_000;

export class MemoryRateStore implements RateStore {
  readonly kind = 'memory' as const;
  private readonly windows = new Map<string, Window>();
  private readonly blocks = new Map<string, Block>();
  private readonly remembered = new Map<string, number>();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly now: () => number = Date.now) {
    this.timer = setInterval(() => this.sweep(), SWEEP_INTERVAL);
    this.timer.unref();
  }

  async count(req: CountRequest): Promise<CountResult> {
    return this.countNow(req);
  }

  /** Synchronous form, for the fallback store. */
  countNow(req: CountRequest): CountResult {
    const now = this.now();
    if (req.unlessBlocked) {
      const b = this.blockNow(req.unlessBlocked.scope, req.unlessBlocked.subject, now);
      if (b) return { sums: {}, block: b };
    }
    const width = bucketWidth(req.windowMs);
    const current = now - (now % width);
    const oldest = current - req.windowMs + width;
    let w = this.windows.get(req.key);
    if (!w || w.expires <= now) {
      w = { buckets: new Map(), expires: 0 };
      this.windows.set(req.key, w);
    }
    let bucket = w.buckets.get(current);
    for (const [name, n] of Object.entries(req.add)) {
      if (n === 0) continue;
      bucket ??= {};
      bucket[name] = (bucket[name] ?? 0) + n;
    }
    if (bucket) w.buckets.set(current, bucket);
    const sums: Record<string, number> = {};
    for (const name of Object.keys(req.add)) sums[name] = 0;
    for (const [start, counts] of w.buckets) {
      if (start < oldest) {
        w.buckets.delete(start);
        continue;
      }
      for (const name of Object.keys(req.add)) sums[name] = (sums[name] ?? 0) + (counts[name] ?? 0);
    }
    w.expires = now + req.windowMs + width;
    if (w.buckets.size === 0) this.windows.delete(req.key);
    return { sums };
  }

  async reset(key: string): Promise<void> {
    this.windows.delete(key);
  }

  async block(req: BlockRequest): Promise<Block | undefined> {
    return this.blockSet(req);
  }

  blockSet(req: BlockRequest): Block | undefined {
    const now = this.now();
    const id = blockId(req.scope, req.subject);
    if (inForce(this.blocks.get(id), now)) return undefined;
    const { durationMs, ...rest } = req;
    const b: Block = { ...rest, since: now };
    if (durationMs !== undefined) b.until = now + durationMs;
    this.blocks.set(id, b);
    return b;
  }

  async getBlock(scope: BlockScope, subject: string): Promise<Block | undefined> {
    return this.blockNow(scope, subject, this.now());
  }

  blockNow(scope: BlockScope, subject: string, now = this.now()): Block | undefined {
    const b = this.blocks.get(blockId(scope, subject));
    return inForce(b, now) ? b : undefined;
  }

  async unblock(scope: BlockScope, subject: string): Promise<Block | undefined> {
    const id = blockId(scope, subject);
    const b = this.blocks.get(id);
    this.blocks.delete(id);
    return inForce(b, this.now()) ? b : undefined;
  }

  async listBlocks(): Promise<Block[]> {
    return this.listNow();
  }

  listNow(): Block[] {
    const now = this.now();
    return [...this.blocks.values()]
      .filter((b) => inForce(b, now))
      .sort((a, b) => (a.until ?? Infinity) - (b.until ?? Infinity));
  }

  async expireBlocks(): Promise<Block[]> {
    return this.expireNow();
  }

  expireNow(): Block[] {
    const now = this.now();
    const out: Block[] = [];
    for (const [id, b] of this.blocks) {
      if (!inForce(b, now)) {
        this.blocks.delete(id);
        out.push(b);
      }
    }
    return out;
  }

  async remember(key: string, ttlMs: number): Promise<void> {
    this.remembered.set(key, this.now() + ttlMs);
  }

  async recalls(key: string): Promise<boolean> {
    return this.recallsNow(key);
  }

  recallsNow(key: string): boolean {
    const until = this.remembered.get(key);
    return until !== undefined && until > this.now();
  }

  private sweep(): void {
    const now = this.now();
    for (const [k, w] of this.windows) if (w.expires <= now) this.windows.delete(k);
    for (const [k, until] of this.remembered) if (until <= now) this.remembered.delete(k);
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
  }
}
