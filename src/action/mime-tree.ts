// A byte-exact view of a message's MIME structure, for editing: every part knows where its
// headers and body start and end in the raw bytes, so untouched parts are copied unchanged.
// (The scanner has its own, more forgiving parser; this one only needs to find the parts the
// scanner reported.)
import { decodeTransfer } from '../scan/parse/transfer.js';

export interface MimePart {
  start: number;
  bodyStart: number;
  end: number;
  /** Header block as latin1 text (bytes preserved), without the blank line. */
  header: string;
  contentType: string;
  boundary?: string;
  children: MimePart[];
  /** Content-Disposition value ("attachment", "inline") or "". */
  disposition: string;
  encoding: string;
  charset: string;
  filename?: string;
}

const MAX_DEPTH = 50;

/** Returns the value of a header (first occurrence, unfolded) from a latin1 header block. */
export function headerValue(header: string, name: string): string | undefined {
  const re = new RegExp(`^${name}[ \\t]*:([^\\r\\n]*(?:\\r?\\n[ \\t][^\\r\\n]*)*)`, 'im');
  const m = re.exec(header);
  return m ? (m[1] ?? '').replace(/\r?\n[ \t]/g, ' ').trim() : undefined;
}

function param(value: string, name: string): string | undefined {
  const re = new RegExp(`;\\s*${name}\\*?\\s*=\\s*(?:"((?:[^"\\\\]|\\\\.)*)"|([^;\\s]+))`, 'i');
  const m = re.exec(value);
  if (!m) return undefined;
  return m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2];
}

function blankLine(text: string, from: number, to: number): { headerEnd: number; bodyStart: number } {
  const crlf = text.indexOf('\r\n\r\n', from);
  const lf = text.indexOf('\n\n', from);
  if (crlf >= 0 && crlf < to && (lf < 0 || crlf <= lf)) return { headerEnd: crlf, bodyStart: crlf + 4 };
  if (lf >= 0 && lf < to) return { headerEnd: lf, bodyStart: lf + 2 };
  return { headerEnd: to, bodyStart: to };
}

function parsePart(text: string, start: number, end: number, depth: number): MimePart {
  const { headerEnd, bodyStart } = blankLine(text, start, end);
  const header = text.slice(start, headerEnd);
  const ct = headerValue(header, 'content-type') ?? 'text/plain';
  const contentType = (ct.split(';')[0] ?? '').trim().toLowerCase() || 'text/plain';
  const cd = headerValue(header, 'content-disposition') ?? '';
  const part: MimePart = {
    start,
    bodyStart,
    end,
    header,
    contentType,
    children: [],
    disposition: (cd.split(';')[0] ?? '').trim().toLowerCase(),
    encoding: (headerValue(header, 'content-transfer-encoding') ?? '7bit').toLowerCase(),
    charset: (param(ct, 'charset') ?? 'us-ascii').toLowerCase(),
    filename: param(cd, 'filename') ?? param(ct, 'name'),
  };
  const boundary = contentType.startsWith('multipart/') ? param(ct, 'boundary') : undefined;
  if (boundary && depth < MAX_DEPTH) {
    part.boundary = boundary;
    const delimiter = `--${boundary}`;
    // Delimiter lines: at a line start, followed by "--" (close) or white space to the end of line.
    let pos = bodyStart;
    let childStart = -1;
    for (;;) {
      const at = text.indexOf(delimiter, pos);
      if (at < 0 || at >= end) break;
      const lineStart = at === 0 || text[at - 1] === '\n';
      const after = at + delimiter.length;
      const closing = text.startsWith('--', after);
      const eol = text.indexOf('\n', after);
      const rest = text.slice(closing ? after + 2 : after, eol < 0 ? end : eol).trim();
      if (!lineStart || rest !== '') {
        pos = after;
        continue;
      }
      if (childStart >= 0) {
        // the CRLF before the delimiter belongs to the delimiter
        let childEnd = at;
        if (text[childEnd - 1] === '\n') childEnd--;
        if (text[childEnd - 1] === '\r') childEnd--;
        part.children.push(parsePart(text, childStart, Math.max(childStart, childEnd), depth + 1));
      }
      if (closing) break;
      childStart = eol < 0 ? end : eol + 1;
      pos = childStart;
    }
  }
  return part;
}

export function parseMimeTree(raw: Buffer): { text: string; root: MimePart } {
  const text = raw.toString('latin1');
  return { text, root: parsePart(text, 0, text.length, 0) };
}

export function* leaves(part: MimePart): Generator<MimePart> {
  if (part.children.length === 0) {
    yield part;
    return;
  }
  for (const c of part.children) yield* leaves(c);
}

/** The decoded bytes of a leaf part's body. */
export function decodeBody(text: string, part: MimePart): Buffer {
  // The scanner's decoder, so the bytes (and their sha256) are the ones the facts describe.
  return decodeTransfer(Buffer.from(text.slice(part.bodyStart, part.end), 'latin1'), part.encoding);
}
