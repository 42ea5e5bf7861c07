// Carries out a rule's "modify" actions on the raw message: header changes, a subject tag,
// a stamp in the text and HTML bodies, and attachments replaced by a note. Parts that are
// not changed keep their bytes exactly.
import { createHash } from 'node:crypto';
import type { ModifyAction } from '../policy/decision.js';
import { decodeBody, headerValue, leaves, parseMimeTree, type MimePart } from './mime-tree.js';

const CRLF = '\r\n';

/** Encodes a header value as RFC 2047 when it is not plain ASCII; returns latin1 text. */
export function encodeHeaderText(value: string): string {
  const clean = value.replace(/[\r\n]+/g, ' ');
  if (/^[\x20-\x7e]*$/.test(clean)) return clean;
  return `=?UTF-8?B?${Buffer.from(clean, 'utf8').toString('base64')}?=`;
}

function base64Lines(data: Buffer): string {
  return (data.toString('base64').match(/.{1,76}/g) ?? []).join(CRLF);
}

/** Replaces (or with value undefined, removes) every occurrence of a header field in a header block. */
export function setHeaderField(header: string, name: string, value: string | undefined): string {
  const lines = header.split(/\r?\n/);
  const out: string[] = [];
  const lower = name.toLowerCase();
  let skipping = false;
  let replaced = false;
  for (const line of lines) {
    if (/^[ \t]/.test(line) && skipping) continue;
    const colon = line.indexOf(':');
    const field = colon > 0 ? line.slice(0, colon).trim().toLowerCase() : '';
    skipping = field === lower;
    if (skipping) {
      if (value !== undefined && !replaced) {
        out.push(`${name}: ${value}`);
        replaced = true;
      }
      continue;
    }
    out.push(line);
  }
  if (value !== undefined && !replaced) out.push(`${name}: ${value}`);
  return out.filter((l, i) => l !== '' || i < out.length - 1).join(CRLF);
}

function decodeText(bytes: Buffer, charset: string): string {
  try {
    return new TextDecoder(charset === 'us-ascii' ? 'utf-8' : charset).decode(bytes);
  } catch {
    return bytes.toString('latin1');
  }
}

function isBodyText(p: MimePart): boolean {
  return (
    (p.contentType === 'text/plain' || p.contentType === 'text/html') &&
    p.disposition !== 'attachment' &&
    !p.filename
  );
}

type Stamp = Extract<ModifyAction, { type: 'stamp' }>;

/** Decodes a body text part, adds every stamp, and returns it as UTF-8 base64 with the headers it needs. */
function stampedPart(text: string, part: MimePart, stamps: Stamp[]): { header: string; body: string } {
  let body = decodeText(decodeBody(text, part), part.charset);
  for (const stamp of stamps) {
    if (part.contentType === 'text/html') {
      const html = stamp.html ?? `<p>${escapeHtml(stamp.text).replace(/\n/g, '<br>')}</p>`;
      if (stamp.position === 'top') {
        const m = /<body[^>]*>/i.exec(body);
        body = m
          ? body.slice(0, m.index + m[0].length) + html + body.slice(m.index + m[0].length)
          : html + body;
      } else {
        const at = body.search(/<\/body>/i);
        body = at >= 0 ? body.slice(0, at) + html + body.slice(at) : body + html;
      }
    } else {
      const t = stamp.text.replace(/\r?\n/g, CRLF);
      body =
        stamp.position === 'top'
          ? `${t}${CRLF}${CRLF}${body}`
          : `${body.replace(/\s*$/, '')}${CRLF}${CRLF}${t}${CRLF}`;
    }
  }
  let header = setHeaderField(part.header, 'Content-Type', `${part.contentType}; charset=utf-8`);
  header = setHeaderField(header, 'Content-Transfer-Encoding', 'base64');
  return { header, body: base64Lines(Buffer.from(body, 'utf8')) };
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] ?? c);
}

const NOTE_HEADER = ['Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: base64'];

function notePart(note: string): { header: string; body: string } {
  return {
    header: [...NOTE_HEADER, 'Content-Disposition: inline'].join(CRLF),
    body: base64Lines(Buffer.from(note, 'utf8')),
  };
}

export interface ModifyContext {
  /** sha256 (hex) of each attachment id's decoded content, and its name, from the facts. */
  attachments: Map<string, { sha256: string; name?: string; parent?: string }>;
}

/** The top-level MIME part (depth 0) that contains an attachment, found through its parents. */
function topLevel(id: string, ctx: ModifyContext): { sha256: string; name?: string } | undefined {
  let a = ctx.attachments.get(id);
  while (a?.parent) a = ctx.attachments.get(a.parent);
  return a;
}

export function applyModifications(raw: Buffer, actions: ModifyAction[], ctx: ModifyContext): Buffer {
  if (actions.length === 0) return raw;
  const { text, root } = parseMimeTree(raw);

  // Attachments to strip, by the content hash of their top-level MIME part.
  const strip = new Map<string, string>(); // sha256 -> note
  for (const a of actions) {
    if (a.type !== 'stripAttachments') continue;
    for (const id of a.attachments) {
      const top = topLevel(id, ctx);
      if (top) strip.set(top.sha256, a.note.replace(/%FILENAME%/g, top.name ?? id));
    }
  }
  const stamps = actions.filter((a): a is Stamp => a.type === 'stamp');

  // New header and body for each changed leaf part.
  const replaced = new Map<MimePart, { header: string; body: string }>();
  const stampedKinds = new Set<string>();
  for (const part of leaves(root)) {
    if (strip.size > 0) {
      const note = strip.get(createHash('sha256').update(decodeBody(text, part)).digest('hex'));
      if (note !== undefined) {
        replaced.set(part, notePart(note));
        continue;
      }
    }
    // the first plain and the first HTML body (both alternatives) get the stamps
    if (stamps.length > 0 && isBodyText(part) && !stampedKinds.has(part.contentType)) {
      stampedKinds.add(part.contentType);
      replaced.set(part, stampedPart(text, part, stamps));
    }
  }

  // Top-level header edits; a single-part message's own content headers come from its replacement.
  let header = root.header;
  const rootReplacement = replaced.get(root);
  if (rootReplacement) {
    for (const name of ['Content-Type', 'Content-Transfer-Encoding', 'Content-Disposition']) {
      header = setHeaderField(header, name, headerValue(rootReplacement.header, name));
    }
  }
  for (const a of actions) {
    if (a.type === 'removeHeader') header = setHeaderField(header, a.name, undefined);
    else if (a.type === 'addHeader') header = `${a.name}: ${encodeHeaderText(a.value)}${CRLF}${header}`;
    else if (a.type === 'tagSubject') {
      const current = headerValue(header, 'subject');
      const tag = encodeHeaderText(a.text);
      header = setHeaderField(header, 'Subject', current === undefined ? tag : `${tag} ${current}`);
    }
  }

  let body: string;
  if (rootReplacement) body = rootReplacement.body;
  else {
    body = text.slice(root.bodyStart);
    const edits = [...replaced.entries()].sort(([x], [y]) => y.start - x.start);
    for (const [part, r] of edits) {
      const s = part.start - root.bodyStart;
      const e = part.end - root.bodyStart;
      body = `${body.slice(0, s)}${r.header}${CRLF}${CRLF}${r.body}${body.slice(e)}`;
    }
  }
  const separator = text.slice(root.start + root.header.length, root.bodyStart) || `${CRLF}${CRLF}`;
  return Buffer.from(header + separator + body, 'latin1');
}
