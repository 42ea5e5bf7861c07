// Trusted upstream relays (SPEC §1): when Sekimori sits behind another MTA or a cloud
// pre-filter, the connecting client is that relay and the real client is the one the relay
// recorded in its Received header. Connect-time checks cannot see headers, so for relayed mail
// the DNSBL check moves to after DATA (messageReputation in message.ts).
//
// The Received fields are read from the top (newest) down. Each hop written by a trusted party
// (a trusted relay, or a loopback hop such as a content filter on the relay) is skipped; the
// first "from" address that is not trusted is the real client. A hop whose "from" clause
// names no address ends the walk with no answer: below it the sender writes the headers.
import { isLoopback, isTrustedClient } from '../smtp/trusted.js';
import { canonicalIp, strictIp } from './query.js';

/** A raw header block (or whole message), or parsed fields such as the scanner's HeaderFact[]. */
export type HeaderInput = string | Buffer | readonly { name: string; value: string }[];

const MAX_RECEIVED = 100;

/** The values of the Received fields, top (newest) first, unfolded. */
export function receivedHeaders(headers: HeaderInput): string[] {
  if (typeof headers !== 'string' && !Buffer.isBuffer(headers)) {
    return headers
      .filter((h) => h.name.toLowerCase() === 'received')
      .slice(0, MAX_RECEIVED)
      .map((h) => h.value);
  }
  const text = typeof headers === 'string' ? headers : headers.toString('latin1');
  const end = /\r?\n\r?\n/.exec(text);
  const block = end ? text.slice(0, end.index) : text;
  const out: string[] = [];
  for (const field of block.replace(/\r?\n(?=[ \t])/g, '').split(/\r?\n/)) {
    const m = /^received[ \t]*:(.*)$/is.exec(field);
    if (m) out.push((m[1] ?? '').trim());
    if (out.length >= MAX_RECEIVED) break;
  }
  return out;
}

/** The "from" clause of a Received value: up to " by " or ";" outside parentheses. */
function fromClause(value: string): string | undefined {
  const m = /^\s*from\s/i.exec(value);
  if (!m) return undefined;
  let depth = 0;
  for (let i = m[0].length; i < value.length; i++) {
    const c = value[i];
    if (c === '(') depth++;
    else if (c === ')') depth = Math.max(0, depth - 1);
    else if (depth === 0 && (c === ';' || /^\sby\s/i.test(value.slice(i - 1, i + 3)))) {
      return value.slice(m[0].length, i);
    }
  }
  return value.slice(m[0].length);
}

/** Parenthesis depth at each offset of a text. */
function depthAt(text: string, offset: number): number {
  let depth = 0;
  for (let i = 0; i < offset; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')') depth = Math.max(0, depth - 1);
  }
  return depth;
}

/**
 * The client address a Received value records, in any of the common forms:
 *   Postfix/Sendmail  from helo (rdns [192.0.2.1])      Exim  from rdns ([192.0.2.1] helo=x)
 *   Exim, no rDNS     from [192.0.2.1] (helo=x)         Exchange, qmail  from host (192.0.2.1)
 *   IPv6              [IPv6:2001:db8::1] or (2001:db8::1)
 * A HELO argument that is an address literal ("from [198.51.100.1] (unknown [192.0.2.1])",
 * "helo=[…]", "HELO […]") is not the client.
 */
export function receivedFromIp(value: string): string | undefined {
  const clause = fromClause(value);
  if (clause === undefined) return undefined;
  const inside: string[] = [];
  const outside: string[] = [];
  for (const m of clause.matchAll(/\[(?:ipv6:)?([0-9a-f:.]+)\]/gi)) {
    const ip = strictIp(m[1] ?? '');
    if (!ip) continue;
    if (/helo[=\s]\s*$/i.test(clause.slice(0, m.index))) continue;
    (depthAt(clause, m.index) > 0 ? inside : outside).push(ip);
  }
  if (inside[0] ?? outside[0]) return inside[0] ?? outside[0];
  for (const m of clause.matchAll(/\(\s*(?:ipv6:)?([0-9a-f:.]+)\s*\)/gi)) {
    const ip = strictIp(m[1] ?? '');
    if (ip) return ip;
  }
  return undefined;
}

/** The name the client greeted with, as a Received "from" clause records it first. */
export function receivedFromHelo(value: string): string | undefined {
  const name = /^[^\s()[\]]+/.exec(fromClause(value)?.trim() ?? '')?.[0];
  return name && name.toLowerCase() !== 'unknown' ? name : undefined;
}

export interface RealClient {
  ip: string;
  /** Its HELO name, when the relay recorded one (SPF's HELO identity and %{h} macro). */
  helo?: string;
  /** True when the client is the one a trusted relay recorded, not the connecting one. */
  relayed: boolean;
}

/**
 * The client whose reputation and SPF count for a message: the connecting client itself
 * unless it is a trusted relay, else the first untrusted client recorded in the Received
 * headers. Undefined when the relays' headers do not say (nothing should then be checked).
 * Headers are only read below a trusted relay, so a client cannot forge its way out.
 */
export function realClient(
  headers: HeaderInput,
  clientIp: string,
  trustedRelays: readonly string[],
): RealClient | undefined {
  const client = canonicalIp(clientIp) ?? clientIp;
  if (!isTrustedClient(client, trustedRelays)) return { ip: client, relayed: false };
  for (const value of receivedHeaders(headers)) {
    // A hop without a client ("by relay (Postfix, from userid 0)") is the relay's own.
    if (!/^\s*from\s/i.test(value)) continue;
    const from = receivedFromIp(value);
    if (!from) return undefined;
    if (isTrustedClient(from, trustedRelays) || isLoopback(from)) continue;
    const helo = receivedFromHelo(value);
    return { ip: from, relayed: true, ...(helo ? { helo } : {}) };
  }
  return undefined;
}

/** realClient's address alone. */
export function realClientIp(
  headers: HeaderInput,
  clientIp: string,
  trustedRelays: readonly string[],
): string | undefined {
  return realClient(headers, clientIp, trustedRelays)?.ip;
}
