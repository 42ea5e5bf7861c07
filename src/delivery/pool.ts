// Per-destination bookkeeping: a concurrency limit (deliveries beyond it wait in line) and the
// idle sessions kept open for a few seconds so the next message skips connect, greeting, EHLO
// and STARTTLS.
import type { SmtpSession } from './smtp-session.js';

interface Idle {
  session: SmtpSession;
  timer: NodeJS.Timeout;
}

interface DestinationState {
  active: number;
  waiters: ((ok: boolean) => void)[];
  idle: Idle[];
}

export interface SessionPoolOptions {
  /** How long an unused session stays open, ms. */
  idleTimeout: number;
  /** Sessions older than this are not reused, ms. */
  maxAge: number;
}

export class SessionPool {
  private readonly destinations = new Map<string, DestinationState>();
  private closed = false;

  constructor(private readonly o: SessionPoolOptions) {}

  private state(key: string): DestinationState {
    let s = this.destinations.get(key);
    if (!s) {
      s = { active: 0, waiters: [], idle: [] };
      this.destinations.set(key, s);
    }
    return s;
  }

  private forget(key: string, s: DestinationState): void {
    if (s.active === 0 && s.waiters.length === 0 && s.idle.length === 0) this.destinations.delete(key);
  }

  /** Waits for one of `limit` slots of the destination; false when the pool closed meanwhile. */
  acquire(key: string, limit: number): Promise<boolean> {
    if (this.closed) return Promise.resolve(false);
    const s = this.state(key);
    if (s.active < limit) {
      s.active++;
      return Promise.resolve(true);
    }
    return new Promise((resolve) => s.waiters.push(resolve));
  }

  /** Gives the slot back, straight to the next waiter if there is one. */
  release(key: string): void {
    const s = this.destinations.get(key);
    if (!s) return;
    const next = s.waiters.shift();
    if (next && !this.closed) return next(true);
    s.active--;
    this.forget(key, s);
  }

  /** The most recently used idle session of the destination, if any is still fit. */
  take(key: string): SmtpSession | undefined {
    const s = this.destinations.get(key);
    if (!s) return undefined;
    const now = Date.now();
    for (let idle = s.idle.pop(); idle; idle = s.idle.pop()) {
      clearTimeout(idle.timer);
      idle.session.onEnd(undefined);
      if (idle.session.usable && now - idle.session.openedAt < this.o.maxAge) return idle.session;
      idle.session.close();
    }
    return undefined;
  }

  /** Keeps a session for reuse; quits it when it sits unused too long or the pool is closed. */
  put(key: string, session: SmtpSession): void {
    if (this.closed || !session.usable || Date.now() - session.openedAt >= this.o.maxAge) {
      session.quit();
      return;
    }
    const s = this.state(key);
    const idle: Idle = {
      session,
      timer: setTimeout(() => {
        remove();
        session.quit();
      }, this.o.idleTimeout),
    };
    idle.timer.unref();
    const remove = () => {
      const i = s.idle.indexOf(idle);
      if (i >= 0) s.idle.splice(i, 1);
      clearTimeout(idle.timer);
      this.forget(key, s);
    };
    // the server may close an idle session at any time
    session.onEnd(remove);
    s.idle.push(idle);
  }

  /** Quits idle sessions and turns waiting deliveries away; later put() calls quit at once. */
  close(): void {
    this.closed = true;
    for (const [key, s] of this.destinations) {
      for (const idle of s.idle.splice(0)) {
        clearTimeout(idle.timer);
        idle.session.quit();
      }
      for (const w of s.waiters.splice(0)) w(false);
      this.forget(key, s);
    }
  }

  /** Open idle sessions and busy slots, for status and tests. */
  stats(): { destinations: number; idle: number; active: number } {
    let idle = 0;
    let active = 0;
    for (const s of this.destinations.values()) {
      idle += s.idle.length;
      active += s.active;
    }
    return { destinations: this.destinations.size, idle, active };
  }
}
