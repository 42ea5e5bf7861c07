// Redis when it answers, this node's memory when it does not: mail keeps flowing through a
// Redis outage, with per-node counters until Redis is back (ioredis keeps reconnecting).
// Blocks set in memory during an outage stay in force on this node until they end.
import type { Logger } from '../util/log.js';
import { MemoryRateStore } from './memory-store.js';
import type { RedisRateStore } from './redis-store.js';
import type { Block, BlockRequest, BlockScope, CountRequest, CountResult, RateStore } from './rate-store.js';

export class FallbackRateStore implements RateStore {
  readonly kind = 'redis' as const;
  readonly memory = new MemoryRateStore();
  private down = false;
  private readonly where: string;

  constructor(
    private readonly redis: RedisRateStore,
    url: string,
    private readonly log: Logger,
  ) {
    // Never log a password that may be in the URL.
    this.where = url.replace(/\/\/[^@/]*@/, '//***@');
    const client = redis.client;
    client.on('error', (err: Error) => this.unavailable(err));
    client.on('end', () => this.unavailable(new Error('connection closed')));
    client.on('ready', () => {
      if (!this.down) return;
      this.down = false;
      this.log.warn(
        { redis: this.where },
        `Redis at ${this.where} is back: sender filter counters are shared again`,
      );
    });
  }

  /** Waits (at most timeoutMs) for the first connection, so a starting node counts in Redis. */
  async ready(timeoutMs = 2000): Promise<boolean> {
    const ok = await this.redis.ready(timeoutMs);
    if (!ok) this.unavailable(new Error(`no connection within ${timeoutMs} ms`));
    return ok;
  }

  /** True while Redis takes the counts. */
  shared(): boolean {
    return !this.down && this.redis.client.status === 'ready';
  }

  private unavailable(err: Error): void {
    if (this.down || this.closing) return;
    this.down = true;
    this.log.warn(
      { redis: this.where, err: err.message },
      `Redis at ${this.where} is unavailable (${err.message}); the sender filter counts in memory on this node until it is back`,
    );
  }

  /** Runs op on Redis if it is up, else (or when it fails) on memory. */
  private async use<T>(op: (s: RateStore) => Promise<T>): Promise<T> {
    if (this.redis.client.status === 'ready') {
      try {
        return await op(this.redis);
      } catch (err) {
        this.unavailable(err as Error);
      }
    }
    // Not connected (yet): the client's own "error" event says why, once per outage.
    return op(this.memory);
  }

  async count(req: CountRequest): Promise<CountResult> {
    if (req.unlessBlocked) {
      const b = this.memory.blockNow(req.unlessBlocked.scope, req.unlessBlocked.subject);
      if (b) return { sums: {}, block: b };
    }
    return this.use((s) => s.count(req));
  }

  async reset(key: string): Promise<void> {
    await this.memory.reset(key);
    await this.use((s) => s.reset(key));
  }

  block(req: BlockRequest): Promise<Block | undefined> {
    return this.use((s) => s.block(req));
  }

  async getBlock(scope: BlockScope, subject: string): Promise<Block | undefined> {
    return this.memory.blockNow(scope, subject) ?? this.use((s) => s.getBlock(scope, subject));
  }

  async unblock(scope: BlockScope, subject: string): Promise<Block | undefined> {
    const local = await this.memory.unblock(scope, subject);
    const shared = await this.use((s) =>
      s === this.memory ? Promise.resolve(undefined) : s.unblock(scope, subject),
    );
    return shared ?? local;
  }

  async listBlocks(): Promise<Block[]> {
    const shared = await this.use((s) => (s === this.memory ? Promise.resolve([]) : s.listBlocks()));
    return [...shared, ...this.memory.listNow()].sort(
      (a, b) => (a.until ?? Infinity) - (b.until ?? Infinity),
    );
  }

  async expireBlocks(): Promise<Block[]> {
    const shared = await this.use((s) => (s === this.memory ? Promise.resolve([]) : s.expireBlocks()));
    return [...shared, ...this.memory.expireNow()];
  }

  remember(key: string, ttlMs: number): Promise<void> {
    return this.use((s) => s.remember(key, ttlMs));
  }

  async recalls(key: string): Promise<boolean> {
    // An outbound sender remembered during an outage lives only in memory.
    return this.memory.recallsNow(key) || this.use((s) => s.recalls(key));
  }

  private closing = false;

  async close(): Promise<void> {
    this.closing = true;
    await this.memory.close();
    await this.redis.close();
  }
}
