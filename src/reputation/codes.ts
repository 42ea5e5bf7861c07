// Return codes of DNS lists: which A-record answer ("127.0.0.2") a settings key stands for.
// Keys are written the way list operators document them:
//   "127.0.0.2"          one answer
//   "127.0.0.4-7"        a range in any octet ("127.0.0-255.3" works too)
//   "127.0.*.3"          any value in an octet (DNSWL trust level 3, whatever the category)
//   "127.0.0.0/24"       a CIDR block
// In a bitmask zone (SURBL, URIBL) a key is one address and matches every answer with the
// same first three octets that has any of its last-octet bits set: "127.0.0.8" matches
// 127.0.0.8 and 127.0.0.24 (8 + 16).
import ipaddr from 'ipaddr.js';

export type AnswerMatch =
  { kind: 'octets'; ranges: [number, number][] } | { kind: 'bits'; prefix: number; bits: number };

const OCTET = /^(\d{1,3})(?:-(\d{1,3}))?$/;

/** A settings key as a matcher, or undefined when the key is not a valid pattern. */
export function parseCodePattern(key: string, bitmask = false): AnswerMatch | undefined {
  const k = key.trim();
  if (bitmask) {
    const n = ipv4ToInt(k);
    if (n === undefined || (n & 0xff) === 0) return undefined;
    return { kind: 'bits', prefix: n >>> 8, bits: n & 0xff };
  }
  if (k.includes('/')) return cidrRanges(k);
  const parts = k.split('.');
  if (parts.length !== 4) return undefined;
  const ranges: [number, number][] = [];
  for (const p of parts) {
    if (p === '*') {
      ranges.push([0, 255]);
      continue;
    }
    const m = OCTET.exec(p);
    if (!m) return undefined;
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (lo > 255 || hi > 255 || hi < lo) return undefined;
    ranges.push([lo, hi]);
  }
  return { kind: 'octets', ranges };
}

/** A CIDR block is a range per octet: whole octets fixed, the partial one a range, the rest free. */
function cidrRanges(text: string): AnswerMatch | undefined {
  let addr: ipaddr.IPv4;
  let prefix: number;
  try {
    const [a, p] = ipaddr.IPv4.parseCIDR(text);
    addr = a;
    prefix = p;
  } catch {
    return undefined;
  }
  const ranges = addr.octets.map((o, i): [number, number] => {
    const bits = Math.min(8, Math.max(0, prefix - 8 * i));
    const mask = (0xff << (8 - bits)) & 0xff;
    return [o & mask, (o & mask) | (~mask & 0xff)];
  });
  return { kind: 'octets', ranges };
}

/** Dotted-quad IPv4 as an unsigned 32-bit number (strict: four decimal octets). */
export function ipv4ToInt(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    n = n * 256 + Number(p);
  }
  return n;
}

export function matchesAnswer(m: AnswerMatch, answer: number): boolean {
  if (m.kind === 'bits') return answer >>> 8 === m.prefix && (answer & m.bits) !== 0;
  for (let i = 0; i < 4; i++) {
    const octet = (answer >>> (24 - 8 * i)) & 0xff;
    const r = m.ranges[i];
    if (!r || octet < r[0] || octet > r[1]) return false;
  }
  return true;
}
