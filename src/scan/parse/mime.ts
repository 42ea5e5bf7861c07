// The MIME tree walk. Every entity is read from a view of the raw message (no copies), and where
// a message can be read in more than one way the walk follows every reading a client could take:
// each Content-Type header (first and last differ), each boundary parameter (and "boundary=" in
// odd places), parts after a closing delimiter. Parts seen by several readings are reported once.
import type { Budget } from './budget.js';
import { hasBlankishLine, headerValues, readHeaderBlock, type RawHeader } from './headers.js';
import { boundaryCandidates, parseStructured, type StructuredValue } from './params.js';
import { decodeTransfer } from './transfer.js';

/** A leaf entity: something with content (text, attachment, or an attached message). */
export interface MimeLeaf {
  id: string;
  headers: RawHeader[];
  /** Every plausible content type, the one most clients use first. */
  types: string[];
  charset?: string;
  /** Every Content-Transfer-Encoding given (lower case), first first; ["7bit"] when none. */
  encodings: string[];
  /** "attachment", "inline" or "" when there is no Content-Disposition. */
  disposition: string;
  /** Decoded names from filename= and name= (RFC 2231/2047), disposition first. */
  names: string[];
  /** Raw (still transfer-encoded) body. */
  body: Buffer;
  /** The attached message (message/rfc822 part) this leaf is inside, if any. */
  inMessage?: string;
}

export interface MimeWalk {
  /** The top-level header block. */
  headers: RawHeader[];
  leaves: MimeLeaf[];
  /** message/rfc822 leaves whose inner entity was walked: their id → inner leaf ids. */
  messageChildren: Map<string, string[]>;
}

const TYPE_RE = /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+/;

interface Delimiter {
  /** Start of the line break before "--boundary" (end of the previous part). */
  before: number;
  /** Start of the next line (beginning of the part after it). */
  after: number;
  close: boolean;
}

/** Every "--boundary" delimiter line in the body, in order. */
function delimiters(body: Buffer, boundary: string): Delimiter[] {
  const marker = Buffer.from(`--${boundary}`, 'latin1');
  const out: Delimiter[] = [];
  for (let at = body.indexOf(marker); at !== -1; at = body.indexOf(marker, at + marker.length)) {
    if (at > 0 && body[at - 1] !== 0x0a) continue;
    let p = at + marker.length;
    let close = false;
    if (body[p] === 0x2d && body[p + 1] === 0x2d) {
      close = true;
      p += 2;
    }
    // Only transport padding may follow the boundary (so "--abc" is no delimiter for "--ab").
    while (body[p] === 0x20 || body[p] === 0x09) p++;
    if (p < body.length && body[p] !== 0x0d && body[p] !== 0x0a) continue;
    if (body[p] === 0x0d) p++;
    if (body[p] === 0x0a) p++;
    let before = at;
    if (before > 0 && body[before - 1] === 0x0a) before--;
    if (before > 0 && body[before - 1] === 0x0d) before--;
    out.push({ before, after: p, close });
  }
  return out;
}

/** Part ranges of one reading: between delimiters, skipping preamble and epilogues. */
function splitParts(body: Buffer, boundary: string): [number, number][] {
  const ds = delimiters(body, boundary);
  const parts: [number, number][] = [];
  for (let i = 0; i < ds.length; i++) {
    const d = ds[i] as Delimiter;
    if (d.close) continue; // what follows a closing delimiter is epilogue (unless another delimiter)
    const next = ds[i + 1];
    parts.push([d.after, next ? Math.max(d.after, next.before) : body.length]);
  }
  return parts;
}

function firstParam(values: StructuredValue[], name: string): string | undefined {
  for (const v of values) {
    const p = v.params.get(name)?.[0];
    if (p !== undefined && p !== '') return p;
  }
  return undefined;
}

function unique(list: string[]): string[] {
  return [...new Set(list.filter((s) => s !== ''))];
}

export function walkMime(raw: Buffer, budget: Budget): MimeWalk {
  const limits = budget.limits;
  const leaves: MimeLeaf[] = [];
  const messageChildren = new Map<string, string[]>();
  let topHeaders: RawHeader[] = [];

  // Explicit work list instead of recursion: the depth limit is a setting, not the JS stack.
  interface Job {
    buf: Buffer;
    /** Id the entity has when it is a leaf ("1" for a single-part message). */
    leafId: string;
    /** Prefix of its children's ids ("" at the top, "2/" for part 2). */
    childPrefix: string;
    depth: number;
    defaultType: string;
    inMessage?: string;
    top?: boolean;
    /** Read with a whitespace-only line ending the header block. */
    blankish?: boolean;
  }
  const stack: Job[] = [
    { buf: raw, leafId: '1', childPrefix: '', depth: 0, defaultType: 'text/plain', top: true },
  ];

  while (stack.length > 0) {
    if (budget.expired()) break;
    const job = stack.pop() as Job;
    if (++budget.mimeParts > limits.maxMimeParts) {
      budget.raise('malformed', `more than ${limits.maxMimeParts} MIME parts; the rest was not read`);
      break;
    }
    const block = readHeaderBlock(
      job.buf,
      limits.maxHeaderCount,
      limits.maxHeaderSize,
      job.blankish === true,
    );
    if (block.truncated) {
      budget.raise(
        'malformed',
        `header block over ${limits.maxHeaderCount} fields or ${limits.maxHeaderSize} bytes`,
      );
    }
    if (job.top && !job.blankish) topHeaders = block.headers;
    // A whitespace-only line in the headers: folding to some readers, the end of the headers
    // to others. The second reading is walked as well, under ids of its own.
    const alternative: Job[] = [];
    if (!job.blankish && hasBlankishLine(job.buf, block)) {
      alternative.push({
        ...job,
        blankish: true,
        leafId: `${job.leafId}~ws`,
        childPrefix: `${job.childPrefix}ws.`,
      });
    }
    const body = job.buf.subarray(block.bodyStart);

    const ctRaw = headerValues(block.headers, 'content-type');
    const cts = ctRaw.map((v) => parseStructured(v));
    // The leading type/subtype token, even when a ";" is missing after it.
    let types = unique(cts.map((c) => TYPE_RE.exec(c.value)?.[0] ?? ''));
    if (types.length === 0) types = [job.defaultType];
    const myId = job.leafId;

    const multipart = types.filter((t) => t.startsWith('multipart/'));
    const others = types.filter((t) => !t.startsWith('multipart/'));
    const childJobs: Job[] = [];
    let splitAny = false;
    if (multipart.length > 0) {
      if (job.depth >= limits.maxMimeDepth) {
        budget.raise('malformed', `MIME nesting deeper than ${limits.maxMimeDepth}`);
      } else {
        const seen = new Set<string>();
        const childDefault = multipart.includes('multipart/digest') ? 'message/rfc822' : 'text/plain';
        let k = 0;
        for (const boundary of boundaryCandidates(ctRaw)) {
          for (const [s, e] of splitParts(body, boundary)) {
            splitAny = true;
            const key = `${s}:${e}`;
            if (seen.has(key)) continue;
            seen.add(key);
            const id = `${job.childPrefix}${++k}`;
            childJobs.push({
              buf: body.subarray(s, e),
              leafId: id,
              childPrefix: `${id}/`,
              depth: job.depth + 1,
              defaultType: childDefault,
              ...(job.inMessage !== undefined ? { inMessage: job.inMessage } : {}),
            });
          }
        }
        // An empty multipart (a truncated copy) hides nothing; text without delimiters may.
        if (!splitAny && /[^\s]/.test(body.toString('latin1', 0, Math.min(body.length, 4096)))) {
          budget.raise('malformed', `multipart${job.top ? '' : ` part ${myId}`} without its boundary`);
        }
      }
    }
    // The entity is also a leaf when a reading takes it as one (no usable multipart reading, or
    // a second Content-Type that is not multipart).
    const leafTypes = splitAny ? others : others.length > 0 ? others : ['text/plain'];
    if (leafTypes.length > 0) {
      const dispositions = headerValues(block.headers, 'content-disposition').map((v) => parseStructured(v));
      const charset = firstParam(cts, 'charset');
      const names = unique([
        ...dispositions.flatMap((d) => d.params.get('filename') ?? []),
        ...cts.flatMap((c) => c.params.get('name') ?? []),
      ]).map((n) => n.trim());
      const encodings = unique(
        headerValues(block.headers, 'content-transfer-encoding').map(
          (v) =>
            v
              .trim()
              .toLowerCase()
              .split(/[\s;(]/)[0] ?? '',
        ),
      );
      const leaf: MimeLeaf = {
        id: myId,
        headers: block.headers,
        types: leafTypes,
        encodings: encodings.length > 0 ? encodings : ['7bit'],
        disposition: dispositions[0]?.value ?? '',
        names: unique(names),
        body,
      };
      if (charset !== undefined) leaf.charset = charset;
      if (job.inMessage !== undefined) leaf.inMessage = job.inMessage;
      leaves.push(leaf);
      // An attached message is walked too: its parts are what the recipient can open.
      // So is an .eml file sent as application/octet-stream: mail clients open it as a message.
      const isMessage =
        leafTypes.some((t) => t === 'message/rfc822' || t === 'message/global') ||
        leaf.names.some((n) => /\.eml$/i.test(n));
      if (isMessage) {
        if (job.depth >= limits.maxMimeDepth) {
          budget.raise('malformed', `MIME nesting deeper than ${limits.maxMimeDepth}`);
        } else {
          messageChildren.set(myId, []);
          // Base64 or QP around a message is not allowed, but clients decode it: so do we.
          const inner = decodeTransfer(body, leaf.encodings[0] as string);
          childJobs.push({
            buf: inner,
            leafId: `${myId}/1`,
            childPrefix: `${myId}/`,
            depth: job.depth + 1,
            defaultType: 'text/plain',
            inMessage: myId,
          });
        }
      }
    }
    // Children in document order (then the alternative reading): pushed reversed onto the stack.
    childJobs.push(...alternative);
    for (let i = childJobs.length - 1; i >= 0; i--) stack.push(childJobs[i] as Job);
  }
  for (const leaf of leaves) {
    if (leaf.inMessage !== undefined) messageChildren.get(leaf.inMessage)?.push(leaf.id);
  }
  return { headers: topHeaders, leaves, messageChildren };
}
