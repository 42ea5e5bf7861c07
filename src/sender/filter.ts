// The sender filter (SPEC §3): decides at connect, MAIL FROM and RCPT TO whether a client or
// sender may go on, from connection control, the approved and blocked lists, blocks in the
// rate store, SMTP traffic throttling and the IP profiler. It knows nothing of smtp-server:
// src/smtp/sender-hooks.ts adapts sessions to these calls.
//
// Order at connect: connection control (trusted networks exempt) -> approved IP (skips the
// rest for the whole session) -> trusted networks (only throttling, and only when
// exceptTrustedNetworks is off) -> blocked list -> blocks in the store -> connection throttling.
// At MAIL FROM: approved sender (skips the rest for the transaction) -> blocked list -> sender
// blocks -> message throttling per IP and per sender. At RCPT TO: IP blocks refused at RCPT,
// DHA counting. After DATA: bounce counting, outbound senders remembered.
import { hostname } from 'node:os';
import type { Settings } from '../config/settings.js';
import { isTrustedClient } from '../smtp/trusted.js';
import type { Logger } from '../util/log.js';
import { ApprovedHosts } from './approved-hosts.js';
import type { SenderEventLog } from './events.js';
import { FallbackRateStore } from './fallback-store.js';
import { matchIp, matchSender, parseIp } from './lists.js';
import { MemoryRateStore } from './memory-store.js';
import { COUNT_NAMES, profilerKey, thresholdCrossed } from './profiler.js';
import { inForce, type Block, type BlockRequest, type BlockScope, type RateStore } from './rate-store.js';
import { RedisRateStore } from './redis-store.js';
import { blockRefusal, refusal, type Refusal } from './replies.js';
import type { SenderFilterSettings, Threat, ThreatRule } from './sender-settings.js';

/** Why a client or sender skips the filter (and spam checks later; never virus scanning). */
export interface Approval {
  by: 'ip' | 'host' | 'sender';
  /** The approved-list entry that matched. */
  entry: string;
}

/** What the filter keeps about one SMTP session. */
export interface ClientState {
  ip: string;
  trusted: boolean;
  approved?: Approval;
  /** An IP block to enforce at RCPT TO (refuseAt: rcpt, or set during this session). */
  block?: Block;
}

export interface TransactionState {
  sender: string;
  approved?: Approval;
}

export type RecipientOutcome = 'local' | 'unknown' | 'relay' | 'refused';

export interface SenderFilterOptions {
  settings: () => Settings;
  log: Logger;
  node?: string;
  events?: SenderEventLog;
  /** How often ended blocks are looked for (to log their end). */
  sweepIntervalMs?: number;
  /** A fixed store instead of the one settings name (the CLI's direct access to Redis). */
  store?: RateStore;
}

/** "::ffff:192.0.2.1" and "192.0.2.1" are one client; IPv6 in its short lower-case form. */
export function normaliseIp(ip: string): string {
  return parseIp(ip)?.toString() ?? ip.toLowerCase();
}

/** Block subjects: IPs normalised, sender addresses lower-case. */
export function subjectOf(text: string): { scope: BlockScope; subject: string } {
  const t = text.trim().replace(/^<(.*)>$/, '$1');
  return t.includes('@')
    ? { scope: 'sender', subject: t.toLowerCase() }
    : { scope: 'ip', subject: normaliseIp(t) };
}

export class SenderFilter {
  private store: RateStore | undefined;
  private storeKey = '';
  private readonly log: Logger;
  private readonly node: string;
  private readonly hosts: ApprovedHosts;
  private sweeper: NodeJS.Timeout | undefined;

  constructor(private readonly o: SenderFilterOptions) {
    this.log = o.log.child({ component: 'sender-filter' });
    this.node = o.node ?? hostname();
    this.hosts = new ApprovedHosts(this.log, () => o.settings().dns.resolvers);
  }

  private get s(): SenderFilterSettings {
    return this.o.settings().senderFilter;
  }

  /** Opens the rate store (waiting briefly for Redis) and starts noticing ended blocks. */
  async start(): Promise<void> {
    const store = this.rates();
    if (store instanceof FallbackRateStore) await store.ready();
    const approved = this.s.approved;
    if (approved.some((e) => e.resolve)) await this.hosts.refresh(approved).catch(() => undefined);
    this.sweeper = setInterval(() => void this.sweep(), this.o.sweepIntervalMs ?? 15_000);
    this.sweeper.unref();
  }

  async close(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    await this.store?.close();
    await this.o.events?.flush?.();
    this.store = undefined;
    this.storeKey = '';
  }

  enabled(): boolean {
    return this.s.enabled;
  }

  /** The store for the settings in force; a change of rateStore/redisUrl takes effect at once. */
  rates(): RateStore {
    if (this.o.store) return this.o.store;
    const s = this.s;
    const key = s.rateStore === 'redis' ? `redis ${s.redisUrl} ${s.redisKeyPrefix}` : 'memory';
    if (!this.store || key !== this.storeKey) {
      const old = this.store;
      this.store =
        s.rateStore === 'redis'
          ? new FallbackRateStore(RedisRateStore.connect(s.redisUrl, s.redisKeyPrefix), s.redisUrl, this.log)
          : new MemoryRateStore();
      this.storeKey = key;
      old?.close().catch(() => undefined);
    }
    return this.store;
  }

  // ---- SMTP stages ----

  async connect(rawIp: string, trusted: boolean): Promise<{ state: ClientState; refusal?: Refusal }> {
    const ip = normaliseIp(rawIp);
    const state: ClientState = { ip, trusted };
    const s = this.s;
    if (!s.enabled) return { state };
    const cc = s.connectionControl;
    if (!trusted) {
      const listed = matchIp(cc.list, ip) !== undefined;
      if (cc.mode === 'deny-all-except' ? !listed : listed) {
        this.log.info({ ip, mode: cc.mode }, 'connection refused by connection control');
        return { state, refusal: refusal(554, s.replies.connectionControl, { ip }) };
      }
    }
    const approved = matchIp(s.approved, ip);
    const host = approved ? undefined : this.hosts.match(ip, s.approved, s.approvedResolveInterval);
    if (approved || host) {
      state.approved = { by: approved ? 'ip' : 'host', entry: approved?.entry ?? host ?? '' };
      return { state };
    }
    if (!trusted) {
      const listed = matchIp(s.blocked, ip);
      if (listed) {
        this.log.info({ ip, entry: listed.entry }, 'connection refused: IP on the blocked list');
        const code = listed.expires === undefined ? 550 : 450;
        return { state, refusal: refusal(code, s.replies.blockedIp, { ip, until: listed.expires }) };
      }
    }
    const rule = this.throttled(state) ? s.throttling.ip : undefined;
    let block: Block | undefined;
    if (rule?.maxConnections !== undefined) {
      const key = `c:${ip}`;
      const r = await this.rates().count({
        key,
        windowMs: rule.monitor,
        add: { n: 1 },
        unlessBlocked: { scope: 'ip', subject: ip },
      });
      block = r.block;
      const n = r.sums.n ?? 0;
      if (!block && n > rule.maxConnections) {
        block = await this.setBlock(
          {
            scope: 'ip',
            subject: ip,
            reason: 'connections',
            code: 450,
            refuseAt: 'connect',
            durationMs: rule.block,
            counts: { connections: n },
            node: this.node,
          },
          key,
        );
      }
    } else if (!trusted) {
      block = await this.rates().getBlock('ip', ip);
    }
    if (!block) return { state };
    if (block.refuseAt === 'connect') return { state, refusal: blockRefusal(block, s) };
    state.block = block;
    return { state };
  }

  async mailFrom(c: ClientState, rawSender: string): Promise<{ approved?: Approval; refusal?: Refusal }> {
    const s = this.s;
    if (!s.enabled) return {};
    if (c.block?.refuseAt === 'connect' && inForce(c.block, Date.now()))
      return { refusal: blockRefusal(c.block, s) };
    if (c.approved) return { approved: c.approved };
    const sender = rawSender.toLowerCase();
    const approved = matchSender(s.approved, sender);
    if (approved) return { approved: { by: 'sender', entry: approved.entry } };
    if (!c.trusted) {
      const listed = matchSender(s.blocked, sender);
      if (listed) {
        this.log.info({ ip: c.ip, sender, entry: listed.entry }, 'sender refused: on the blocked list');
        const code = listed.expires === undefined ? 550 : 450;
        return {
          refusal: refusal(code, s.replies.blockedSender, { ip: c.ip, sender, until: listed.expires }),
        };
      }
    }
    const throttled = this.throttled(c, sender);
    const ipRule = throttled ? s.throttling.ip : undefined;
    const senderRule = throttled && sender ? s.throttling.sender : undefined;
    const [ipBlock, senderBlock] = await Promise.all([
      ipRule?.maxMessages !== undefined
        ? this.countAndBlock(`m:${c.ip}`, ipRule.monitor, ipRule.maxMessages, {
            scope: 'ip',
            subject: c.ip,
            reason: 'messages',
            code: 450,
            refuseAt: 'connect',
            durationMs: ipRule.block,
            node: this.node,
          })
        : undefined,
      senderRule
        ? this.countAndBlock(`s:${sender}`, senderRule.monitor, senderRule.maxMessages, {
            scope: 'sender',
            subject: sender,
            reason: 'sender-messages',
            code: 450,
            refuseAt: 'connect',
            durationMs: senderRule.block,
            node: this.node,
          })
        : sender
          ? this.rates().getBlock('sender', sender)
          : undefined,
    ]);
    if (ipBlock) {
      c.block = ipBlock;
      return { refusal: blockRefusal(ipBlock, s) };
    }
    if (senderBlock) return { refusal: blockRefusal(senderBlock, s) };
    return {};
  }

  /**
   * Called with the core's decision on each RCPT TO. Returns a refusal to send instead of it,
   * or undefined to keep the core's reply (a DHA block then applies from the next command on).
   */
  async rcptTo(
    c: ClientState,
    t: TransactionState | undefined,
    outcome: RecipientOutcome,
  ): Promise<Refusal | undefined> {
    const s = this.s;
    if (!s.enabled || c.approved || t?.approved) return undefined;
    if (c.block) {
      if (inForce(c.block, Date.now())) return blockRefusal(c.block, s);
      c.block = undefined;
    }
    const rule = s.ipProfiler.dha;
    if (!rule || (outcome !== 'local' && outcome !== 'unknown') || !this.profiled(c)) return undefined;
    const unknown = outcome === 'unknown' ? 1 : 0;
    const block = await this.profile(c.ip, 'dha', rule, unknown);
    if (block) c.block = block;
    return undefined;
  }

  /** After a message was accepted (on disk). Never throws. */
  async accepted(c: ClientState, t: TransactionState, recipients: readonly string[]): Promise<void> {
    const s = this.s;
    if (!s.enabled) return;
    try {
      // Mail from inside: its sender may legitimately get bounces later.
      if (c.trusted && t.sender)
        await this.rates().remember(`sent:${t.sender.toLowerCase()}`, s.ipProfiler.rememberSenders);
      const rule = s.ipProfiler.bounce;
      if (!rule || c.approved || t.approved || !this.profiled(c)) return;
      let bad = 0;
      if (t.sender === '') {
        const known = await Promise.all(
          recipients.map((r) => this.rates().recalls(`sent:${r.toLowerCase()}`)),
        );
        bad = known.includes(false) ? 1 : 0;
      }
      const block = await this.profile(c.ip, 'bounce', rule, bad);
      if (block) c.block = block;
    } catch (err) {
      this.log.warn({ err, ip: c.ip }, 'sender filter: cannot count an accepted message');
    }
  }

  /**
   * Spam and virus verdicts of the scanning pipeline, per client IP. Call it for every scanned
   * message except those of approved senders (their traffic is not profiled).
   */
  async recordVerdict(rawIp: string, verdict: { spam: boolean; virus: boolean }): Promise<void> {
    const s = this.s;
    if (!s.enabled) return;
    const ip = normaliseIp(rawIp);
    const c: ClientState = { ip, trusted: this.isTrusted(ip) };
    const approved = matchIp(s.approved, ip) ?? this.hosts.match(ip, s.approved, s.approvedResolveInterval);
    if (approved || !this.profiled(c)) return;
    for (const threat of ['spam', 'virus'] as const) {
      const rule = s.ipProfiler[threat];
      if (rule) await this.profile(ip, threat, rule, verdict[threat] ? 1 : 0);
    }
  }

  // ---- administration ----

  listBlocks(): Promise<Block[]> {
    return this.rates().listBlocks();
  }

  async unblock(text: string, by = 'admin'): Promise<Block | undefined> {
    const { scope, subject } = subjectOf(text);
    const b = await this.rates().unblock(scope, subject);
    if (b) this.event('unblock', b, by);
    return b;
  }

  /** A block set by hand: temporary for durationMs, or permanent. */
  async block(
    text: string,
    o: { durationMs?: number; code?: 450 | 550; by?: string } = {},
  ): Promise<Block | undefined> {
    const { scope, subject } = subjectOf(text);
    const req: BlockRequest = {
      scope,
      subject,
      reason: 'manual',
      code: o.code ?? (o.durationMs === undefined ? 550 : 450),
      refuseAt: 'connect',
      node: o.by ?? this.node,
    };
    if (o.durationMs !== undefined) req.durationMs = o.durationMs;
    return this.setBlock(req);
  }

  /** Logs blocks that have ended; runs on a timer. */
  async sweep(): Promise<void> {
    try {
      for (const b of await this.rates().expireBlocks()) this.event('expire', b);
    } catch (err) {
      this.log.debug({ err }, 'sender filter: cannot look for ended blocks');
    }
  }

  // ---- internals ----

  private isTrusted(ip: string): boolean {
    return isTrustedClient(ip, this.o.settings().trustedNetworks);
  }

  /** Is this client (and sender) subject to throttling? */
  private throttled(c: ClientState, sender?: string): boolean {
    const t = this.s.throttling;
    if (c.approved || (c.trusted && t.exceptTrustedNetworks)) return false;
    if (matchIp(t.exceptions, c.ip)) return false;
    return !sender || !matchSender(t.exceptions, sender);
  }

  /** Is this client's traffic profiled? Never for trusted networks (our own relays). */
  private profiled(c: ClientState): boolean {
    return !c.trusted && !c.approved && !matchIp(this.s.ipProfiler.exceptions, c.ip);
  }

  /** Counts one event against a max; sets the block when it goes over. Returns a block in force. */
  private async countAndBlock(
    key: string,
    windowMs: number,
    max: number,
    req: BlockRequest,
  ): Promise<Block | undefined> {
    const r = await this.rates().count({
      key,
      windowMs,
      add: { n: 1 },
      unlessBlocked: { scope: req.scope, subject: req.subject },
    });
    if (r.block) return r.block;
    const n = r.sums.n ?? 0;
    if (n <= max) return undefined;
    return this.setBlock(
      { ...req, counts: { [req.reason === 'connections' ? 'connections' : 'messages']: n } },
      key,
    );
  }

  /** Counts one event of a threat for an IP; blocks the IP when the threshold is crossed. */
  private async profile(
    ip: string,
    threat: Threat,
    rule: ThreatRule,
    hit: number,
  ): Promise<Block | undefined> {
    const key = profilerKey(threat, ip);
    const r = await this.rates().count({ key, windowMs: rule.monitor, add: { total: 1, hits: hit } });
    const total = r.sums.total ?? 0;
    const hits = r.sums.hits ?? 0;
    if (!hit || !thresholdCrossed(threat, rule, total, hits)) return undefined;
    const [totalName, hitsName] = COUNT_NAMES[threat];
    const permanent = rule.action === 'block-permanently';
    const req: BlockRequest = {
      scope: 'ip',
      subject: ip,
      reason: threat,
      code: permanent ? 550 : 450,
      refuseAt: rule.refuseAt,
      counts: { [totalName]: total, [hitsName]: hits },
      node: this.node,
    };
    if (!permanent) req.durationMs = rule.block;
    return this.setBlock(req, key);
  }

  /** Sets a block (first one wins across the group), logs it, and resets the window behind it. */
  private async setBlock(req: BlockRequest, windowKey?: string): Promise<Block | undefined> {
    const store = this.rates();
    const b = await store.block(req);
    if (!b) return store.getBlock(req.scope, req.subject);
    this.event('block', b);
    // When the block ends the client starts afresh, not straight back over the limit.
    if (windowKey) await store.reset(windowKey).catch(() => undefined);
    return b;
  }

  private event(action: 'block' | 'unblock' | 'expire', block: Block, by?: string): void {
    const fields = {
      action,
      scope: block.scope,
      subject: block.subject,
      reason: block.reason,
      code: block.code,
      until: block.until === undefined ? 'permanent' : new Date(block.until).toISOString(),
      counts: block.counts,
      by,
    };
    const what = action === 'block' ? 'blocked' : action === 'unblock' ? 'unblocked by hand' : 'block ended';
    this.log.warn(fields, `sender filter: ${block.scope} ${block.subject} ${what} (${block.reason})`);
    try {
      this.o.events?.record({ at: Date.now(), node: this.node, action, block, ...(by ? { by } : {}) });
    } catch (err) {
      this.log.error({ err }, 'cannot record a sender filtering event');
    }
  }
}
