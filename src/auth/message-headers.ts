// Strict reading of the header fields sender authentication depends on (SPEC §13): the From
// field DMARC judges must be one field with one address that every reader sees the same way,
// and Authentication-Results claiming our name may only come from us.
import { parseAddressList } from '../scan/parse/addresses.js';

export interface HeaderField {
  /** Lower-case name, trimmed. */
  name: string;
  /** The name exactly as written (may end in spaces: "From :"). */
  rawName: string;
  /** Raw value (latin1, so bytes survive), folding kept. */
  value: string;
  /** Byte offsets of the whole field including its line ending. */
  start: number;
  end: number;
}

export interface HeaderBlock {
  fields: HeaderField[];
  /** Offset of the body (after the empty line), or raw.length when there is none. */
  bodyStart: number;
  /** True when an empty line ends the header (a message may be all header). */
  hasSeparator: boolean;
  /** The header uses CRLF line endings. */
  crlf: boolean;
  /** Lines in the header that are neither a field nor a continuation. */
  malformedLines: number;
}

/** Splits the header block of a raw message into fields. */
export function readHeaderBlock(raw: Buffer): HeaderBlock {
  const text = raw.toString('latin1');
  const fields: HeaderField[] = [];
  let pos = 0;
  let malformedLines = 0;
  let hasSeparator = false;
  let crlf = false;
  let current: HeaderField | undefined;
  while (pos < text.length) {
    const nl = text.indexOf('\n', pos);
    const end = nl < 0 ? text.length : nl + 1;
    const line = text.slice(pos, end).replace(/\r?\n$/, '');
    if (nl >= 0 && text[nl - 1] === '\r') crlf = true;
    if (line === '') {
      hasSeparator = true;
      pos = end;
      break;
    }
    if ((line[0] === ' ' || line[0] === '\t') && current) {
      current.value = text.slice(current.start + current.rawName.length + 1, end).replace(/\r?\n$/, '');
      current.end = end;
    } else {
      const colon = line.indexOf(':');
      if (colon <= 0) {
        malformedLines++;
        current = undefined;
      } else {
        const rawName = line.slice(0, colon);
        current = {
          name: rawName.trim().toLowerCase(),
          rawName,
          value: line.slice(colon + 1),
          start: pos,
          end,
        };
        fields.push(current);
      }
    }
    pos = end;
  }
  return { fields, bodyStart: hasSeparator ? pos : text.length, hasSeparator, crlf, malformedLines };
}

interface Token {
  kind: 'atom' | 'quoted' | 'angle' | 'special';
  text: string;
}

/** RFC 5322 tokens of an address field; undefined when quotes, comments or brackets do not close. */
function tokenize(value: string): Token[] | undefined {
  const out: Token[] = [];
  let i = 0;
  while (i < value.length) {
    const c = value[i] as string;
    if (c === ' ' || c === '\t' || c === '\r' || c === '\n') {
      i++;
    } else if (c === '(') {
      let depth = 0;
      for (; i < value.length; i++) {
        const d = value[i];
        if (d === '\\') i++;
        else if (d === '(') depth++;
        else if (d === ')' && --depth === 0) break;
      }
      if (depth !== 0) return undefined;
      i++;
    } else if (c === '"') {
      let j = i + 1;
      let s = '';
      for (; j < value.length && value[j] !== '"'; j++) {
        if (value[j] === '\\') j++;
        s += value[j] ?? '';
      }
      if (j >= value.length) return undefined;
      out.push({ kind: 'quoted', text: s });
      i = j + 1;
    } else if (c === '<') {
      const j = value.indexOf('>', i);
      if (j < 0) return undefined;
      const inner = value.slice(i + 1, j);
      if (/[<"()]/.test(inner)) return undefined;
      out.push({ kind: 'angle', text: inner.replace(/\s+/g, '') });
      i = j + 1;
    } else if (c === '>' || c === ')') {
      return undefined;
    } else if (',:;@.[]'.includes(c)) {
      out.push({ kind: 'special', text: c });
      i++;
    } else {
      let j = i;
      while (j < value.length && !/[\s()"<>,:;@.[\]]/.test(value[j] as string)) j++;
      out.push({ kind: 'atom', text: value.slice(i, j) });
      i = j;
    }
  }
  return out;
}

const HOST_RE =
  /^(?=.{1,253}$)([a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.?$/i;

/** local-part "@" domain from tokens: words joined only by dots, exactly one "@". */
function addrSpec(tokens: Token[]): string | undefined {
  let addr = '';
  let ats = 0;
  let prevWord = false;
  for (const t of tokens) {
    const word = t.kind === 'atom' || t.kind === 'quoted';
    if (word && prevWord) return undefined; // "john smith@x": a name without angle brackets
    if (t.kind === 'angle') return undefined;
    if (t.kind === 'special' && t.text === '@') ats++;
    else if (t.kind === 'special' && !'.[]'.includes(t.text)) return undefined;
    addr += t.kind === 'quoted' ? `"${t.text}"` : t.text;
    prevWord = word;
  }
  return ats === 1 ? addr : undefined;
}

/** The addr-spec of one mailbox's tokens, or undefined when it is not one well-formed address. */
function mailboxAddress(tokens: Token[]): string | undefined {
  const angles = tokens.filter((t) => t.kind === 'angle');
  if (angles.length > 1) return undefined;
  if (angles.length === 0) return addrSpec(tokens);
  // Everything before the brackets must be the display name (words and dots).
  if (tokens[tokens.length - 1]?.kind !== 'angle') return undefined;
  if (tokens.some((t) => t.kind === 'special' && t.text !== '.')) return undefined;
  // An obsolete source route "<@relay:user@host>" is dropped; "<>" has no address.
  const inner = (angles[0] as Token).text.replace(/^(?:@[^:,]*,?)+:/, '');
  if (inner === '') return '';
  const innerTokens = tokenize(inner);
  return innerTokens ? addrSpec(innerTokens) : undefined;
}

function addressDomain(addr: string): string | undefined {
  const at = addr.lastIndexOf('@');
  if (at <= 0) return undefined;
  const domain = addr.slice(at + 1).toLowerCase();
  return HOST_RE.test(domain) ? domain.replace(/\.$/, '') : undefined;
}

/** The mailboxes of a From value per RFC 5322 (groups flattened); undefined when malformed. */
function strictMailboxes(value: string): string[] | undefined {
  const tokens = tokenize(value);
  if (!tokens) return undefined;
  const out: string[] = [];
  let cur: Token[] = [];
  let inGroup = false;
  const flush = (): boolean => {
    if (cur.length === 0) return true;
    const a = mailboxAddress(cur);
    cur = [];
    if (a === undefined) return false;
    out.push(a);
    return true;
  };
  for (const t of tokens) {
    if (t.kind === 'special' && t.text === ',') {
      if (!flush()) return undefined;
    } else if (t.kind === 'special' && t.text === ':' && !inGroup && !cur.some((x) => x.kind === 'angle')) {
      inGroup = true;
      cur = []; // the group's display name
    } else if (t.kind === 'special' && t.text === ';' && inGroup) {
      if (!flush()) return undefined;
      inGroup = false;
    } else {
      cur.push(t);
    }
  }
  if (inGroup || !flush()) return undefined;
  return out;
}

export interface FromReading {
  /** Every address of every From field, lower-cased domain (what a lenient reader would take). */
  addresses: string[];
  /** The From domain DMARC judges: set only when there is exactly one well-formed address. */
  domain?: string;
  /** Every domain named in From (for a message that names several: the strictest policy wins). */
  domains: string[];
  /** Why the From field cannot be trusted; empty when it reads one way only. */
  problems: string[];
}

const same = (a: string[], b: string[]) =>
  a.length === b.length && a.every((x, i) => x.toLowerCase() === (b[i] ?? '').toLowerCase());

/**
 * Reads From strictly. `lenient` is what mailauth's parser saw (its DMARC would judge that), so a
 * value two readers take differently is caught too.
 */
export function readFrom(block: HeaderBlock, raw: Buffer, lenient?: string[]): FromReading {
  const problems: string[] = [];
  const froms = block.fields.filter((f) => f.name === 'from');
  if (froms.length === 0) problems.push('no From header');
  if (froms.length > 1) problems.push(`${froms.length} From headers`);
  if (froms.some((f) => f.rawName !== f.rawName.trim())) problems.push('space before the colon of From');
  const headerEnd = block.hasSeparator ? block.bodyStart : raw.length;
  if (raw.subarray(0, headerEnd).includes(0)) problems.push('NUL byte in the header');

  const addresses: string[] = [];
  let wellFormed = true;
  for (const f of froms) {
    const strict = strictMailboxes(f.value);
    if (strict === undefined) {
      wellFormed = false;
      problems.push('unusual quoting or syntax in From');
      // Every plausible reading counts for the domain list: the scanner's, mailauth's, and
      // anything shaped like an address anywhere in the value.
      const seen = new Set<string>();
      for (const a of parseAddressList(f.value)) if (a.address) seen.add(a.address);
      for (const a of lenient ?? []) seen.add(a);
      for (const m of f.value.matchAll(/[^\s@<>"(),;:]+@[a-z0-9][a-z0-9.-]*/gi)) seen.add(m[0]);
      addresses.push(...seen);
      continue;
    }
    addresses.push(...strict);
  }
  if (froms.length === 1 && wellFormed && addresses.length === 0) problems.push('From without an address');
  if (addresses.length > 1) problems.push(`From with ${addresses.length} addresses`);
  const domains = [...new Set(addresses.map(addressDomain).filter((d): d is string => d !== undefined))];
  if (wellFormed && addresses.length > 0 && addresses.some((a) => addressDomain(a) === undefined))
    problems.push('From address without a valid domain');

  // Other readers: the scanner's (what rules and users see) and mailauth's (what it judges).
  if (froms.length === 1 && wellFormed && addresses.length === 1) {
    const scanned = parseAddressList((froms[0] as HeaderField).value).map((a) => a.address);
    if (!same(scanned, addresses) || (lenient && !same(lenient, addresses)))
      problems.push('From reads differently to different parsers');
  }
  const single = problems.length === 0 && domains.length === 1 ? domains[0] : undefined;
  return { addresses, domain: single, domains, problems };
}

/** The authserv-id an Authentication-Results value starts with (RFC 8601 §2.2), lower-cased. */
export function authservIdOf(value: string): string | undefined {
  const v = value;
  let i = 0;
  // [CFWS]: spaces, folding and (nested) comments
  for (;;) {
    while (i < v.length && /\s/.test(v[i] as string)) i++;
    if (v[i] !== '(') break;
    for (let depth = 0; i < v.length; i++) {
      if (v[i] === '\\') i++;
      else if (v[i] === '(') depth++;
      else if (v[i] === ')' && --depth === 0) {
        i++;
        break;
      }
    }
  }
  const rest = v.slice(i);
  const quoted = /^"((?:[^"\\]|\\.)*)"/.exec(rest);
  if (quoted) return (quoted[1] as string).replace(/\\(.)/g, '$1').toLowerCase();
  const token = /^[^\s;()"]+/.exec(rest);
  return token ? token[0].toLowerCase() : undefined;
}

/** Authentication-Results fields in the header that claim `authservId` (ours). */
export function forgedAuthResults(block: HeaderBlock, authservId: string): HeaderField[] {
  const id = authservId.toLowerCase().replace(/\.$/, '');
  return block.fields.filter(
    (f) => f.name === 'authentication-results' && authservIdOf(f.value)?.replace(/\.$/, '') === id,
  );
}

/**
 * Removes Authentication-Results fields that claim our authserv-id (RFC 8601 §5): only we may
 * write them, so one arriving from outside is forged. Everything else is left byte for byte.
 */
export function stripForgedAuthResults(raw: Buffer, authservId: string): Buffer {
  const block = readHeaderBlock(raw);
  const forged = forgedAuthResults(block, authservId);
  if (forged.length === 0) return raw;
  const parts: Buffer[] = [];
  let pos = 0;
  for (const f of forged) {
    parts.push(raw.subarray(pos, f.start));
    pos = f.end;
  }
  parts.push(raw.subarray(pos));
  return Buffer.concat(parts);
}
