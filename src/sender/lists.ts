// Approved, blocked, exception and connection-control lists: one entry syntax for all of them.
// An entry is an IP address, a CIDR block (IPv4 or IPv6), a sender address or a sender domain
// ("example.com", or "*.example.com" for its subdomains, as for accepted domains). Lists are
// compiled once per settings object (settings are replaced, never mutated, when they change).
import ipaddr from 'ipaddr.js';
import { DOMAIN_RE } from '../config/host-port.js';

type Addr = ipaddr.IPv4 | ipaddr.IPv6;

export type EntryKind = 'network' | 'address' | 'domain';

export interface ListEntry {
  entry: string;
  /** Epoch ms after which the entry no longer applies (temporary blocked-list entries). */
  expires?: number;
}

/** What an entry is, or undefined when it is none of the accepted forms. */
export function entryKind(text: string): EntryKind | undefined {
  const t = text.trim();
  if (t.includes('/')) {
    try {
      ipaddr.parseCIDR(t);
      return 'network';
    } catch {
      return undefined;
    }
  }
  if (ipaddr.isValid(t)) return 'network';
  const at = t.lastIndexOf('@');
  if (at > 0)
    return DOMAIN_RE.test(t.slice(at + 1)) && !t.slice(at + 1).startsWith('*.') ? 'address' : undefined;
  return DOMAIN_RE.test(t) ? 'domain' : undefined;
}

/** Parses a client IP; IPv4-mapped IPv6 ("::ffff:192.0.2.1") becomes IPv4. */
export function parseIp(ip: string): Addr | undefined {
  try {
    return ipaddr.process(ip);
  } catch {
    return undefined;
  }
}

interface Compiled {
  /** Single addresses by normalised text: the common case, one lookup. */
  hosts: Map<string, ListEntry>;
  ranges: { range: [Addr, number]; item: ListEntry }[];
  addresses: Map<string, ListEntry>;
  domains: Map<string, ListEntry>;
  /** "*.example.com" kept as "example.com". */
  wildcards: Map<string, ListEntry>;
}

const cache = new WeakMap<readonly ListEntry[], Compiled>();

function compile(list: readonly ListEntry[]): Compiled {
  const c: Compiled = {
    hosts: new Map(),
    ranges: [],
    addresses: new Map(),
    domains: new Map(),
    wildcards: new Map(),
  };
  for (const item of list) {
    const t = item.entry.trim().toLowerCase();
    switch (entryKind(t)) {
      case 'network': {
        if (t.includes('/')) {
          const range = ipaddr.parseCIDR(t);
          // A /32 or /128 is a host; an IPv4-mapped block is matched as IPv4.
          c.ranges.push({ range, item });
        } else {
          const a = parseIp(t);
          if (a) c.hosts.set(a.toNormalizedString(), item);
        }
        break;
      }
      case 'address':
        c.addresses.set(t.replace(/\.$/, ''), item);
        break;
      case 'domain':
        if (t.startsWith('*.')) c.wildcards.set(t.slice(2).replace(/\.$/, ''), item);
        else c.domains.set(t.replace(/\.$/, ''), item);
        break;
      default:
      // Settings validation rejects bad entries; one slipping through matches nothing.
    }
  }
  return c;
}

function compiled(list: readonly ListEntry[]): Compiled {
  let c = cache.get(list);
  if (!c) {
    c = compile(list);
    cache.set(list, c);
  }
  return c;
}

const live = (item: ListEntry | undefined, now: number) =>
  item && (item.expires === undefined || item.expires > now) ? item : undefined;

/** The first entry of the list covering this client IP (also "::ffff:a.b.c.d"). */
export function matchIp(list: readonly ListEntry[], ip: string, now = Date.now()): ListEntry | undefined {
  if (list.length === 0) return undefined;
  const addr = parseIp(ip);
  if (!addr) return undefined;
  const c = compiled(list);
  const host = live(c.hosts.get(addr.toNormalizedString()), now);
  if (host) return host;
  for (const r of c.ranges) {
    if (r.range[0].kind() === addr.kind() && addr.match(r.range) && live(r.item, now)) return r.item;
  }
  return undefined;
}

/** The entry covering a sender address: the address itself, its domain, or a parent "*." domain. */
export function matchSender(
  list: readonly ListEntry[],
  address: string,
  now = Date.now(),
): ListEntry | undefined {
  if (list.length === 0 || !address) return undefined;
  const a = address.toLowerCase();
  const c = compiled(list);
  const exact = live(c.addresses.get(a), now);
  if (exact) return exact;
  const domain = a.slice(a.lastIndexOf('@') + 1).replace(/\.$/, '');
  if (!domain) return undefined;
  const d = live(c.domains.get(domain), now);
  if (d) return d;
  for (let dot = domain.indexOf('.'); dot >= 0; dot = domain.indexOf('.', dot + 1)) {
    const w = live(c.wildcards.get(domain.slice(dot + 1)), now);
    if (w) return w;
  }
  return undefined;
}

/** The domain entries of a list (for the approved list's "resolve" entries). */
export function isDomainEntry(text: string): boolean {
  return entryKind(text) === 'domain' && !text.trim().startsWith('*.');
}
