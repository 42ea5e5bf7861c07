// DNS lookups for the lists: one resolver built from settings.dns.resolvers, a cache shared by
// DNSBL, DNSWL and URIBL checks (zen.spamhaus.org can serve both), concurrent identical queries
// shared, a time limit per query, and per-zone statistics for the console. A DNS failure is
// "no answer" for the caller: logged, counted, never cached, never a reason to refuse mail.
import { Resolver } from 'node:dns/promises';
import type { Logger } from '../util/log.js';

export type ListKind = 'dnsbl' | 'dnswl' | 'uribl';

export interface ZoneStats {
  list: ListKind;
  zone: string;
  /** Checks made against the zone, answered from the cache or not. */
  lookups: number;
  cacheHits: number;
  /** Queries sent to the DNS server. */
  queries: number;
  /** Checks that found a listing (an answer other than ignore/error). */
  listed: number;
  /** Failed queries (timeout, SERVFAIL, refused, server unreachable) and error answers. */
  errors: number;
  /** Mean time the DNS server took over the queries sent, in ms. */
  avgLatencyMs: number;
  lastError?: string;
  lastErrorAt?: number;
}

/** A-records of a name (empty: not listed), or why there is no answer. */
export type Answer = { addresses: string[]; cached: boolean } | { error: string };

export interface LookupOptions {
  /** "ip" or "ip:port" entries (settings.dns.resolvers); empty means the system resolver. */
  resolvers: () => readonly string[];
  limits: () => { timeout: number; cacheTtl: number; cacheSize: number };
  log: Logger;
  now?: () => number;
}

const NOT_FOUND = new Set(['ENOTFOUND', 'ENODATA']);
const WARN_EVERY_MS = 60_000;

interface Entry {
  expires: number;
  value: string[];
}

export class DnsLookup {
  private resolver: Resolver | undefined;
  private resolverKey = '';
  private readonly cache = new Map<string, Entry>();
  private readonly inflight = new Map<string, Promise<string[]>>();
  private readonly zones = new Map<string, ZoneStats & { latencyTotal: number }>();
  private readonly warned = new Map<string, { at: number; suppressed: number }>();
  private readonly now: () => number;

  constructor(private readonly o: LookupOptions) {
    this.now = o.now ?? Date.now;
  }

  /** The A records of `name`, asked on behalf of `zone` of `list` (for its statistics). */
  async a(list: ListKind, zone: string, name: string): Promise<Answer> {
    const st = this.stat(list, zone);
    st.lookups++;
    const hit = this.cached(`a:${name}`);
    if (hit) {
      st.cacheHits++;
      return { addresses: hit, cached: true };
    }
    const started = this.now();
    let sent = false;
    try {
      const addresses = await this.shared(
        `a:${name}`,
        () => this.query(name, 'A'),
        () => {
          sent = true;
          st.queries++;
        },
      );
      if (sent) st.latencyTotal += this.now() - started;
      return { addresses, cached: false };
    } catch (err) {
      const error = describe(err);
      this.failed(list, zone, `${name}: ${error}`);
      return { error };
    }
  }

  /** The TXT record of a listing (for reply texts); undefined when there is none or on failure. */
  async txt(name: string): Promise<string | undefined> {
    const key = `txt:${name}`;
    const hit = this.cached(key);
    if (hit) return hit[0];
    try {
      const value = await this.shared(key, () => this.query(name, 'TXT'));
      return value[0];
    } catch {
      return undefined;
    }
  }

  /** Counts a listing, or an error answer of the list itself (logged like a failed query). */
  record(list: ListKind, zone: string, what: 'listed' | { error: string }): void {
    if (what === 'listed') this.stat(list, zone).listed++;
    else this.failed(list, zone, what.error);
  }

  stats(): ZoneStats[] {
    return [...this.zones.values()].map(({ latencyTotal, ...s }) => ({
      ...s,
      avgLatencyMs: s.queries ? Math.round((latencyTotal / s.queries) * 10) / 10 : 0,
    }));
  }

  clearCache(): void {
    this.cache.clear();
  }

  private stat(list: ListKind, zone: string) {
    const key = `${list} ${zone}`;
    let s = this.zones.get(key);
    if (!s) {
      s = {
        list,
        zone,
        lookups: 0,
        cacheHits: 0,
        queries: 0,
        listed: 0,
        errors: 0,
        avgLatencyMs: 0,
        latencyTotal: 0,
      };
      this.zones.set(key, s);
    }
    return s;
  }

  private failed(list: ListKind, zone: string, error: string): void {
    const s = this.stat(list, zone);
    s.errors++;
    s.lastError = error;
    s.lastErrorAt = this.now();
    // One warning per zone and minute: a dead resolver must not flood the log.
    const key = `${list} ${zone}`;
    const w = this.warned.get(key);
    if (w && this.now() - w.at < WARN_EVERY_MS) {
      w.suppressed++;
      this.o.log.debug({ list, zone, error }, 'reputation: no answer from a zone');
      return;
    }
    this.warned.set(key, { at: this.now(), suppressed: 0 });
    this.o.log.warn(
      { list, zone, error, suppressed: w?.suppressed ?? 0 },
      `reputation: no answer from ${list} zone ${zone} (${error}); going on without it`,
    );
  }

  private cached(key: string): string[] | undefined {
    const e = this.cache.get(key);
    if (!e) return undefined;
    if (e.expires > this.now()) return e.value;
    this.cache.delete(key);
    return undefined;
  }

  /** Runs one query per key at a time; callers asking meanwhile wait for the same answer. */
  private shared(key: string, run: () => Promise<string[]>, onSend?: () => void): Promise<string[]> {
    let p = this.inflight.get(key);
    if (!p) {
      onSend?.();
      p = run()
        .then((value) => {
          this.store(key, value);
          return value;
        })
        .finally(() => this.inflight.delete(key));
      this.inflight.set(key, p);
    }
    return p;
  }

  private store(key: string, value: string[]): void {
    const { cacheTtl, cacheSize } = this.o.limits();
    if (cacheSize <= 0) return;
    this.cache.delete(key);
    this.cache.set(key, { expires: this.now() + cacheTtl, value });
    // Maps keep insertion order: the first keys are the oldest.
    for (const k of this.cache.keys()) {
      if (this.cache.size <= cacheSize) break;
      this.cache.delete(k);
    }
  }

  private query(name: string, type: 'A' | 'TXT'): Promise<string[]> {
    const timeout = this.o.limits().timeout;
    const r = this.currentResolver(timeout);
    const q =
      type === 'A'
        ? r.resolve4(name)
        : r.resolveTxt(name).then((records) => records.map((chunks) => chunks.join('')));
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(Object.assign(new Error(`no answer within ${timeout} ms`), { code: 'ETIMEOUT' })),
        timeout,
      );
    });
    return Promise.race([q, limit])
      .catch((err: NodeJS.ErrnoException) => {
        if (err.code && NOT_FOUND.has(err.code)) return [];
        throw err;
      })
      .finally(() => clearTimeout(timer));
  }

  /** The resolver for the settings in force (rebuilt when the resolvers or the timeout change). */
  private currentResolver(timeout: number): Resolver {
    const servers = [...this.o.resolvers()];
    const key = `${servers.join(',')} ${timeout}`;
    if (!this.resolver || key !== this.resolverKey) {
      // Two tries within the time limit: one lost UDP packet should not cost the answer.
      const r = new Resolver({ timeout: Math.max(100, Math.ceil(timeout / 2)), tries: 2 });
      if (servers.length > 0) r.setServers(servers);
      this.resolver = r;
      this.resolverKey = key;
    }
    return this.resolver;
  }
}

function describe(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e?.code ?? (e instanceof Error ? e.message : String(err));
}
