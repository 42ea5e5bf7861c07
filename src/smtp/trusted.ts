// Is a client inside the trusted networks? Called for every recipient, so the CIDR list is
// parsed once per settings object (settings are replaced, never mutated, when they change).
import ipaddr from 'ipaddr.js';

type Range = [ipaddr.IPv4 | ipaddr.IPv6, number];

const parsed = new WeakMap<readonly string[], Range[]>();

function ranges(networks: readonly string[]): Range[] {
  let list = parsed.get(networks);
  if (!list) {
    list = [];
    for (const n of networks) {
      try {
        if (n.includes('/')) list.push(ipaddr.parseCIDR(n));
        else {
          const addr = ipaddr.process(n);
          list.push([addr, addr.kind() === 'ipv4' ? 32 : 128]);
        }
      } catch {
        // Settings validation rejects bad entries; one slipping through must not trust anyone.
      }
    }
    parsed.set(networks, list);
  }
  return list;
}

/** True when ip (IPv4, IPv6 or IPv4-mapped IPv6) lies in one of the CIDR blocks. */
export function isTrustedClient(ip: string, networks: readonly string[]): boolean {
  let addr: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    // process() turns ::ffff:192.0.2.1 into 192.0.2.1, so v4 blocks match dual-stack sockets.
    addr = ipaddr.process(ip);
  } catch {
    return false;
  }
  for (const range of ranges(networks)) {
    if (range[0].kind() === addr.kind() && addr.match(range)) return true;
  }
  return false;
}

/** Loopback clients get no reverse lookup (tests, local submission, benchmarks). */
export function isLoopback(ip: string): boolean {
  try {
    return ipaddr.process(ip).range() === 'loopback';
  } catch {
    return false;
  }
}
