// Structured header values: "type/subtype; name=value; name*=utf-8''%E3%81%82; name*0*=...".
// Every value of a repeated parameter is kept (clients disagree on first or last), RFC 2231
// continuations and charsets are joined and decoded, and RFC 2047 words inside quoted values
// (not allowed, written by most mailers anyway) are decoded too.
import { decodeText } from './charset.js';
import { decodeWords } from './encoded-words.js';
import { decodeHexEscapes } from './transfer.js';

export interface StructuredValue {
  /** The value before the first ";", lower-cased and trimmed ("multipart/mixed", "attachment"). */
  value: string;
  /** Parameter name (lower case) → its decoded values, in the order they appeared. */
  params: Map<string, string[]>;
}

interface RawParam {
  name: string;
  value: string;
}

/** Splits "a; b=c; d="e;f"" into the leading value and raw name/value pairs. */
function tokenize(raw: string): { value: string; params: RawParam[] } {
  const params: RawParam[] = [];
  let i = raw.indexOf(';');
  const value = (i === -1 ? raw : raw.slice(0, i)).trim();
  if (i === -1) return { value, params };
  const n = raw.length;
  while (i < n) {
    // Skip separators and whitespace.
    while (i < n && (raw[i] === ';' || raw[i] === ' ' || raw[i] === '\t')) i++;
    if (i >= n) break;
    const eq = raw.indexOf('=', i);
    const semi = raw.indexOf(';', i);
    if (eq === -1 || (semi !== -1 && semi < eq)) {
      i = semi === -1 ? n : semi; // a bare word: not a parameter
      continue;
    }
    const name = raw.slice(i, eq).trim().toLowerCase();
    i = eq + 1;
    while (i < n && (raw[i] === ' ' || raw[i] === '\t')) i++;
    let v: string;
    if (raw[i] === '"') {
      let out = '';
      let j = i + 1;
      for (; j < n; j++) {
        const c = raw[j];
        if (c === '\\' && j + 1 < n) out += raw[++j];
        else if (c === '"') break;
        else out += c;
      }
      v = out;
      i = j + 1;
    } else {
      const end = raw.indexOf(';', i);
      v = raw.slice(i, end === -1 ? n : end).trim();
      i = end === -1 ? n : end;
    }
    if (name) params.push({ name, value: v });
  }
  return { value, params };
}

/** Parses a structured header value; `hint` is the charset to try for raw 8-bit text. */
export function parseStructured(raw: string, hint?: string): StructuredValue {
  const { value, params: rawParams } = tokenize(raw);
  const params = new Map<string, string[]>();
  const add = (name: string, v: string) => {
    const list = params.get(name);
    if (list) list.push(v);
    else params.set(name, [v]);
  };
  // RFC 2231: name*0, name*1*, ... are pieces of one value; name* alone is one encoded piece.
  const pieces = new Map<string, { index: number; encoded: boolean; value: string }[]>();
  for (const p of rawParams) {
    const m = /^([^*]+)\*(?:(\d+)(\*)?)?$/.exec(p.name);
    if (!m) {
      add(p.name, decodeWords(p.value, hint));
      continue;
    }
    const base = m[1] as string;
    const index = m[2] === undefined ? 0 : Number(m[2]);
    const encoded = m[2] === undefined || m[3] === '*';
    const list = pieces.get(base) ?? [];
    list.push({ index, encoded, value: p.value });
    pieces.set(base, list);
  }
  for (const [base, list] of pieces) {
    list.sort((a, b) => a.index - b.index);
    let charset: string | undefined;
    const bytes: Buffer[] = [];
    list.forEach((piece, k) => {
      let v = piece.value;
      if (piece.encoded) {
        if (k === 0) {
          const m = /^([^']*)'[^']*'(.*)$/s.exec(v);
          if (m) {
            charset = m[1] || undefined;
            v = m[2] as string;
          }
        }
        bytes.push(decodeHexEscapes(v, '%'));
      } else bytes.push(Buffer.from(v, 'latin1'));
    });
    const joined = Buffer.concat(bytes);
    // The RFC 2231 value is preferred: put it first, before any plain "name=" value.
    const text = charset ? decodeText(joined, charset) : decodeWords(joined.toString('latin1'), hint);
    const existing = params.get(base);
    params.set(base, existing ? [text, ...existing] : [text]);
  }
  return { value: value.toLowerCase(), params };
}

/** First value of a parameter. */
export function param(v: StructuredValue, name: string): string | undefined {
  return v.params.get(name)?.[0];
}

/**
 * Every boundary a client could take from these Content-Type values: each "boundary=" parameter
 * and any "boundary=" text in an odd place (no ";" before it, after a comment...).
 */
export function boundaryCandidates(rawValues: string[]): string[] {
  const out: string[] = [];
  for (const raw of rawValues) {
    for (const v of parseStructured(raw).params.get('boundary') ?? []) if (v && !out.includes(v)) out.push(v);
    for (const m of raw.matchAll(/boundary\s*=\s*(?:"([^"]*)"?|([^\s;"]+))/gi)) {
      const v = (m[1] ?? m[2] ?? '').trim();
      if (v && !out.includes(v)) out.push(v);
    }
  }
  return out;
}
