// Logon throttling: each failed logon from an address, or for an account, makes the next
// attempt wait longer (doubling up to a ceiling), so guessing passwords gets slow long before
// the lock-out threshold. Kept in memory per node; the lock-out itself is in the store.
const BASE_DELAY_MS = 250;
const MAX_DELAY_MS = 8_000;
/** Failures older than this are forgotten. */
const FORGET_AFTER_MS = 15 * 60_000;
/** Bound on remembered keys, so a flood of random names cannot grow the map without limit. */
const MAX_KEYS = 10_000;

interface Failures {
  count: number;
  last: number;
}

export class LogonThrottle {
  private readonly failures = new Map<string, Failures>();

  constructor(private readonly now: () => number = Date.now) {}

  /** How long the next attempt for this address and account must wait. */
  delayFor(ip: string, account: string): number {
    const n = Math.max(this.count(`ip:${ip}`), this.count(`account:${account}`));
    return n === 0 ? 0 : Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** (n - 1));
  }

  failed(ip: string, account: string): void {
    for (const key of [`ip:${ip}`, `account:${account}`]) {
      const f = { count: this.count(key) + 1, last: this.now() };
      this.failures.delete(key); // re-insert: the map's order is the eviction order
      this.failures.set(key, f);
    }
    while (this.failures.size > MAX_KEYS) {
      const oldest = this.failures.keys().next().value as string;
      this.failures.delete(oldest);
    }
  }

  succeeded(ip: string, account: string): void {
    this.failures.delete(`ip:${ip}`);
    this.failures.delete(`account:${account}`);
  }

  private count(key: string): number {
    const f = this.failures.get(key);
    if (!f) return 0;
    if (this.now() - f.last > FORGET_AFTER_MS) {
      this.failures.delete(key);
      return 0;
    }
    return f.count;
  }
}
