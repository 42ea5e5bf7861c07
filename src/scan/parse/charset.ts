// Bytes to text for every charset mail uses. Node 20 ships full ICU, so TextDecoder knows
// ISO-2022-JP, Shift_JIS, EUC-JP, GB18030, Big5, KOI8 and the ISO-8859/Windows families; this
// module adds the aliases mailers write, and a guess for unlabelled or mislabelled bytes that
// prefers the Japanese encodings before falling back to Windows-1252.

import { isAscii, isUtf8 } from 'node:buffer';
import { TextDecoder } from 'node:util';

const ALIASES: Record<string, string> = {
  cp932: 'shift_jis',
  ms932: 'shift_jis',
  'ms-kanji': 'shift_jis',
  'x-sjis': 'shift_jis',
  'shift-jis': 'shift_jis',
  'x-euc-jp': 'euc-jp',
  eucjp: 'euc-jp',
  'iso-2022-jp-1': 'iso-2022-jp',
  'iso-2022-jp-2': 'iso-2022-jp',
  'iso-2022-jp-3': 'iso-2022-jp',
  'iso-2022-jp-ms': 'iso-2022-jp',
  cp50220: 'iso-2022-jp',
  cp50221: 'iso-2022-jp',
  cp50222: 'iso-2022-jp',
  utf8: 'utf-8',
  'x-unknown': 'windows-1252',
  ascii: 'windows-1252',
  'us-ascii': 'windows-1252',
  'ansi_x3.4-1968': 'windows-1252',
  latin1: 'windows-1252',
  'iso-8859-1': 'windows-1252',
  cp1252: 'windows-1252',
  ks_c_5601: 'euc-kr',
  'ks_c_5601-1987': 'euc-kr',
  cp949: 'euc-kr',
  cp936: 'gbk',
  gb2312: 'gbk',
  big5hkscs: 'big5-hkscs',
};

const decoders = new Map<string, TextDecoder | null>();
const fatalDecoders = new Map<string, TextDecoder | null>();

function decoder(label: string, fatal: boolean): TextDecoder | null {
  const cache = fatal ? fatalDecoders : decoders;
  let d = cache.get(label);
  if (d === undefined) {
    try {
      d = new TextDecoder(label, { fatal });
    } catch {
      d = null;
    }
    cache.set(label, d);
  }
  return d;
}

/** The TextDecoder label for a MIME charset name, or undefined when nothing here knows it. */
export function normalizeCharset(name: string | undefined): string | undefined {
  if (!name) return undefined;
  let n = name
    .trim()
    .replace(/^["']|["']$/g, '')
    .toLowerCase();
  // RFC 2231 language suffix ("utf-8*ja") and stray junk after the name.
  n = n.replace(/\*.*$/, '');
  if (n === '') return undefined;
  const alias = ALIASES[n] ?? n;
  return decoder(alias, false) ? alias : undefined;
}

function hasHighBytes(buf: Buffer): boolean {
  return !isAscii(buf);
}

function hasIso2022Escape(buf: Buffer): boolean {
  // ESC $ B / ESC $ @ / ESC ( J: the designations ISO-2022-JP text starts with.
  return buf.includes('\x1b$B', 0, 'latin1') || buf.includes('\x1b$@', 0, 'latin1');
}

/**
 * Guesses the charset of unlabelled bytes: ASCII-only with ISO-2022-JP escapes, valid UTF-8,
 * then Shift_JIS and EUC-JP when they decode without errors, else Windows-1252 (never fails).
 */
export function guessCharset(buf: Buffer, hint?: string): string {
  if (!hasHighBytes(buf)) return hasIso2022Escape(buf) ? 'iso-2022-jp' : 'utf-8';
  if (isUtf8(buf)) return 'utf-8';
  for (const label of [hint, 'shift_jis', 'euc-jp']) {
    if (!label || label === 'utf-8' || label === 'windows-1252') continue;
    const d = decoder(label, true);
    if (!d) continue;
    try {
      d.decode(buf);
      return label;
    } catch {
      /* next guess */
    }
  }
  return 'windows-1252';
}

/**
 * Decodes bytes with the declared charset; an unknown or missing label (or us-ascii that is not
 * ASCII) is guessed. Never throws: undecodable bytes become U+FFFD.
 */
export function decodeText(buf: Buffer, declared?: string): string {
  if (buf.length === 0) return '';
  // A byte-order mark says more than any label (UTF-16 text files are common attachments).
  if (buf[0] === 0xff && buf[1] === 0xfe) return (decoder('utf-16le', false) as TextDecoder).decode(buf);
  if (buf[0] === 0xfe && buf[1] === 0xff) return (decoder('utf-16be', false) as TextDecoder).decode(buf);
  let label = normalizeCharset(declared);
  // Mailers label Japanese text "us-ascii" or leave it unlabelled; 8-bit bytes in "ascii" too.
  if (label === undefined || label === 'windows-1252' || label === 'utf-8') {
    const declaredAscii = declared !== undefined && /^\s*"?(us-)?ascii/i.test(declared);
    if (label === undefined || declaredAscii) label = guessCharset(buf);
    else if (label === 'utf-8' && hasIso2022Escape(buf) && !hasHighBytes(buf)) label = 'iso-2022-jp';
  }
  if (label === 'utf-8') return buf.toString('utf8');
  return (decoder(label, false) as TextDecoder).decode(buf);
}
