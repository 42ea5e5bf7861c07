// RFC 2047 encoded words ("=?ISO-2022-JP?B?...?=") and raw 8-bit header text. Header values are
// handled as latin1 strings (one char per byte) until this step, so no byte is lost before the
// charset is known. Adjacent words in one charset are joined as bytes before decoding, because
// mailers split multibyte characters (and ISO-2022-JP escape sequences) across words.
import { decodeText } from './charset.js';
import { decodeHexEscapes } from './transfer.js';

const WORD_RE = /=\?([^?\s]{1,64})\?([bBqQ])\?([^?]*?)\?=/g;

/** Bytes of a Q-encoded word: "_" is a space, "=XX" a byte. */
function decodeQ(text: string): Buffer {
  return decodeHexEscapes(text.replaceAll('_', ' '), '=');
}

/** Text of a latin1 string holding raw bytes: ASCII as is, 8-bit bytes through the charset guess. */
export function decodeRawHeader(raw: string, hint?: string): string {
  if (!/[\x80-\xff]/.test(raw) && !raw.includes('\x1b')) return raw;
  return decodeText(Buffer.from(raw, 'latin1'), hint);
}

/** Decodes every encoded word in a header value (a latin1 string of its raw bytes). */
export function decodeWords(raw: string, hint?: string): string {
  if (!raw.includes('=?')) return decodeRawHeader(raw, hint);
  const out: string[] = [];
  let pendingCharset = '';
  let pending: Buffer[] = [];
  const flush = () => {
    if (pending.length === 0) return;
    out.push(
      decodeText(pending.length === 1 ? (pending[0] as Buffer) : Buffer.concat(pending), pendingCharset),
    );
    pending = [];
  };
  let last = 0;
  WORD_RE.lastIndex = 0;
  for (let m = WORD_RE.exec(raw); m; m = WORD_RE.exec(raw)) {
    const between = raw.slice(last, m.index);
    // Whitespace between two encoded words is not part of the text (RFC 2047 §6.2).
    if (!(pending.length > 0 && /^[ \t\r\n]*$/.test(between))) {
      flush();
      if (between) out.push(decodeRawHeader(between, hint));
    }
    const charset = (m[1] as string).replace(/\*.*$/, '').toLowerCase();
    const text = m[3] as string;
    const bytes = (m[2] as string).toLowerCase() === 'b' ? Buffer.from(text, 'base64') : decodeQ(text);
    if (pending.length > 0 && charset !== pendingCharset) flush();
    pendingCharset = charset;
    pending.push(bytes);
    last = WORD_RE.lastIndex;
  }
  flush();
  if (last < raw.length) out.push(decodeRawHeader(raw.slice(last), hint));
  return out.join('');
}
