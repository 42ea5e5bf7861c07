// Envelope address syntax (RFC 5321 §4.1.2, RFC 6531 for UTF-8 local parts): turns what a
// client wrote in MAIL FROM / RCPT TO into one canonical form, so relay decisions are made on
// the address delivery will actually use and never on a look-alike.
import { domainToASCII } from 'node:url';
import net from 'node:net';

export interface ParsedAddress {
  /** Local part as the client gave it (quotes and escapes kept). */
  local: string;
  /** Lower-case A-label domain without a trailing dot, an address literal, or "" for bare postmaster. */
  domain: string;
  /** The local part is a quoted string. */
  quoted: boolean;
  /** The domain is an address literal such as [192.0.2.1] or [IPv6:2001:db8::1]. */
  literal: boolean;
  /** local@domain, the form stored in the envelope. */
  address: string;
}

export type ParseResult = { ok: true; value: ParsedAddress } | { ok: false; reason: string };

// atext of RFC 5322 and dots, plus any non-ASCII character (RFC 6531 allows UTF-8 in local
// parts). Misplaced dots ("user.@", "a..b@") break RFC 5321 but are common in the wild and say
// nothing about routing; Postfix takes them too.
const DOT_STRING = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.\u0080-\uFFFF-]+$/;
// RFC 5321 §4.5.3.1.3: a path is at most 256 octets including the brackets.
const MAX_ADDRESS = 254;
// What a domain may be written with before IDNA conversion (no %-escapes, no brackets, ...).
const DOMAIN_CHARS = /^[A-Za-z0-9.\u0080-\uFFFF-]+$/;
const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
// Inside a quoted local part: printable ASCII or UTF-8, never control characters.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x1f\x7f]/;

const fail = (reason: string): ParseResult => ({ ok: false, reason });

/** Removes the angle brackets and an RFC 5321 source route ("@relay1,@relay2:"), which is ignored. */
export function stripPath(raw: string): string {
  let a = raw.trim();
  if (a.startsWith('<') && a.endsWith('>')) a = a.slice(1, -1).trim();
  if (a.startsWith('@')) {
    const colon = a.indexOf(':');
    // A route without its ":" leaves an address that parses as garbage below.
    if (colon > 0) a = a.slice(colon + 1);
  }
  return a;
}

function parseLocal(a: string): { local: string; rest: string; quoted: boolean } | string {
  if (a.startsWith('"')) {
    let i = 1;
    for (; i < a.length; i++) {
      const c = a[i];
      if (c === '\\') i++;
      else if (c === '"') break;
    }
    if (i >= a.length) return 'unterminated quoted local part';
    const local = a.slice(0, i + 1);
    if (CONTROL.test(local)) return 'control character in local part';
    return { local, rest: a.slice(i + 1), quoted: true };
  }
  const at = a.indexOf('@');
  const local = at < 0 ? a : a.slice(0, at);
  if (!local) return 'empty local part';
  if (!DOT_STRING.test(local)) return 'invalid local part';
  return { local, rest: at < 0 ? '' : a.slice(at), quoted: false };
}

function parseLiteral(d: string): string | undefined {
  if (!d.endsWith(']')) return undefined;
  const inner = d.slice(1, -1);
  if (net.isIPv4(inner)) return `[${inner}]`;
  if (/^ipv6:/i.test(inner) && net.isIPv6(inner.slice(5))) return `[IPv6:${inner.slice(5).toLowerCase()}]`;
  return undefined;
}

/** Canonical domain (lower-case A-labels, no trailing dot), or undefined if it is not a host name. */
export function normaliseDomain(raw: string): string | undefined {
  let d = raw.endsWith('.') ? raw.slice(0, -1) : raw;
  if (!d || !DOMAIN_CHARS.test(d)) return undefined;
  // Only IDNs go through the WHATWG mapping; plain ASCII just needs lower-casing.
  // eslint-disable-next-line no-control-regex
  d = /^[\x00-\x7f]*$/.test(d) ? d.toLowerCase() : domainToASCII(d);
  if (!d || d.length > 253) return undefined;
  const labels = d.split('.');
  if (!labels.every((l) => LABEL.test(l))) return undefined;
  // A numeric last label means an IP address written without brackets (or an obfuscated one).
  if (/^[0-9]+$/.test(labels[labels.length - 1] ?? '')) return undefined;
  return d;
}

/** Parses one envelope address (brackets and source route optional). The null path "" is not handled here. */
export function parseAddress(raw: string): ParseResult {
  const a = stripPath(raw);
  if (!a) return fail('empty address');
  const local = parseLocal(a);
  if (typeof local === 'string') return fail(local);
  const { rest, quoted } = local;
  if (rest === '') {
    // RFC 5321 §4.1.1.3: the domainless "postmaster" recipient must be understood.
    if (!quoted && local.local.toLowerCase() === 'postmaster') {
      return {
        ok: true,
        value: { local: local.local, domain: '', quoted, literal: false, address: local.local },
      };
    }
    return fail('domain missing');
  }
  if (!rest.startsWith('@')) return fail('invalid local part');
  const rawDomain = rest.slice(1);
  if (rawDomain.includes('@')) return fail('more than one @');
  const literal = rawDomain.startsWith('[');
  const domain = literal ? parseLiteral(rawDomain) : normaliseDomain(rawDomain);
  if (!domain) return fail(literal ? 'invalid address literal' : 'invalid domain');
  const address = `${local.local}@${domain}`;
  if (Buffer.byteLength(address) > MAX_ADDRESS) return fail('address too long');
  return { ok: true, value: { local: local.local, domain, quoted, literal, address } };
}
