// The queue manager: takes committed messages from "incoming", hands them to the message
// handler (delivery, and later scanning and policy), records per-recipient results, defers
// with back-off, bounces permanent failures and expired messages, and carries out the
// administrator's hold / release / delete / flush.
import type { Readable } from 'node:stream';
import type { Settings } from '../config/settings.js';
import type { Logger } from '../util/log.js';
import type { MessageStatus, TrackingLog } from '../log/tracking.js';
import { CorruptQueueFileError, type Spool } from './spool.js';
import { isEmptyFilter, matchesFilter, type QueueEntrySummary, type QueueFilter } from './filter.js';
import type { DeliveryState, Envelope, QueueName, RecipientResult } from './types.js';

export interface QueuedMessage {
  envelope: Envelope;
  bodyLength: number;
  openBody(): Readable;
  readBody(): Promise<Buffer>;
}

export interface MessageHandler {
  /** Disposes of the message for these recipients; one result each. Throwing defers them all. */
  handle(message: QueuedMessage, recipients: string[]): Promise<RecipientResult[]>;
}

export interface FailedRecipient {
  address: string;
  reply: string;
  host?: string;
  code?: number;
  orcpt?: string;
  expired: boolean;
}

/** Builds the bounce (DSN) for failed recipients of a message. */
export type BounceMaker = (original: QueuedMessage, failed: FailedRecipient[]) => Promise<Buffer>;

interface Entry {
  id: string;
  queue: QueueName;
  envelope: Envelope;
  bodyLength: number;
  state?: DeliveryState;
  busy: boolean;
  /** An administrator's action asked for while an attempt was running. */
  after?: 'hold' | 'delete';
}

export interface QueueManagerOptions {
  spool: Spool;
  handler: MessageHandler;
  settings: () => Settings;
  log: Logger;
  bounce: BounceMaker;
  tracking?: TrackingLog;
  /** Messages handled at once. */
  maxActive?: number;
}

export interface OperationResult {
  affected: string[];
}

export class QueueManager {
  private readonly entries = new Map<string, Entry>();
  private ready: string[] = [];
  private active = 0;
  private running = false;
  private paused = false;
  private timer: NodeJS.Timeout | undefined;
  private idleWaiters: (() => void)[] = [];
  private readonly maxActive: number;

  constructor(private readonly o: QueueManagerOptions) {
    this.maxActive = o.maxActive ?? 100;
  }

  /**
   * Reads the spool. Messages left in "active" by a crash go back to "incoming"; files that
   * were never committed (no envelope) are removed: their client never heard 250.
   */
  async load(): Promise<void> {
    const { spool, log } = this.o;
    for (const id of await spool.list('active')) await spool.move(id, 'active', 'incoming');
    for (const queue of ['incoming', 'deferred', 'hold'] as const) {
      for (const id of await spool.list(queue)) {
        try {
          const { envelope, bodyLength } = await spool.read(queue, id);
          const state = await spool.readState(id);
          this.entries.set(id, { id, queue, envelope, bodyLength, state, busy: false });
        } catch (err) {
          if (err instanceof CorruptQueueFileError) {
            log.warn({ id, queue }, 'removing a queue file that was never committed');
            await spool.remove(queue, id);
          } else throw err;
        }
      }
    }
    await spool.removeOrphanStates();
    this.ready = [...this.entries.values()]
      .filter((e) => e.queue === 'incoming')
      .sort((a, b) => a.envelope.receivedAt - b.envelope.receivedAt)
      .map((e) => e.id);
  }

  /** Starts handling mail: incoming at once, deferred when due. */
  start(): void {
    this.running = true;
    this.timer = setInterval(() => this.wakeDeferred(), 1000);
    this.timer.unref();
    this.pump();
  }

  /** Stops taking new work and waits (up to timeoutMs) for attempts under way. */
  async stop(timeoutMs = 30_000): Promise<void> {
    this.running = false;
    if (this.timer) clearInterval(this.timer);
    if (this.active === 0) return;
    await Promise.race([
      new Promise<void>((resolve) => this.idleWaiters.push(resolve)),
      new Promise<void>((resolve) => setTimeout(resolve, timeoutMs).unref()),
    ]);
  }

  /**
   * Pauses handling (the console's "stop delivery"): messages are still accepted and queued,
   * attempts under way finish, no new attempt starts until resume().
   */
  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.wakeDeferred();
  }

  isPaused(): boolean {
    return this.paused;
  }

  /** A message just committed by the SMTP listener (or made locally). */
  accept(envelope: Envelope): void {
    this.entries.set(envelope.id, {
      id: envelope.id,
      queue: 'incoming',
      envelope,
      bodyLength: envelope.size,
      busy: false,
    });
    this.o.tracking?.received(envelope);
    this.ready.push(envelope.id);
    this.pump();
  }

  /** A message made by the policy stage that is to wait on hold for an administrator. */
  async acceptHeld(envelope: Envelope): Promise<void> {
    await this.o.spool.move(envelope.id, 'incoming', 'hold', true);
    this.entries.set(envelope.id, {
      id: envelope.id,
      queue: 'hold',
      envelope,
      bodyLength: envelope.size,
      busy: false,
    });
    this.o.tracking?.received(envelope);
    this.o.tracking?.status(envelope.id, 'held');
  }

  counts(): Record<QueueName, number> {
    const counts: Record<QueueName, number> = { incoming: 0, active: 0, deferred: 0, hold: 0 };
    for (const e of this.entries.values()) counts[e.queue]++;
    return counts;
  }

  list(filter: QueueFilter = {}): QueueEntrySummary[] {
    const now = Date.now();
    return [...this.entries.values()]
      .map((e) => this.summary(e))
      .filter((s) => matchesFilter(s, filter, now))
      .sort((a, b) => a.receivedAt - b.receivedAt);
  }

  async show(id: string): Promise<(QueueEntrySummary & { headers: string }) | undefined> {
    const e = this.entries.get(id);
    if (!e) return undefined;
    const body = await this.o.spool.readBody(e.queue, id, Math.min(e.bodyLength, 64 * 1024));
    const text = body.toString('utf8');
    const end = text.search(/\r?\n\r?\n/);
    return { ...this.summary(e), headers: end >= 0 ? text.slice(0, end) : text };
  }

  async hold(filter: QueueFilter): Promise<OperationResult> {
    return this.each(filter, async (e) => {
      if (e.queue === 'hold') return false;
      if (e.busy) {
        e.after = 'hold';
        return true;
      }
      await this.moveEntry(e, 'hold');
      this.o.tracking?.status(e.id, 'held');
      return true;
    });
  }

  async release(filter: QueueFilter): Promise<OperationResult> {
    return this.each(filter, async (e) => {
      if (e.queue !== 'hold') {
        if (e.after === 'hold') {
          e.after = undefined;
          return true;
        }
        return false;
      }
      await this.moveEntry(e, 'incoming');
      this.o.tracking?.status(e.id, 'queued');
      this.ready.push(e.id);
      return true;
    });
  }

  async delete(filter: QueueFilter): Promise<OperationResult> {
    return this.each(filter, async (e) => {
      if (e.busy) {
        e.after = 'delete';
        return true;
      }
      await this.o.spool.remove(e.queue, e.id);
      this.entries.delete(e.id);
      this.o.tracking?.status(e.id, 'deleted');
      return true;
    });
  }

  /** Deferred messages are tried again now. */
  async flush(filter: QueueFilter = {}): Promise<OperationResult> {
    const now = Date.now();
    const result = await this.each(filter, async (e) => {
      if (e.queue !== 'deferred' || !e.state) return e.queue === 'incoming';
      e.state.nextAttemptAt = now;
      return true;
    });
    this.wakeDeferred();
    return result;
  }

  /** Resolves once nothing is queued for immediate work and no attempt is running. */
  async idle(): Promise<void> {
    if (this.active === 0 && this.ready.length === 0) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  private async each(filter: QueueFilter, fn: (e: Entry) => Promise<boolean>): Promise<OperationResult> {
    if (isEmptyFilter(filter)) throw new Error('refusing to act on every message: give IDs or a filter');
    const affected: string[] = [];
    const now = Date.now();
    for (const e of [...this.entries.values()]) {
      if (!matchesFilter(this.summary(e), filter, now)) continue;
      if (await fn(e)) affected.push(e.id);
    }
    this.pump();
    return { affected };
  }

  private summary(e: Entry): QueueEntrySummary {
    const all = e.envelope.recipients.map((r) => r.address);
    const pending = e.state
      ? e.state.recipients.filter((r) => r.status === 'pending').map((r) => r.address)
      : all;
    return {
      id: e.id,
      queue: e.queue,
      sender: e.envelope.sender,
      recipients: all,
      pendingRecipients: pending,
      size: e.envelope.size,
      receivedAt: e.envelope.receivedAt,
      subject: e.envelope.subject,
      messageId: e.envelope.messageId,
      attempts: e.state?.attempts ?? 0,
      nextAttemptAt: e.state?.nextAttemptAt,
      lastError: e.state?.lastError,
    };
  }

  private async moveEntry(e: Entry, to: QueueName): Promise<void> {
    await this.o.spool.move(e.id, e.queue, to, true);
    e.queue = to;
  }

  private wakeDeferred(): void {
    const now = Date.now();
    for (const e of this.entries.values()) {
      if (
        e.queue === 'deferred' &&
        !e.busy &&
        (e.state?.nextAttemptAt ?? 0) <= now &&
        !this.ready.includes(e.id)
      ) {
        this.ready.push(e.id);
      }
    }
    this.pump();
  }

  private pump(): void {
    while (this.running && !this.paused && this.active < this.maxActive && this.ready.length > 0) {
      const id = this.ready.shift() as string;
      const e = this.entries.get(id);
      if (!e || e.busy || (e.queue !== 'incoming' && e.queue !== 'deferred')) continue;
      this.active++;
      e.busy = true;
      void this.attempt(e)
        .catch((err: unknown) => this.o.log.error({ err, id }, 'queue manager could not finish an attempt'))
        .finally(() => {
          e.busy = false;
          this.active--;
          this.pump();
          if (this.active === 0 && this.ready.length === 0) {
            for (const w of this.idleWaiters.splice(0)) w();
          }
        });
    }
  }

  private async attempt(e: Entry): Promise<void> {
    const { spool, handler, log } = this.o;
    const settings = this.o.settings();
    await this.moveEntry(e, 'active');
    const state: DeliveryState = e.state ?? {
      attempts: 0,
      recipients: e.envelope.recipients.map((r) => ({ address: r.address, status: 'pending' })),
    };
    const pending = state.recipients.filter((r) => r.status === 'pending').map((r) => r.address);
    const message: QueuedMessage = {
      envelope: e.envelope,
      bodyLength: e.bodyLength,
      openBody: () => spool.openBody('active', e.id, e.bodyLength),
      readBody: () => spool.readBody('active', e.id, e.bodyLength),
    };

    let results: RecipientResult[];
    try {
      results = pending.length > 0 ? await handler.handle(message, pending) : [];
    } catch (err) {
      log.warn({ err, id: e.id }, 'message handling failed; deferring');
      results = pending.map((address) => ({
        address,
        outcome: 'deferred',
        reply: `local error: ${String(err)}`,
      }));
    }
    const now = Date.now();
    this.o.tracking?.attempt(e.id, results, now);

    const byAddress = new Map(results.map((r) => [r.address, r]));
    const failed: FailedRecipient[] = [];
    const expired = now - e.envelope.receivedAt >= settings.delivery.maxQueueLifetime;
    let lastError: string | undefined;
    for (const r of state.recipients) {
      if (r.status !== 'pending') continue;
      const res = byAddress.get(r.address) ?? {
        address: r.address,
        outcome: 'deferred' as const,
        reply: 'no result from delivery',
      };
      r.lastReply = res.reply;
      const orcpt = e.envelope.recipients.find((x) => x.address === r.address)?.orcpt;
      if (res.outcome !== 'deferred' && res.outcome !== 'bounced') {
        r.status = 'delivered';
        r.outcome = res.outcome;
      } else if (res.outcome === 'bounced' || expired) {
        r.status = 'bounced';
        failed.push({
          address: r.address,
          reply: res.reply,
          host: res.host,
          code: res.code,
          orcpt,
          expired: res.outcome !== 'bounced',
        });
      } else lastError = res.reply;
    }
    if (expired && failed.some((f) => f.expired)) {
      this.o.tracking?.attempt(
        e.id,
        failed
          .filter((f) => f.expired)
          .map((f) => ({ address: f.address, outcome: 'bounced', reply: `expired: ${f.reply}` })),
        now,
      );
    }

    if (failed.length > 0 && !(await this.sendBounce(message, failed))) {
      // The bounce could not be queued: keep those recipients and try again later rather than lose the notice.
      for (const r of state.recipients) if (failed.some((f) => f.address === r.address)) r.status = 'pending';
      lastError = 'could not queue the bounce';
    }

    const stillPending = state.recipients.some((r) => r.status === 'pending');
    if (!stillPending) {
      await spool.remove('active', e.id);
      this.entries.delete(e.id);
      this.o.tracking?.status(e.id, finalStatus(state, expired), now);
      return;
    }

    state.attempts++;
    state.lastAttemptAt = now;
    state.lastError = lastError;
    const backoff = Math.min(
      settings.delivery.minRetryInterval * 2 ** (state.attempts - 1),
      settings.delivery.maxRetryInterval,
    );
    // Never wait past the lifetime: the last attempt happens when the message expires.
    const expiresAt = e.envelope.receivedAt + settings.delivery.maxQueueLifetime;
    state.nextAttemptAt = Math.min(now + backoff, Math.max(expiresAt, now));
    await spool.writeState(e.id, state);
    e.state = state;

    if (e.after === 'delete') {
      await spool.remove('active', e.id);
      this.entries.delete(e.id);
      this.o.tracking?.status(e.id, 'deleted', now);
      return;
    }
    await this.moveEntry(e, e.after === 'hold' ? 'hold' : 'deferred');
    this.o.tracking?.status(e.id, e.after === 'hold' ? 'held' : 'deferred', now);
    e.after = undefined;
  }

  /** A DSN to the sender for recipients that failed, unless the sender is null or asked for none. */
  private async sendBounce(message: QueuedMessage, failed: FailedRecipient[]): Promise<boolean> {
    const { envelope } = message;
    if (envelope.sender === '') return true; // never bounce a bounce
    const wanted = failed.filter((f) => {
      const notify = envelope.recipients.find((r) => r.address === f.address)?.notify;
      return !notify || notify.includes('FAILURE');
    });
    if (wanted.length === 0) return true;
    try {
      const dsn = await this.o.bounce(message, wanted);
      const bounce = await this.o.spool.enqueueLocal(
        {
          sender: '',
          recipients: [{ address: envelope.sender }],
          receivedAt: Date.now(),
          client: { ip: '127.0.0.1', helo: 'localhost', tls: false },
          origin: 'bounce',
          // The returned original may carry 8-bit text or non-ASCII addresses.
          bodyType: dsn.some((b) => b > 0x7f) ? '8BITMIME' : '7BIT',
          smtputf8: envelope.smtputf8,
        },
        dsn,
      );
      this.accept(bounce);
      return true;
    } catch (err) {
      this.o.log.error({ err, id: envelope.id }, 'could not queue a bounce');
      return false;
    }
  }
}

function finalStatus(state: DeliveryState, expired: boolean): MessageStatus {
  const bounced = state.recipients.filter((r) => r.status === 'bounced').length;
  if (bounced === 0) {
    // One policy outcome for every recipient names the message's fate; otherwise it was delivered (to some).
    const outcomes = new Set(state.recipients.map((r) => r.outcome ?? 'delivered'));
    const only = outcomes.size === 1 ? [...outcomes][0] : undefined;
    if (only === 'quarantined' || only === 'deleted' || only === 'held') return only;
    return 'delivered';
  }
  if (bounced === state.recipients.length) return expired ? 'expired' : 'bounced';
  return 'partly-bounced';
}
