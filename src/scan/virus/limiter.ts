// At most N jobs at a time, the rest wait in arrival order. Bounds the connections we open to
// clamd: it scans streams in parallel up to its MaxThreads and queues the rest, so flooding it
// only moves the waiting into its queue and towards its timeouts.
export class Limiter {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly max: number) {}

  async run<T>(job: () => Promise<T>): Promise<T> {
    if (this.running >= this.max) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running++;
    try {
      return await job();
    } finally {
      const next = this.waiting.shift();
      // The slot passes straight to the next job, so `running` stays the same.
      if (next) next();
      else this.running--;
    }
  }
}
