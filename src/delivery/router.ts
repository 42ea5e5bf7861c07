// Routing: which destination mail for a recipient domain goes to. Static next hops of an
// accepted domain win; other accepted domains go by MX; everything else goes to the smart host
// when one is set, otherwise by MX.
import type { DomainSettings, Settings } from '../config/settings.js';

export interface HostPort {
  host: string;
  port: number;
}

/**
 * Where mail goes. `key` names the destination for connection reuse and the per-destination
 * concurrency limit: domains routed to the same next hops share one key (and their connections).
 */
export type Destination =
  | { kind: 'static'; key: string; hosts: HostPort[]; via: 'nexthop' | 'smarthost' }
  | { kind: 'mx'; key: string; domain: string };

/** Lower-cased, without a trailing dot, as domains are compared everywhere. */
export function normalizeDomain(domain: string): string {
  const d = domain.trim().toLowerCase();
  return d.endsWith('.') ? d.slice(0, -1) : d;
}

interface DomainIndex {
  exact: Map<string, DomainSettings>;
  /** "*.example.com" entries as [".example.com", settings], longest suffix first. */
  wildcards: [string, DomainSettings][];
}

// Settings objects are replaced as a whole when they change, so the index lives as long as
// the domain list it was built from.
const indexes = new WeakMap<DomainSettings[], DomainIndex>();

function indexOf(domains: DomainSettings[]): DomainIndex {
  let idx = indexes.get(domains);
  if (idx) return idx;
  idx = { exact: new Map(), wildcards: [] };
  for (const d of domains) {
    const name = normalizeDomain(d.name);
    if (name.startsWith('*.')) idx.wildcards.push([name.slice(1), d]);
    else if (!idx.exact.has(name)) idx.exact.set(name, d);
  }
  idx.wildcards.sort((a, b) => b[0].length - a[0].length);
  indexes.set(domains, idx);
  return idx;
}

/**
 * The accepted-domain entry for a domain: an exact entry first, else the most specific
 * `*.parent` entry (which matches subdomains at any depth, not the parent itself).
 */
export function findDomain(domain: string, domains: DomainSettings[]): DomainSettings | undefined {
  const name = normalizeDomain(domain);
  const idx = indexOf(domains);
  const exact = idx.exact.get(name);
  if (exact) return exact;
  for (const [suffix, d] of idx.wildcards) {
    if (name.length > suffix.length && name.endsWith(suffix)) return d;
  }
  return undefined;
}

function staticKey(hosts: HostPort[]): string {
  let key = 'static:';
  for (let i = 0; i < hosts.length; i++) {
    const h = hosts[i] as HostPort;
    key += (i ? ',' : '') + h.host.toLowerCase() + ':' + h.port;
  }
  return key;
}

export function resolveRoute(domain: string, settings: Settings): Destination {
  const name = normalizeDomain(domain);
  const accepted = findDomain(name, settings.domains);
  if (accepted) {
    if (accepted.nextHops.length > 0) {
      return { kind: 'static', key: staticKey(accepted.nextHops), hosts: accepted.nextHops, via: 'nexthop' };
    }
    return { kind: 'mx', key: 'mx:' + name, domain: name };
  }
  const smart = settings.delivery.default;
  if (smart !== 'mx') return { kind: 'static', key: staticKey([smart]), hosts: [smart], via: 'smarthost' };
  return { kind: 'mx', key: 'mx:' + name, domain: name };
}
