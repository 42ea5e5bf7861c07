// HTML to the text a reader sees: scripts, styles and comments dropped, block elements as line
// breaks, entities decoded, whitespace collapsed. One linear pass (regex with lastIndex), no
// DOM and no recursion, so deeply nested or huge markup costs time in proportion to its size.

const NAMED: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: '\u00a0',
  copy: '©',
  reg: '®',
  trade: '™',
  hellip: '…',
  mdash: '—',
  ndash: '–',
  lsquo: '‘',
  rsquo: '’',
  ldquo: '“',
  rdquo: '”',
  bull: '•',
  middot: '·',
  euro: '€',
  yen: '¥',
  pound: '£',
  cent: '¢',
  sect: '§',
  para: '¶',
  deg: '°',
  times: '×',
  divide: '÷',
  laquo: '«',
  raquo: '»',
  iexcl: '¡',
  iquest: '¿',
  shy: '\u00ad',
  zwnj: '\u200c',
  zwj: '\u200d',
  lrm: '\u200e',
  rlm: '\u200f',
  ensp: '\u2002',
  emsp: '\u2003',
  thinsp: '\u2009',
  colon: ':',
  sol: '/',
  period: '.',
  comma: ',',
  lpar: '(',
  rpar: ')',
  num: '#',
  excl: '!',
  quest: '?',
  equals: '=',
  plus: '+',
  dollar: '$',
  percnt: '%',
  commat: '@',
  lowbar: '_',
  tab: '\t',
  newline: '\n',
  auml: 'ä',
  ouml: 'ö',
  uuml: 'ü',
  Auml: 'Ä',
  Ouml: 'Ö',
  Uuml: 'Ü',
  szlig: 'ß',
  eacute: 'é',
  egrave: 'è',
  agrave: 'à',
  aacute: 'á',
  ccedil: 'ç',
  ntilde: 'ñ',
  oacute: 'ó',
  uacute: 'ú',
  iacute: 'í',
};

const ENTITY_RE = /&(?:#(\d{1,7})|#[xX]([0-9a-fA-F]{1,6})|([a-zA-Z][a-zA-Z0-9]{1,31}));?/g;

function codePoint(n: number): string {
  // Invalid and NUL code points become U+FFFD, as browsers do.
  if (n === 0 || n > 0x10ffff || (n >= 0xd800 && n <= 0xdfff)) return '\ufffd';
  return String.fromCodePoint(n);
}

export function decodeEntities(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(ENTITY_RE, (all, dec?: string, hex?: string, name?: string) => {
    if (dec) return codePoint(parseInt(dec, 10));
    if (hex) return codePoint(parseInt(hex, 16));
    return NAMED[name as string] ?? NAMED[(name as string).toLowerCase()] ?? all;
  });
}

const BLOCK = new Set(
  (
    'p div br li ul ol tr table h1 h2 h3 h4 h5 h6 blockquote pre hr section article header ' +
    'footer form dl dt dd center address title'
  ).split(' '),
);

const HIDDEN = new Set(['script', 'style', 'noscript', 'template', 'xml']);
const BREAK = '\u0001'; // block boundary marker: not whitespace, so it survives the collapsing
const BREAKS = new RegExp(` ?${BREAK}[${BREAK} ]*`, 'g');

/**
 * Renders HTML to plain text, stopping once `maxChars` characters of output are produced.
 * A hand-written scanner rather than a tag regex: every search starts where the last ended, so
 * markup built to make a regex backtrack ("<a<a<a..." with no ">") still costs linear time.
 */
export function htmlToText(html: string, maxChars = Infinity): string {
  const lower = html.toLowerCase();
  const out: string[] = [];
  let length = 0;
  let pos = 0;
  const text = (end: number) => {
    if (end > pos) {
      out.push(html.slice(pos, end));
      length += end - pos;
    }
  };
  while (pos < html.length && length < maxChars) {
    const lt = html.indexOf('<', pos);
    if (lt === -1) break;
    text(lt);
    pos = lt;
    if (lower.startsWith('<!--', lt)) {
      const end = html.indexOf('-->', lt + 4);
      pos = end === -1 ? html.length : end + 3;
      continue;
    }
    const m = /^<(\/?)([a-zA-Z][a-zA-Z0-9:-]*)/.exec(html.slice(lt, lt + 40));
    const next = html.indexOf('>', lt + 1);
    if (next === -1) break; // an unterminated tag: the rest is text
    if (!m) {
      if (html[lt + 1] === '!' || html[lt + 1] === '?' || html[lt + 1] === '/') pos = next + 1;
      else {
        text(lt + 1); // a lone "<" is text
        pos = lt + 1;
      }
      continue;
    }
    const tag = (m[2] as string).toLowerCase();
    pos = next + 1;
    if (!m[1] && HIDDEN.has(tag)) {
      const close = lower.indexOf(`</${tag}`, pos);
      if (close === -1) {
        pos = html.length;
        break;
      }
      const closeEnd = html.indexOf('>', close);
      pos = closeEnd === -1 ? html.length : closeEnd + 1;
      continue;
    }
    if (BLOCK.has(tag)) {
      out.push(BREAK);
      length++;
    } else if (tag === 'td' || tag === 'th') {
      out.push(' ');
      length++;
    }
  }
  if (length < maxChars) text(html.length);
  // Entities and whitespace once over the whole text; one line break between blocks.
  return decodeEntities(out.join('')).replace(/\s+/g, ' ').replace(BREAKS, '\n').trim().slice(0, maxChars);
}
