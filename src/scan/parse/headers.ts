// Splits an entity into its header block and body, and reads the header fields: unfolded,
// names lower-cased, values kept as latin1 strings of their raw bytes (decoded later, when the
// charset is known). Lenient the way mail clients are: a first line that starts with
// whitespace, a wrapped line that lost its indentation, "Name : value" and an mbox "From " line
// are all read, so the scanners see what a client would show.

export interface RawHeader {
  name: string;
  /** Unfolded value, raw bytes as a latin1 string, leading/trailing whitespace trimmed. */
  raw: string;
}

export interface HeaderBlock {
  headers: RawHeader[];
  /** Offset of the body in the entity (after the blank line), or the entity length. */
  bodyStart: number;
  /** The block had more fields, or more bytes, than allowed (the rest was not read). */
  truncated: boolean;
  /** The header block never ended with a blank line. */
  unterminated: boolean;
}

const NAME_RE = /^([\x21-\x39\x3b-\x7e]+(?:\s*\([^)]*\))?)[ \t]*:/;

/** Finds the blank line that ends the header block: "\n\n" or "\n\r\n" (or a leading one). */
function findBodyStart(
  buf: Buffer,
  maxBytes: number,
  blankish: boolean,
): { end: number; bodyStart: number } | undefined {
  if (buf[0] === 0x0a) return { end: 0, bodyStart: 1 };
  if (buf[0] === 0x0d && buf[1] === 0x0a) return { end: 0, bodyStart: 2 };
  const limit = Math.min(buf.length, maxBytes + 4);
  let pos = buf.indexOf(0x0a);
  while (pos !== -1 && pos < limit) {
    let p = pos + 1;
    // With `blankish`, a line of only spaces/tabs also ends the block (some clients' reading).
    if (blankish) while (buf[p] === 0x20 || buf[p] === 0x09) p++;
    if (buf[p] === 0x0a) return { end: pos + 1, bodyStart: p + 1 };
    if (buf[p] === 0x0d && buf[p + 1] === 0x0a) return { end: pos + 1, bodyStart: p + 2 };
    pos = buf.indexOf(0x0a, pos + 1);
  }
  return undefined;
}

/** Whether the header block has a line of only whitespace (read as a fold by some, an end by others). */
export function hasBlankishLine(buf: Buffer, block: HeaderBlock): boolean {
  const text = buf.toString('latin1', 0, Math.min(block.bodyStart, buf.length));
  return /\n[ \t]+\r?\n/.test(text);
}

export function readHeaderBlock(
  buf: Buffer,
  maxCount: number,
  maxBytes: number,
  blankish = false,
): HeaderBlock {
  const found = findBodyStart(buf, maxBytes, blankish);
  let truncated = false;
  let end: number;
  let bodyStart: number;
  if (found) {
    end = found.end;
    bodyStart = found.bodyStart;
  } else {
    // No blank line: the entity is all headers (or a body that lost its headers; see below).
    end = buf.length;
    bodyStart = buf.length;
  }
  if (end > maxBytes) {
    end = maxBytes;
    truncated = true;
  }
  const text = buf.toString('latin1', 0, end);
  const lines = text.split(/\r?\n/);
  const headers: RawHeader[] = [];
  let current: RawHeader | undefined;
  let first = true;
  for (const rawLine of lines) {
    const line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
    if (first && /^>?From /.test(line)) {
      first = false;
      continue; // mbox separator line
    }
    first = false;
    if (line === '') continue;
    const m = current && /^[ \t]/.test(line) ? null : NAME_RE.exec(line.replace(/^[ \t]+/, ''));
    if (m) {
      if (headers.length >= maxCount) {
        truncated = true;
        break;
      }
      const trimmed = line.replace(/^[ \t]+/, '');
      const name = (m[1] as string).replace(/\s*\([^)]*\)$/, '').toLowerCase();
      current = { name, raw: trimmed.slice(m[0].length) };
      headers.push(current);
    } else if (current) {
      // A folded line, or a wrapped line that lost its indentation: both continue the field.
      current.raw += line.startsWith(' ') || line.startsWith('\t') ? line : ` ${line}`;
    }
  }
  for (const h of headers) h.raw = h.raw.replace(/^[ \t]+|[ \t]+$/g, '');
  // A block with no field at all and no blank line is a body without headers.
  if (!found && headers.length === 0) return { headers, bodyStart: 0, truncated, unterminated: true };
  return { headers, bodyStart, truncated, unterminated: !found };
}

/** Every raw value of the named field, in order. */
export function headerValues(headers: RawHeader[], name: string): string[] {
  const out: string[] = [];
  for (const h of headers) if (h.name === name) out.push(h.raw);
  return out;
}
