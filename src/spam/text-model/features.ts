// What the text model sees of a message: every run of five characters of its head and every
// token the Bayesian tokenizer found, hashed into 2^18 slots. Character runs catch what word
// tokens miss (header layouts, encodings, markup habits, obfuscated words); the word tokens
// bring the decoded text of the whole message.

export const FEATURE_BITS = 18;
const MASK = (1 << FEATURE_BITS) - 1;

function fnv1a(s: string, start: number, end: number, seed = 2166136261): number {
  let h = seed;
  for (let i = start; i < end; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return h >>> 0;
}

/** Word tokens hash apart from character runs that happen to spell them. */
const TOKEN_SEED = fnv1a('token:', 0, 6);

/** Marks slots already taken while one message's features are collected (cleared after). */
const seen = new Uint8Array(1 << FEATURE_BITS);

/** Characters in a run: five did better than three or four on the SpamAssassin corpus. */
const GRAM = 5;

/**
 * The distinct feature slots of a message, in no particular order: FNV-1a of each run of GRAM
 * characters of the head, and of each word token.
 */
export function textFeatures(head: string, tokens: Iterable<string>): Uint32Array {
  const words = [...tokens];
  const slots = new Uint32Array(Math.max(0, head.length - GRAM + 1) + words.length);
  let n = 0;
  const add = (slot: number) => {
    if (seen[slot] === 0) {
      seen[slot] = 1;
      slots[n++] = slot;
    }
  };
  for (let i = 0; i + GRAM <= head.length; i++) add(fnv1a(head, i, i + GRAM) & MASK);
  for (const w of words) add(fnv1a(w, 0, w.length, TOKEN_SEED) & MASK);
  const out = slots.slice(0, n);
  for (const slot of out) seen[slot] = 0;
  return out;
}

/** Slots sorted, as varint gaps: a message's 1,000–4,000 features in a few kilobytes. */
export function encodeFeatures(features: Uint32Array): Buffer {
  const out = Buffer.allocUnsafe(features.length * 3);
  let n = 0;
  let prev = 0;
  for (const f of Uint32Array.from(features).sort()) {
    let gap = f - prev;
    prev = f;
    while (gap >= 0x80) {
      out[n++] = (gap & 0x7f) | 0x80;
      gap >>>= 7;
    }
    out[n++] = gap;
  }
  return Buffer.from(out.subarray(0, n));
}

export function decodeFeatures(buf: Uint8Array): Uint32Array {
  const out: number[] = [];
  let prev = 0;
  let i = 0;
  while (i < buf.length) {
    let gap = 0;
    let shift = 0;
    let b: number;
    do {
      b = buf[i++] as number;
      gap |= (b & 0x7f) << shift;
      shift += 7;
    } while (b & 0x80 && i < buf.length);
    prev += gap;
    out.push(prev);
  }
  return Uint32Array.from(out);
}
