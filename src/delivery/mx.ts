// Finds the addresses to deliver to: MX records in preference order (equal preference in random
// order), the domain's own A/AAAA when it has no MX (RFC 5321 §5.1), and the addresses of static
// next hops. Answers are cached briefly and concurrent lookups of one name share one query.
import { Resolver, lookup as systemLookup } from 'node:dns/promises';
import { isIP } from 'node:net';

/** One address to try, with the host name it belongs to (for SNI, logs and Remote-MTA). */
export interface MailHost {
  name: string;
  address: string;
  /** MX preference; 0 for implicit MX and static hosts. */
  preference: number;
  /** Set for next hops, which name their port; MX hosts use the agent's MX port. */
  port?: number;
}

export type LookupResult =
  | { ok: true; hosts: MailHost[] }
  /** `reply` starts with the enhanced status code, e.g. "5.1.2 domain x.test does not exist". */
  | { ok: false; permanent: boolean; reply: string };

export interface MxResolverOptions {
  /** "ip" or "ip:port" ("[v6]:port"); empty means the system's resolvers. */
  resolvers: string[];
  /** Per-try timeout of a query in ms. */
  timeout?: number;
  tries?: number;
  /** How long answers (and definite negative answers) are reused, in ms. 0 disables the cache. */
  cacheTtl?: number;
  /** How many MX hosts are resolved to addresses (Postfix: smtp_mx_address_limit). */
  maxHosts?: number;
}

const CACHE_MAX = 5000;

interface CacheEntry {
  expires: number;
  result: LookupResult;
}

function dnsCode(err: unknown): string {
  return typeof err === 'object' && err !== null && 'code' in err
    ? String((err as { code: unknown }).code)
    : 'ERROR';
}

/** Random order inside each run of equal preference (RFC 5321 §5.1), runs in ascending order. */
export function orderByPreference<T extends { priority: number }>(records: T[]): T[] {
  const sorted = records.slice().sort((a, b) => a.priority - b.priority);
  let start = 0;
  while (start < sorted.length) {
    let end = start + 1;
    while (end < sorted.length && (sorted[end] as T).priority === (sorted[start] as T).priority) end++;
    for (let i = end - 1; i > start; i--) {
      const j = start + Math.floor(Math.random() * (i - start + 1));
      const t = sorted[i] as T;
      sorted[i] = sorted[j] as T;
      sorted[j] = t;
    }
    start = end;
  }
  return sorted;
}

/** "[192.0.2.1]" or "[IPv6:2001:db8::1]" → the address; undefined for a domain name. */
export function addressLiteral(domain: string): string | undefined {
  if (!domain.startsWith('[') || !domain.endsWith(']')) return undefined;
  const inner = domain.slice(1, -1).replace(/^ipv6:/i, '');
  return isIP(inner) ? inner : undefined;
}

export class MxResolver {
  private readonly resolver: Resolver;
  private readonly system: boolean;
  private readonly cacheTtl: number;
  private readonly maxHosts: number;
  private readonly cache = new Map<string, CacheEntry>();
  private readonly inflight = new Map<string, Promise<LookupResult>>();
  /** Set when the resolver list is unusable: every lookup then fails temporarily (mail waits). */
  readonly configError: string | undefined;

  constructor(o: MxResolverOptions) {
    this.resolver = new Resolver({ timeout: o.timeout ?? 5000, tries: o.tries ?? 2 });
    this.system = o.resolvers.length === 0;
    if (!this.system) {
      try {
        this.resolver.setServers(o.resolvers);
      } catch (err) {
        this.configError = `4.3.5 invalid DNS resolver setting ${JSON.stringify(o.resolvers)}: ${(err as Error).message}`;
      }
    }
    this.cacheTtl = o.cacheTtl ?? 60_000;
    this.maxHosts = o.maxHosts ?? 5;
  }

  /** Addresses for mail to `domain`: MX hosts, or the domain itself when it has no MX. */
  lookupDomain(domain: string): Promise<LookupResult> {
    return this.cached('mx:' + domain, () => this.resolveDomain(domain));
  }

  /** Addresses of a configured next hop or smart host. Failures are always temporary: a broken
   *  route is the administrator's to fix, not a reason to bounce mail. */
  lookupHost(host: string): Promise<LookupResult> {
    if (isIP(host))
      return Promise.resolve({ ok: true, hosts: [{ name: host, address: host, preference: 0 }] });
    return this.cached('host:' + host, async () => {
      const r = await this.hostAddresses(host);
      if (r.addresses.length > 0) {
        return { ok: true, hosts: r.addresses.map((address) => ({ name: host, address, preference: 0 })) };
      }
      return {
        ok: false,
        permanent: false,
        reply: `4.4.3 next hop ${host}: no address (${r.error ?? 'NODATA'})`,
      };
    });
  }

  private async cached(key: string, run: () => Promise<LookupResult>): Promise<LookupResult> {
    if (this.configError) return { ok: false, permanent: false, reply: this.configError };
    const hit = this.cache.get(key);
    if (hit) {
      if (hit.expires > Date.now()) return hit.result;
      this.cache.delete(key);
    }
    const pending = this.inflight.get(key);
    if (pending) return pending;
    const p = run().then(
      (result) => {
        // temporary failures are not remembered: the next attempt should ask again
        if (this.cacheTtl > 0 && (result.ok || result.permanent)) {
          if (this.cache.size >= CACHE_MAX) this.cache.delete(this.cache.keys().next().value as string);
          this.cache.set(key, { expires: Date.now() + this.cacheTtl, result });
        }
        return result;
      },
      (err: unknown): LookupResult => ({
        ok: false,
        permanent: false,
        reply: `4.4.3 DNS lookup failed: ${String(err)}`,
      }),
    );
    this.inflight.set(key, p);
    try {
      return await p;
    } finally {
      this.inflight.delete(key);
    }
  }

  private async resolveDomain(domain: string): Promise<LookupResult> {
    const literal = addressLiteral(domain);
    if (literal) return { ok: true, hosts: [{ name: literal, address: literal, preference: 0 }] };

    let records: { exchange: string; priority: number }[];
    try {
      records = await this.resolver.resolveMx(domain);
    } catch (err) {
      const code = dnsCode(err);
      if (code === 'ENOTFOUND') {
        return { ok: false, permanent: true, reply: `5.1.2 domain ${domain} does not exist (DNS: NXDOMAIN)` };
      }
      if (code !== 'ENODATA') {
        return {
          ok: false,
          permanent: false,
          reply: `4.4.3 DNS lookup of MX for ${domain} failed (${code})`,
        };
      }
      records = [];
    }

    if (records.length === 0) return this.implicitMx(domain);

    // RFC 7505: a lone "." MX says the domain takes no mail at all
    const real = records.filter((r) => r.exchange !== '' && r.exchange !== '.');
    if (real.length === 0) {
      return { ok: false, permanent: true, reply: `5.1.10 domain ${domain} accepts no mail (null MX)` };
    }

    const ordered = orderByPreference(real).slice(0, this.maxHosts);
    const resolved = await Promise.all(
      ordered.map((r) => (isIP(r.exchange) ? { addresses: [r.exchange] } : this.hostAddresses(r.exchange))),
    );
    const hosts: MailHost[] = [];
    let tempError: string | undefined;
    for (let i = 0; i < ordered.length; i++) {
      const r = ordered[i] as { exchange: string; priority: number };
      const a = resolved[i] as { addresses: string[]; error?: string; temporary?: boolean };
      if (a.temporary) tempError = `${r.exchange}: ${a.error}`;
      for (const address of a.addresses) {
        hosts.push({ name: r.exchange.toLowerCase(), address, preference: r.priority });
      }
    }
    if (hosts.length > 0) return { ok: true, hosts: hosts.slice(0, this.maxHosts) };
    if (tempError) {
      return {
        ok: false,
        permanent: false,
        reply: `4.4.3 DNS lookup of MX hosts for ${domain} failed (${tempError})`,
      };
    }
    return { ok: false, permanent: true, reply: `5.4.4 no address found for any MX host of ${domain}` };
  }

  /** RFC 5321 §5.1: no MX, so the domain itself is the mail host. */
  private async implicitMx(domain: string): Promise<LookupResult> {
    const a = await this.dnsAddresses(domain);
    if (a.addresses.length > 0) {
      return { ok: true, hosts: a.addresses.map((address) => ({ name: domain, address, preference: 0 })) };
    }
    if (a.temporary) {
      return { ok: false, permanent: false, reply: `4.4.3 DNS lookup of ${domain} failed (${a.error})` };
    }
    if (a.error === 'ENOTFOUND') {
      return { ok: false, permanent: true, reply: `5.1.2 domain ${domain} does not exist (DNS: NXDOMAIN)` };
    }
    return { ok: false, permanent: true, reply: `5.4.4 domain ${domain} has no MX and no address record` };
  }

  private hostAddresses(host: string): Promise<{ addresses: string[]; error?: string; temporary?: boolean }> {
    // With no resolvers configured, names of next hops and MX hosts go through the system's
    // lookup, so /etc/hosts entries (and "localhost") work the way administrators expect.
    return this.system ? this.systemAddresses(host) : this.dnsAddresses(host);
  }

  private async systemAddresses(
    host: string,
  ): Promise<{ addresses: string[]; error?: string; temporary?: boolean }> {
    try {
      const all = await systemLookup(host, { all: true });
      // IPv4 first: IPv6 sending addresses often lack the reverse DNS receivers insist on
      const v4 = all.filter((a) => a.family === 4).map((a) => a.address);
      const v6 = all.filter((a) => a.family === 6).map((a) => a.address);
      return { addresses: v4.concat(v6) };
    } catch (err) {
      const code = dnsCode(err);
      return { addresses: [], error: code, temporary: code !== 'ENOTFOUND' && code !== 'ENODATA' };
    }
  }

  private async dnsAddresses(
    host: string,
  ): Promise<{ addresses: string[]; error?: string; temporary?: boolean }> {
    const [v4, v6] = await Promise.allSettled([this.resolver.resolve4(host), this.resolver.resolve6(host)]);
    const addresses: string[] = [];
    if (v4.status === 'fulfilled') addresses.push(...v4.value);
    if (v6.status === 'fulfilled') addresses.push(...v6.value);
    if (addresses.length > 0) return { addresses };
    const codes = [v4, v6].map((r) => (r.status === 'rejected' ? dnsCode(r.reason) : 'ENODATA'));
    const temp = codes.find((c) => c !== 'ENOTFOUND' && c !== 'ENODATA');
    if (temp) return { addresses, error: temp, temporary: true };
    return { addresses, error: codes.includes('ENOTFOUND') ? 'ENOTFOUND' : 'ENODATA' };
  }
}
