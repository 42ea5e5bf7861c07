// URLs a reader could follow: link targets in HTML (href, src, form actions, meta refresh, CSS
// url()) and bare "http://", "https://", "ftp://" and "www." forms in text. Normalised enough to
// de-duplicate (lower-case scheme and host, tabs/newlines that browsers ignore removed).
import { decodeEntities } from './html.js';

const BARE_RE = /\b(?:(?:https?|ftp):\/\/|www\.)[A-Za-z0-9\-._~:/?#[\]@!$&'*+,;=%]+/gi;
// Quoted values are bounded so an unclosed quote cannot make each match scan to the end.
const ATTR_RE =
  /\b(?:href|src|action|formaction|background|poster|data|cite|longdesc|lowsrc|dynsrc)\s*=\s*(?:"([^"]{0,4096})"|'([^']{0,4096})'|([^\s>"']{1,4096}))/gi;
const CSS_RE = /url\(\s*["']?([^"')\s]+)["']?\s*\)/gi;
const REFRESH_RE =
  /http-equiv\s*=\s*["']?refresh["']?[^>]{0,300}?content\s*=\s*["'][^"']{0,100}?url\s*=\s*([^"'\s>]{1,4096})/gi;

/** A link target in the form kept in the facts, or undefined when it is not a web URL. */
export function normalizeUrl(raw: string): string | undefined {
  // eslint-disable-next-line no-control-regex
  let u = raw.replace(/[\t\r\n\x00]/g, '').trim();
  u = u.replace(/[.,;:!?)\]}'>]+$/, '');
  if (u.startsWith('//')) u = `http:${u}`;
  const m = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\/([^/?#]*)(.*)$/s.exec(u);
  if (!m) {
    if (/^www\.[a-z0-9-]+\.[a-z0-9.-]+/i.test(u)) return normalizeUrl(`http://${u}`);
    return undefined;
  }
  const scheme = (m[1] as string).toLowerCase();
  if (scheme !== 'http' && scheme !== 'https' && scheme !== 'ftp') return undefined;
  const host = (m[2] as string).toLowerCase();
  if (host === '' || host.length > 300) return undefined;
  return `${scheme}://${host}${m[3]}`;
}

export class UrlCollector {
  private readonly seen = new Set<string>();
  /** Raw forms already handled: the same link repeated in a newsletter is normalised once. */
  private readonly rawSeen = new Set<string>();
  readonly urls: string[] = [];
  constructor(private readonly max: number) {}

  get full(): boolean {
    return this.urls.length >= this.max;
  }

  add(raw: string): void {
    if (this.full || this.rawSeen.has(raw)) return;
    if (this.rawSeen.size < 100_000) this.rawSeen.add(raw);
    const u = normalizeUrl(raw);
    if (u === undefined || this.seen.has(u)) return;
    this.seen.add(u);
    this.urls.push(u);
  }

  fromText(text: string): void {
    for (const m of text.matchAll(BARE_RE)) {
      if (this.full) return;
      this.add(m[0]);
    }
  }

  fromHtml(html: string): void {
    for (const re of [ATTR_RE, REFRESH_RE, CSS_RE]) {
      for (const m of html.matchAll(re)) {
        if (this.full) return;
        const v = m[1] ?? m[2] ?? m[3];
        if (v) this.add(decodeEntities(v));
      }
    }
  }
}
