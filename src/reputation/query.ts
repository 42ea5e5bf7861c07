// The names DNS lists are asked: an IPv4 address with its octets reversed (2.0.0.127.zone),
// an IPv6 address as 32 reversed nibbles (RFC 5782 §2.4), a domain as itself (domain.zone).
import ipaddr from 'ipaddr.js';

/** The address in canonical form (IPv4-mapped IPv6 as IPv4), or undefined when it is not an IP. */
export function canonicalIp(ip: string): string | undefined {
  try {
    return ipaddr.process(ip.trim()).toString();
  } catch {
    return undefined;
  }
}

/** Like canonicalIp, for addresses read from text: only dotted quads and IPv6, no "1234" or "1.2.3". */
export function strictIp(text: string): string | undefined {
  const t = text.trim();
  if (t.includes(':')) return ipaddr.IPv6.isValid(t) ? canonicalIp(t) : undefined;
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(t) && ipaddr.IPv4.isValid(t) ? canonicalIp(t) : undefined;
}

/** "192.0.2.1" -> "1.2.0.192"; "2001:db8::1" -> "1.0.0.0.…8.b.d.0.1.0.0.2" (no zone appended). */
export function reversedIp(ip: string): string | undefined {
  let addr: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    addr = ipaddr.process(ip.trim());
  } catch {
    return undefined;
  }
  if (addr.kind() === 'ipv4') return [...addr.toByteArray()].reverse().join('.');
  const nibbles: string[] = [];
  for (const byte of addr.toByteArray()) nibbles.push((byte >> 4).toString(16), (byte & 0xf).toString(16));
  return nibbles.reverse().join('.');
}

/** False for addresses no public list has: private, loopback, link-local, reserved, … */
export function isPublicIp(ip: string): boolean {
  try {
    return ipaddr.process(ip.trim()).range() === 'unicast';
  } catch {
    return false;
  }
}
