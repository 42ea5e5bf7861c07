// PDF JavaScript: a /JavaScript or /JS name anywhere in the file, written plainly or with
// "#4A"-style hex escapes, and inside compressed object streams (/ObjStm), where PDF 1.5+ files
// keep their dictionaries.

const PLAIN_RE = /\/J(?:S|avaScript)(?![A-Za-z0-9#._-])/;
const ESCAPED_RE = /\/(?:[A-Za-z0-9._-]|#[0-9A-Fa-f]{2})*#[0-9A-Fa-f]{2}(?:[A-Za-z0-9._-]|#[0-9A-Fa-f]{2})*/g;

function unescapeName(name: string): string {
  return name.replace(/#([0-9A-Fa-f]{2})/g, (_all, h: string) => String.fromCharCode(parseInt(h, 16)));
}

/** True when the text (latin1 of PDF bytes) names JavaScript. */
export function namesJavascript(text: string): boolean {
  if (PLAIN_RE.test(text)) return true;
  if (!text.includes('#')) return false;
  for (const m of text.matchAll(ESCAPED_RE)) {
    const n = unescapeName(m[0]);
    if (n === '/JS' || n === '/JavaScript') return true;
  }
  return false;
}

/** The compressed object streams of a PDF (their raw, still deflated bytes), at most `max`. */
export function objectStreams(buf: Buffer, text: string, max: number): Buffer[] {
  const out: Buffer[] = [];
  // No "ObjStm" (plain or hex-escaped) anywhere: nothing to look for.
  if (!text.includes('ObjStm') && !text.includes('#')) return out;
  const re = /stream\r?\n/g;
  for (let m = re.exec(text); m && out.length < max; m = re.exec(text)) {
    if (text.slice(m.index - 3, m.index) === 'end') continue;
    // The dictionary is looked for in a window before "stream" only: bounded work per stream.
    const window = text.slice(Math.max(0, m.index - 1024), m.index);
    const dictStart = window.lastIndexOf('<<');
    if (dictStart === -1) continue;
    const dict = unescapeName(window.slice(dictStart));
    if (!dict.includes('/ObjStm') || !dict.includes('/FlateDecode')) continue;
    const start = m.index + m[0].length;
    const end = text.indexOf('endstream', start);
    if (end === -1) break; // no stream after this one can end either
    out.push(buf.subarray(start, end));
    re.lastIndex = end;
  }
  return out;
}
