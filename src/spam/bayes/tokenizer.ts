// The Bayesian classifier's view of a message: a set of tokens (each counted once per message,
// as SpamBayes does). Text is normalised (NFKC, lower case) and split on white space like
// SpamBayes; pairs of neighbouring body words are tokens too ("click here", "remove you"), and
// words written in capitals keep their case as SpamAssassin's tokenizer does ("FREE" is not
// "free"); runs of Japanese/Chinese go to character bigrams (japanese.ts). Headers give
// prefixed tokens ("subject:…", "from:addr:…", a few whole values such as X-Mailer, the layout
// of Date, Message-ID and the MIME boundary, the relays' IP prefixes), URLs their host parts,
// HTML the tricks used to hide text. Headers that mail stores and filters add after
// delivery (Delivered-To, X-Spam-*, X-Keywords…) are never read: they say nothing about the
// sender, and a gateway never sees them.
import type { Facts } from '../../scan/facts.js';
import { CJK_RUN, cjkTokens } from './japanese.js';

// CJK_RUN is global (for matchAll); a test needs a regex without lastIndex state.
const CJK_RUN_TEST = new RegExp(CJK_RUN.source, 'u');

/** Text read per message: beyond it spam only repeats itself, and time stays bounded. */
const MAX_TEXT = 100_000;
const MIN_WORD = 3;
const MAX_WORD = 12;

// Headers whose whole (shortened) value is a good token.
const VALUE_HEADERS = [
  'x-mailer',
  'user-agent',
  'x-priority',
  'x-msmail-priority',
  'importance',
  'precedence',
  'mime-version',
  'content-transfer-encoding',
  'x-mimeole',
];

const norm = (s: string) => s.normalize('NFKC').toLowerCase();

/** Buckets a count on a log scale so "12 recipients" and "13 recipients" are one token. */
const bucket = (n: number) => (n <= 0 ? 0 : 2 ** Math.round(Math.log2(n)));

const TRIM_RE = /^[\s"'`()[\]{}<>«»“”‘’,;:]+|[\s"'`()[\]{}<>«»“”‘’,;:.]+$/gu;
const EMAIL_RE = /^[^\s@]+@[a-z0-9.-]+\.[a-z]{2,}$/;

/** One white-space separated word of Latin text. */
function wordTokens(word: string, prefix: string, out: Set<string>): void {
  const w = word.replace(TRIM_RE, '');
  const n = [...w].length;
  if (n < MIN_WORD) return;
  if (n <= MAX_WORD) {
    out.add(`${prefix}${w}`);
    return;
  }
  if (EMAIL_RE.test(w)) {
    const [local, domain] = w.split('@') as [string, string];
    out.add(`${prefix}email name:${local.slice(0, MAX_WORD)}`);
    for (const part of domain.split('.')) if (part) out.add(`${prefix}email addr:${part}`);
    return;
  }
  // Long words are mostly encodings and garbage; their shape still tells something.
  out.add(`${prefix}skip:${w[0]} ${Math.floor(n / 10) * 10}`);
}

const SHOUTED_RE = /\b[A-Z][A-Z!$]{2,11}\b/g;

/**
 * Words in capitals, before lower-casing (after NFKC, so full-width "ＦＲＥＥ" is "FREE"): spam
 * shouts ("FREE", "ACT NOW!"), ham rarely does.
 */
function shoutedTokens(text: string, prefix: string, out: Set<string>): void {
  for (const m of text.normalize('NFKC').matchAll(SHOUTED_RE)) out.add(`${prefix}caps:${m[0]}`);
}

/**
 * Pairs of neighbouring Latin words of the body (phrases like "to be removed" say more than
 * their words). Measured with bench/eval-spam.ts --folds 5: more spam caught and fewer ham.
 */
function bigramTokens(normalised: string, out: Set<string>): void {
  let prev = '';
  for (const chunk of normalised.split(/\s+/)) {
    const w = chunk.replace(TRIM_RE, '');
    if (w.length < MIN_WORD || w.length > MAX_WORD || CJK_RUN_TEST.test(w)) {
      prev = '';
      continue;
    }
    if (prev !== '') out.add(`bi:${prev} ${w}`);
    prev = w;
  }
}

/** Tokens of free text: Latin words by white space, CJK runs by bigrams. */
export function textTokens(text: string, prefix: string, out: Set<string>): void {
  const raw = text.length > MAX_TEXT ? text.slice(0, MAX_TEXT) : text;
  const t = norm(raw);
  shoutedTokens(raw, prefix, out);
  if (prefix === '') bigramTokens(t, out);
  for (const chunk of t.split(/\s+/)) {
    if (chunk === '') continue;
    let last = 0;
    for (const m of chunk.matchAll(CJK_RUN)) {
      if (m.index > last) wordTokens(chunk.slice(last, m.index), prefix, out);
      cjkTokens(m[0], prefix, out);
      last = m.index + m[0].length;
    }
    if (last === 0) wordTokens(chunk, prefix, out);
    else if (last < chunk.length) wordTokens(chunk.slice(last), prefix, out);
  }
}

const URL_IN_TEXT_RE = /\b(?:(?:https?|ftp):\/\/|www\.)\S+/gi;
const IPV4_RE = /^\d{1,3}(?:\.\d{1,3}){3}$/;

/** Host suffixes and path words of each URL (SpamBayes "crack_urls"). */
export function urlTokens(urls: readonly string[], out: Set<string>): void {
  out.add(`url:count:${bucket(urls.length)}`);
  for (const u of urls.slice(0, 200)) {
    const m = /^([a-z]+):\/\/([^/?#]*)(.*)$/s.exec(u);
    if (!m) continue;
    out.add(`proto:${m[1]}`);
    let host = (m[2] as string).toLowerCase();
    const at = host.lastIndexOf('@');
    if (at >= 0) {
      out.add('url:userinfo');
      host = host.slice(at + 1);
    }
    const port = /:(\d+)$/.exec(host);
    if (port) {
      out.add('url:port');
      host = host.slice(0, port.index);
    }
    if (IPV4_RE.test(host) || host.startsWith('[')) {
      out.add('url:ip');
      continue;
    }
    const parts = host.split('.').filter(Boolean);
    for (let i = Math.max(0, parts.length - 4); i < parts.length - 1; i++) {
      out.add(`url:${parts.slice(i).join('.')}`);
    }
    for (const w of norm(decodeSafe(m[3] as string)).split(/[/?#&=._\-+%,;:~]+/)) {
      if (w.length >= MIN_WORD && w.length <= MAX_WORD) out.add(`url:p:${w}`);
    }
  }
}

function decodeSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

const TAG_RE = /<([a-zA-Z][a-zA-Z0-9]{0,20})\b([^<>]{0,2000})>/g;

/**
 * The usual ways of hiding text from the reader, and the image count. Tag and attribute names
 * themselves are left out: tried on the SpamAssassin corpus they mostly learned which mail
 * programs legitimate newsletters use, and raised false positives.
 */
export function htmlTokens(html: string, out: Set<string>): void {
  if (html === '') return;
  const h = html.length > MAX_TEXT * 2 ? html.slice(0, MAX_TEXT * 2) : html;
  let images = 0;
  for (const m of h.matchAll(TAG_RE)) {
    if ((m[1] as string).toLowerCase() === 'img') images++;
    const attrs = (m[2] as string).toLowerCase();
    if (/display\s*:\s*none|visibility\s*:\s*hidden/.test(attrs)) out.add('html:hidden');
    if (/font-size\s*:\s*[01](?:px|pt)?\b|size\s*=\s*["']?[01]\b/.test(attrs)) out.add('html:tiny-font');
  }
  out.add(`html:img:${bucket(images)}`);
  // A comment inside a word ("fr<!-- x -->ee") splits it for filters but not for the eye.
  if (/[a-z]<!--[^>]{0,200}-->[a-z]/i.test(h)) out.add('html:comment-in-word');
}

function addressTokens(name: string, list: Facts['from'], out: Set<string>): void {
  for (const a of list.slice(0, 10)) {
    const addr = norm(a.address);
    const at = addr.lastIndexOf('@');
    if (at > 0) {
      out.add(`${name}:addr:${addr.slice(0, at)}`);
      out.add(`${name}:addr:${addr.slice(at + 1)}`);
    } else out.add(`${name}:addr:invalid`);
    if (a.name.trim() === '') out.add(`${name}:no real name`);
    else textTokens(a.name, `${name}:name:`, out);
  }
}

// Header-name counts ("header:received:5", as SpamBayes makes) are left out for the same
// reason as HTML tag names: they learn the path mail took to the collector, not the sender.
function headerTokens(facts: Facts, out: Set<string>): void {
  const first = (name: string) => facts.headers.find((h) => h.name === name)?.value;
  textTokens(facts.subject, 'subject:', out);
  // Punctuation and case of the subject, which the word tokens trim away.
  for (const p of facts.subject.match(/[!?$%*]{2,}/g) ?? []) out.add(`subject:punct:${p.slice(0, 4)}`);
  if (facts.subject === '') out.add('subject:none');

  addressTokens('from', facts.from, out);
  addressTokens('reply-to', facts.replyTo, out);
  const sender = first('sender');
  if (sender) out.add(`sender:${norm(sender).replace(/.*@/, '').replace(/>.*/, '')}`);
  out.add(`to:count:${bucket(facts.to.length + facts.cc.length)}`);
  if (facts.to.length === 0) out.add('to:none');
  if (/undisclosed/i.test(first('to') ?? '')) out.add('to:undisclosed');

  const msgid = facts.messageId ?? '';
  const domain = /@([^>\s]+)/.exec(msgid)?.[1];
  out.add(domain ? `message-id:@${norm(domain).replace(/\d+/g, '#')}` : 'message-id:invalid');

  for (const name of VALUE_HEADERS) {
    const v = first(name);
    if (v !== undefined) out.add(`${name}:${norm(v).replace(/\s+/g, ' ').trim().slice(0, 40)}`);
  }
  const ct = norm(first('content-type') ?? 'text/plain');
  out.add(`content-type:${ct.split(';')[0]?.trim()}`);
  const charset = /charset\s*=\s*"?([^";\s]+)/.exec(ct)?.[1];
  if (charset) out.add(`charset:${charset}`);
  if (first('content-transfer-encoding') === undefined) out.add('content-transfer-encoding:none');
  // Each mail program draws its MIME boundaries and Message-IDs in its own way; bulk mailers
  // are recognisable by the shape alone ("----=_NextPart_9_9_9.9" vs "Apple-Mail-9-9").
  const boundary = /boundary\s*=\s*"?([^";]+)/i.exec(first('content-type') ?? '')?.[1];
  if (boundary) out.add(`content-type:boundary:${shape(boundary)}`);
  const local = /^<?([^@>]*)@/.exec(msgid)?.[1];
  if (local !== undefined) out.add(`message-id:shape:${shape(local)}`);
  dateTokens(first('date'), out);
  receivedTokens(facts, out);
}

/** Runs of digits, capitals and small letters as 9, A, a: "VAA15757" is "A9". */
const shape = (v: string) =>
  v
    .replace(/[0-9]+/g, '9')
    .replace(/[A-Z]+/g, 'A')
    .replace(/[a-z]+/g, 'a')
    .slice(0, 24);

const WEEKDAY_RE = /\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)\b/g;
const MONTH_RE = /\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\b/g;

/** The Date header's layout and time zone: spamware writes dates its own way. */
function dateTokens(date: string | undefined, out: Set<string>): void {
  if (date === undefined) return;
  const layout = date
    .replace(/\([^)]*\)/g, '')
    .trim()
    .replace(/\d/g, '9')
    .replace(WEEKDAY_RE, 'W')
    .replace(MONTH_RE, 'M');
  out.add(`date:shape:${layout.slice(0, 40)}`);
  const tz = /([+-]\d{4})/.exec(date)?.[1];
  if (tz) out.add(`date:tz:${tz}`);
}

const RCVD_FROM_RE = /^from\s+\S+\s+\(([^)]*)\)/i;
const PRIVATE_IP_RE = /^(?:127\.|10\.|192\.168\.|172\.(?:1[6-9]|2\d|3[01])\.|0\.)/;

/**
 * The public IPs of the relays in the Received chain, as /8, /16 and /24 prefixes (SpamBayes
 * does the same): spam comes from the same badly kept networks again and again. Host names and
 * the "by" side are left out: they mostly name the receiving side, not the sender.
 */
function receivedTokens(facts: Facts, out: Set<string>): void {
  let n = 0;
  for (const h of facts.headers) {
    if (h.name !== 'received') continue;
    if (++n > 10) break;
    const inner = RCVD_FROM_RE.exec(h.value.trim())?.[1];
    const ip = inner === undefined ? undefined : /\[(\d{1,3}(?:\.\d{1,3}){3})\]/.exec(inner)?.[1];
    if (ip === undefined || PRIVATE_IP_RE.test(ip)) continue;
    const p = ip.split('.');
    out.add(`received:ip:${p[0]}`);
    out.add(`received:ip:${p.slice(0, 2).join('.')}`);
    out.add(`received:ip:${p.slice(0, 3).join('.')}`);
  }
}

function attachmentTokens(facts: Facts, out: Set<string>): void {
  for (const a of facts.attachments.slice(0, 50)) {
    if (a.declaredType) out.add(`attach:type:${a.declaredType.toLowerCase()}`);
    if (a.extension) out.add(`attach:ext:${a.extension}`);
    out.add(`attach:true:${a.trueType}`);
  }
}

/** Every token of a message, each once. */
export function tokenize(facts: Facts): Set<string> {
  const out = new Set<string>();
  headerTokens(facts, out);
  // URLs become their own tokens; left in the text they would be long garbage words.
  textTokens(facts.textBody.replace(URL_IN_TEXT_RE, ' '), '', out);
  textTokens(facts.htmlText.replace(URL_IN_TEXT_RE, ' '), '', out);
  urlTokens(facts.urls, out);
  htmlTokens(facts.html, out);
  attachmentTokens(facts, out);
  if (facts.textBody === '' && facts.htmlText !== '') out.add('body:html-only');
  return out;
}
