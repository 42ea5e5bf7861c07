// Address lists from From/To/Cc/Reply-To: display names (RFC 2047 decoded), addresses, groups,
// comments and quoted strings. Parsed on the raw value so an encoded comma or quote in a name
// cannot split or merge addresses.
import type { AddressFact } from '../facts.js';
import { decodeRawHeader, decodeWords } from './encoded-words.js';

/** Splits at top-level "," and ";" (group end), dropping group names ("team: a@x, b@y;"). */
function split(raw: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote = false;
  let angle = 0;
  let paren = 0;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i] as string;
    if (quote) {
      cur += c;
      if (c === '\\' && i + 1 < raw.length) cur += raw[++i];
      else if (c === '"') quote = false;
      continue;
    }
    if (c === '"' && paren === 0) quote = true;
    else if (c === '(') paren++;
    else if (c === ')' && paren > 0) paren--;
    else if (c === '<' && paren === 0) angle++;
    else if (c === '>' && paren === 0 && angle > 0) angle--;
    else if (paren === 0 && angle === 0 && (c === ',' || c === ';')) {
      out.push(cur);
      cur = '';
      continue;
    } else if (paren === 0 && angle === 0 && c === ':' && !cur.includes('@')) {
      cur = ''; // group display name
      continue;
    }
    cur += c;
  }
  out.push(cur);
  return out.map((s) => s.trim()).filter((s) => s !== '');
}

function unquote(s: string): string {
  return s.replace(/^"(.*)"$/s, '$1').replace(/\\(.)/g, '$1');
}

export function parseAddressList(raw: string): AddressFact[] {
  const out: AddressFact[] = [];
  for (const item of split(raw)) {
    const comments: string[] = [];
    const noComments = item.replace(/\(((?:[^()\\]|\\.)*)\)/g, (_all, c: string) => {
      comments.push(c);
      return ' ';
    });
    const angle = /<([^<>]*)>\s*$/.exec(noComments) ?? /<([^<>]*)>/.exec(noComments);
    let address: string;
    let name: string;
    if (angle) {
      // Drop an obsolete source route ("<@relay:user@host>").
      address = (angle[1] as string).replace(/^(?:@[^:,]*,?)+:/, '').trim();
      name = unquote(noComments.slice(0, angle.index).trim());
    } else {
      address = noComments.trim();
      name = comments.join(' ').trim();
    }
    address = decodeRawHeader(address.replace(/\s+/g, ''));
    name = decodeWords(name).replace(/\s+/g, ' ').trim();
    if (address === '' && name === '') continue;
    out.push({ name, address });
  }
  return out;
}
