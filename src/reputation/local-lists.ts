// The administrator's own URL lists (settings.reputation.uribl.localBlock / localAllow). An
// entry is a domain ("example.com": it and its subdomains; "*.example.com": subdomains only),
// an IP address or CIDR block (IP-address URLs), or a URL prefix ("https://example.com/promo",
// compared without the scheme and case-insensitively, so http and https are both caught).
import { domainToASCII } from 'node:url';
import { isTrustedClient } from '../smtp/trusted.js';
import { strictIp } from './query.js';

export interface UrlTarget {
  /** The URL as found in the message. */
  url: string;
  /** Host name in ASCII (punycode), lower case, without a trailing dot; or the IP address. */
  host: string;
  /** Set when the host is an IP address (canonical form). */
  ip?: string;
  /** "host/path?query" lower-cased, for prefix entries. */
  rest: string;
}

/** "host[:port]/path?query" lower-cased: no scheme, no user info, no fragment. */
const rest = (u: URL) => `${u.host.replace(/\.$/, '')}${u.pathname}${u.search}`.toLowerCase();

/**
 * A URL of a message as the lists see it. The WHATWG parser does what browsers do: IDN to
 * punycode, and "http://3232235777/" or "http://0x7f.1/" to the dotted-quad address.
 */
export function urlTarget(raw: string): UrlTarget | undefined {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return undefined;
  }
  if (!/^(https?|ftp):$/.test(u.protocol)) return undefined;
  let host = u.hostname.toLowerCase().replace(/\.$/, '');
  if (host.startsWith('[')) host = host.slice(1, -1);
  if (!host) return undefined;
  const ip = strictIp(host);
  return ip ? { url: raw, host: ip, ip, rest: rest(u) } : { url: raw, host, rest: rest(u) };
}

interface Compiled {
  prefixes: string[];
  /** One list per entry, so the entry that matched can be named. */
  networks: string[][];
  domains: Set<string>;
  wildcards: string[];
}

const compiled = new WeakMap<readonly string[], Compiled>();

function compile(list: readonly string[]): Compiled {
  let c = compiled.get(list);
  if (c) return c;
  c = { prefixes: [], networks: [], domains: new Set(), wildcards: [] };
  for (const entry of list) {
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(entry)) {
      try {
        c.prefixes.push(rest(new URL(entry)));
      } catch {
        // validated in settings; an entry that slips through matches nothing
      }
    } else if (/^[0-9.]+(\/\d+)?$/.test(entry) || entry.includes(':')) {
      c.networks.push([entry]);
    } else if (entry.startsWith('*.')) {
      c.wildcards.push(`.${domainToASCII(entry.slice(2)) || entry.slice(2)}`);
    } else {
      c.domains.add(domainToASCII(entry) || entry);
    }
  }
  compiled.set(list, c);
  return c;
}

/** The first entry of the list that matches the URL, or undefined. */
export function matchUrlList(list: readonly string[], t: UrlTarget): string | undefined {
  if (list.length === 0) return undefined;
  const c = compile(list);
  if (t.ip) {
    const ip = t.ip;
    const network = c.networks.find((n) => isTrustedClient(ip, n));
    if (network) return network[0];
  } else {
    if (c.domains.has(t.host)) return t.host;
    for (let i = t.host.indexOf('.'); i !== -1; i = t.host.indexOf('.', i + 1)) {
      const parent = t.host.slice(i + 1);
      if (c.domains.has(parent)) return parent;
      if (c.wildcards.includes(`.${parent}`)) return `*.${parent}`;
    }
  }
  return c.prefixes.find((p) => t.rest.startsWith(p));
}
