// The part of a message the spam text model reads: its first bytes as they reached this gateway.
// Header fields written after Sekimori received the message (its own Received line and what
// mailbox servers add above it) and its X-Sekimori-* verdict headers are left out, so a
// message learned from a user's mailbox or from quarantine looks as it did when it was scored.
// Only the topmost Sekimori line counts: ours is always above anything the sender wrote, so a
// forged one further down cannot hide the sender's own headers from the model.

/** Bytes of the message the model reads (Sculley and Wachman's 3,000). */
export const HEAD_BYTES = 3000;

const OUR_RECEIVED = /^received:[^]*\(Sekimori\) with /i;
const OUR_HEADER = /^x-sekimori-/i;

/** Splits a header block into whole fields (a field with its folded continuation lines). */
function headerFields(header: string): string[] {
  const fields: string[] = [];
  for (const line of header.split(/(?<=\n)/)) {
    if ((line.startsWith(' ') || line.startsWith('\t')) && fields.length > 0)
      fields[fields.length - 1] += line;
    else fields.push(line);
  }
  return fields;
}

export function messageHead(raw: Buffer): string {
  // Only the header block and what fits after it are read; latin1 maps every byte to one char.
  const text = raw.toString('latin1', 0, Math.min(raw.length, 64 * 1024 + HEAD_BYTES));
  const end = /\r?\n\r?\n/.exec(text);
  const headerEnd = end ? end.index + end[0].length : text.length;
  const fields = headerFields(text.slice(0, headerEnd));
  const first = fields.findIndex((f) => OUR_RECEIVED.test(f)) + 1;
  const kept = fields.slice(first).filter((f) => !OUR_HEADER.test(f));
  return (kept.join('') + text.slice(headerEnd)).slice(0, HEAD_BYTES);
}
