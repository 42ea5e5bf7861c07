// Group commit for directory fsyncs: every caller that asks while a sync is running waits for
// the next one, which then covers all of them. Many sessions finishing at once cost one fsync.
import { open } from 'node:fs/promises';

interface Waiter {
  resolve: () => void;
  reject: (e: unknown) => void;
}

export class DirectorySync {
  private waiting: Waiter[] = [];
  private running = false;
  /** How many fsyncs were done and how many callers they served, for the benchmark and tests. */
  readonly stats = { syncs: 0, callers: 0 };

  constructor(private readonly dir: string) {}

  sync(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      if (!this.running) void this.run();
    });
  }

  private async run(): Promise<void> {
    this.running = true;
    while (this.waiting.length > 0) {
      const batch = this.waiting;
      this.waiting = [];
      try {
        const fh = await open(this.dir, 'r');
        try {
          await fh.sync();
        } finally {
          await fh.close();
        }
        this.stats.syncs++;
        this.stats.callers += batch.length;
        for (const w of batch) w.resolve();
      } catch (e) {
        for (const w of batch) w.reject(e);
      }
    }
    this.running = false;
  }
}
