// The Authentication-Results header field (RFC 8601) with our verdicts. Everything in it that
// came from the message or DNS is reduced to printable text and quoted, so a crafted selector
// or address can never end the field or add one.
import type { AuthResults } from './types.js';

// eslint-disable-next-line no-control-regex -- control characters are what it matches
const CONTROL = /[\x00-\x1f\x7f]+/g;

/** A ptype value: a token as is, anything else as a quoted-string. */
export function arValue(v: string): string {
  const clean = v.replace(CONTROL, ' ').trim();
  if (/^[!#$%&'*+\-.0-9A-Z^_`a-z{|}~@]+$/.test(clean)) return clean;
  return `"${clean.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

/** A comment: parentheses and backslashes escaped. */
export function arComment(v: string): string {
  const clean = v.replace(CONTROL, ' ').replace(/\s+/g, ' ').trim();
  return `(${clean.replace(/[()\\]/g, (c) => `\\${c}`)})`;
}

const join = (...parts: (string | false | undefined)[]) => parts.filter(Boolean).join(' ');

/** "Authentication-Results: id; spf=…; dkim=…; dmarc=…; arc=…", folded, without the final line ending. */
export function formatResultsHeader(r: Omit<AuthResults, 'header'>): string {
  const items: string[] = [];
  if (r.spf) {
    const identity =
      r.spf.scope === 'helo'
        ? `smtp.helo=${arValue(r.spf.domain)}`
        : `smtp.mailfrom=${arValue(r.spf.domain)}`;
    items.push(join(`spf=${r.spf.result}`, r.spf.comment && arComment(r.spf.comment), identity));
  }
  if (r.dkimResult === 'none') items.push('dkim=none (message not signed)');
  for (const s of r.dkim) {
    items.push(
      join(
        `dkim=${s.result}`,
        s.reason && arComment(s.reason),
        s.domain && `header.d=${arValue(s.domain)}`,
        s.selector && `header.s=${arValue(s.selector)}`,
        s.identity && `header.i=${arValue(s.identity)}`,
        s.algorithm && `header.a=${arValue(s.algorithm)}`,
        s.b && `header.b=${arValue(s.b.slice(0, 8))}`,
      ),
    );
  }
  if (r.arc) items.push(join(`arc=${r.arc.result}`, r.arc.comment && arComment(r.arc.comment)));
  if (r.dmarc) {
    const d = r.dmarc;
    const policy = d.p
      ? [
          `p=${d.p.toUpperCase()}`,
          `sp=${(d.sp ?? d.p).toUpperCase()}`,
          `pct=${d.pct}`,
          `dis=${d.action.toUpperCase()}`,
        ]
      : [];
    const why = r.suspicious.length > 0 && d.result === 'fail' ? r.suspicious.join(', ') : '';
    const comment = [...policy, why].filter(Boolean).join(' ');
    items.push(join(`dmarc=${d.result}`, comment && arComment(comment), `header.from=${arValue(d.domain)}`));
  }
  const id = arValue(r.authservId);
  if (items.length === 0) return `Authentication-Results: ${id}; none`;
  return `Authentication-Results: ${id};\r\n\t${items.join(';\r\n\t')}`;
}

/** Puts a header field on top of the message, with the line ending the message uses. */
export function prependHeader(raw: Buffer, field: string): Buffer {
  const headerEnd = raw.indexOf('\n');
  const crlf = headerEnd < 0 || raw[headerEnd - 1] === 0x0d;
  const text = crlf ? field : field.replace(/\r\n/g, '\n');
  return Buffer.concat([Buffer.from(`${text}${crlf ? '\r\n' : '\n'}`, 'utf8'), raw]);
}
