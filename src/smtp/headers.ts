// Reads Message-ID and Subject out of the header block while the message streams past, so the
// envelope can carry them (tracking log, queue views) without a second read from disk.

/** Header bytes kept at most; a header block beyond this is read only up to here. */
export const HEADER_SCAN_LIMIT = 64 * 1024;
const MAX_VALUE = 998;

export interface HeaderFields {
  messageId?: string;
  subject?: string;
}

export class HeaderScanner {
  /** True once the end of the header block (or the scan limit) has been seen. */
  done = false;
  private buf: Buffer | undefined;
  private headerEnd = -1;

  /** Feeds the next chunk of the message; cheap no-op once done. */
  push(chunk: Buffer): void {
    if (this.done) return;
    const prev = this.buf ? this.buf.length : 0;
    // Most header blocks arrive in the first chunk, which is then kept without copying.
    const buf = this.buf ? Buffer.concat([this.buf, chunk], prev + chunk.length) : chunk;
    this.buf = buf;
    // A message starting with an empty line has no header fields.
    if (prev === 0 && (buf[0] === 0x0a || (buf[0] === 0x0d && buf[1] === 0x0a))) {
      this.finish(0);
      return;
    }
    // Look for LF followed by LF or CRLF; start a little before the new bytes for split endings.
    for (let i = buf.indexOf(0x0a, Math.max(0, prev - 2)); i >= 0; i = buf.indexOf(0x0a, i + 1)) {
      const next = buf[i + 1];
      if (next === 0x0a || (next === 0x0d && buf[i + 2] === 0x0a)) {
        this.finish(i + 1);
        return;
      }
      if (next === undefined || (next === 0x0d && buf[i + 2] === undefined)) break;
    }
    if (buf.length >= HEADER_SCAN_LIMIT) this.finish(HEADER_SCAN_LIMIT);
  }

  private finish(end: number): void {
    this.done = true;
    this.headerEnd = end;
  }

  /** The fields found so far (call after the message ended or done is true). */
  fields(): HeaderFields {
    if (!this.buf) return {};
    const end = this.headerEnd >= 0 ? this.headerEnd : Math.min(this.buf.length, HEADER_SCAN_LIMIT);
    return parseFields(this.buf.subarray(0, end).toString('utf8'));
  }
}

/** Finds the first Message-ID and Subject in a header block, unfolded and trimmed. */
export function parseFields(block: string): HeaderFields {
  const out: HeaderFields = {};
  const lines = block.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    if (name !== 'subject' && name !== 'message-id') continue;
    let value = line.slice(colon + 1);
    // Continuation lines start with white space (RFC 5322 §2.2.3 folding).
    while (i + 1 < lines.length && /^[ \t]/.test(lines[i + 1] ?? '')) value += lines[++i];
    value = value.trim().slice(0, MAX_VALUE);
    if (name === 'subject') out.subject ??= value;
    else out.messageId ??= value;
    if (out.subject !== undefined && out.messageId !== undefined) break;
  }
  return out;
}
