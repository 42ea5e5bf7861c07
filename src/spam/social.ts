// Social-engineering indicators (SPEC §4), facts for policy rules rather than spam score:
// a display name of an internal person on mail from outside, a sender domain that imitates an
// accepted (or protected) domain, a Reply-To that leads elsewhere than From, and wording that
// presses for an urgent payment (English and Japanese).
import type { Facts } from '../scan/facts.js';
import { isAcceptedDomain } from '../scan/parse/index.js';
import { addressDomain, asciiDomain, FREEMAIL_PROVIDERS, registrableDomain } from './domains.js';
import type { SpamSettings } from './spam-settings.js';

export type SocialIndicatorKind =
  | 'display-name-spoof'
  | 'internal-domain-spoof'
  | 'lookalike-domain'
  | 'reply-to-mismatch'
  | 'urgent-payment';

export const SOCIAL_INDICATOR_KINDS: readonly SocialIndicatorKind[] = [
  'display-name-spoof',
  'internal-domain-spoof',
  'lookalike-domain',
  'reply-to-mismatch',
  'urgent-payment',
];

export interface SocialIndicator {
  kind: SocialIndicatorKind;
  detail: string;
}

export interface SocialContext {
  acceptedDomains: readonly string[];
  settings: SpamSettings['social'];
}

/** Words of a name without case, honorifics and punctuation ("山田 太郎 様" → ["山田", "太郎"]). */
function nameWords(name: string): string[] {
  const n = name
    .normalize('NFKC')
    .toLowerCase()
    .replace(/["'()<>]/g, ' ')
    .replace(/(?:様|さま|さん|殿|氏)\s*$/u, '')
    .trim();
  return n.split(/[\s,.]+/u).filter(Boolean);
}

/** A name as compared: without spaces (full width too), case and honorifics. */
export function nameKey(name: string): string {
  return nameWords(name).join('');
}

/** The forms a name is known by: as written, and with its words in either order. */
export function nameKeys(name: string): string[] {
  const words = nameWords(name);
  return [words.join(''), [...words].sort().join('')];
}

// Characters that read like Latin letters: Cyrillic and Greek look-alikes, digits for letters.
const CONFUSABLES: Record<string, string> = {
  а: 'a',
  е: 'e',
  о: 'o',
  р: 'p',
  с: 'c',
  х: 'x',
  у: 'y',
  і: 'i',
  ј: 'j',
  ԁ: 'd',
  ѕ: 's',
  һ: 'h',
  ӏ: 'l',
  ɡ: 'g',
  α: 'a',
  ο: 'o',
  ν: 'v',
  τ: 't',
  ι: 'i',
  κ: 'k',
  ρ: 'p',
  '0': 'o',
  '1': 'l',
  '5': 's',
  '3': 'e',
};

/** A form in which look-alike spellings of a domain become equal ("examp1e" = "example"). */
export function skeleton(domain: string): string {
  let s = domain.normalize('NFKC').toLowerCase();
  s = [...s].map((c) => CONFUSABLES[c] ?? c).join('');
  return s
    .replace(/rn/g, 'm')
    .replace(/vv/g, 'w')
    .replace(/cl/g, 'd')
    .replace(/i/g, 'l')
    .replace(/[-_]/g, '');
}

/** Damerau-Levenshtein distance (adjacent transpositions count one), capped for speed. */
export function editDistance(a: string, b: string, cap = 4): number {
  if (Math.abs(a.length - b.length) > cap) return cap + 1;
  const d: number[][] = [];
  for (let i = 0; i <= a.length; i++) d.push([i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 0; j <= b.length; j++) (d[0] as number[])[j] = j;
  for (let i = 1; i <= a.length; i++) {
    const row = d[i] as number[];
    const prev = d[i - 1] as number[];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min((prev[j] as number) + 1, (row[j - 1] as number) + 1, (prev[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        v = Math.min(v, ((d[i - 2] as number[])[j - 2] as number) + 1);
      }
      row[j] = v;
    }
  }
  return (d[a.length] as number[])[b.length] as number;
}

/** The protected domain a domain imitates, if any (never for the domain itself or its subdomains). */
export function lookalikeOf(
  domain: string,
  protectedDomains: readonly string[],
  maxDistance: number,
): string | undefined {
  const host = domain.toLowerCase().replace(/\.$/, '');
  // xn-- labels are compared in the form the reader sees.
  const unicode = toUnicode(host);
  const reg = registrableDomain(asciiDomain(host));
  for (const raw of protectedDomains) {
    const p = asciiDomain(raw.replace(/^\*\./, ''));
    if (reg === p || host === p || host.endsWith(`.${p}`)) return undefined;
  }
  for (const raw of protectedDomains) {
    const p = asciiDomain(raw.replace(/^\*\./, ''));
    const pReg = registrableDomain(p);
    // "example.com.evil.test": the protected name as the first labels of another domain.
    if (host.startsWith(`${p}.`) || host.startsWith(`${pReg}-`)) return p;
    const uReg = registrableDomain(unicode);
    if (skeleton(uReg) === skeleton(pReg)) return p;
    const label = pReg.split('.')[0] as string;
    if (label.length >= 5 && editDistance(reg, pReg, maxDistance) <= maxDistance) return p;
    // Same name under another suffix ("example.co" for "example.com") is a look-alike too.
    if (label.length >= 5 && (reg.split('.')[0] as string) === label) return p;
  }
  return undefined;
}

function toUnicode(host: string): string {
  return host
    .split('.')
    .map((l) => {
      if (!l.startsWith('xn--')) return l;
      try {
        return punycodeDecode(l.slice(4));
      } catch {
        return l;
      }
    })
    .join('.');
}

/** RFC 3492 decoding (node:punycode is deprecated). */
function punycodeDecode(input: string): string {
  const base = 36;
  let n = 128;
  let i = 0;
  let bias = 72;
  const out: number[] = [];
  const basic = input.lastIndexOf('-');
  for (let j = 0; j < Math.max(0, basic); j++) out.push(input.charCodeAt(j));
  const digit = (c: number) => (c - 48 < 10 ? c - 22 : c - 65 < 26 ? c - 65 : c - 97 < 26 ? c - 97 : base);
  for (let idx = basic > 0 ? basic + 1 : 0; idx < input.length;) {
    const oldi = i;
    let w = 1;
    for (let k = base; ; k += base) {
      if (idx >= input.length) throw new Error('bad punycode');
      const d = digit(input.charCodeAt(idx++));
      if (d >= base) throw new Error('bad punycode');
      i += d * w;
      const t = k <= bias ? 1 : k >= bias + 26 ? 26 : k - bias;
      if (d < t) break;
      w *= base - t;
    }
    const len = out.length + 1;
    let delta = oldi === 0 ? Math.floor((i - oldi) / 700) : (i - oldi) >> 1;
    delta += Math.floor(delta / len);
    let k = 0;
    while (delta > 455) {
      delta = Math.floor(delta / 35);
      k += base;
    }
    bias = k + Math.floor((36 * delta) / (delta + 38));
    n += Math.floor(i / len);
    i %= len;
    out.splice(i++, 0, n);
  }
  return String.fromCodePoint(...out);
}

const URGENT_EN =
  /\b(?:urgent(?:ly)?|asap|immediately|right away|as soon as possible|time[- ]sensitive|by (?:the )?end of (?:the )?day|today|confidential)\b/i;
const PAYMENT_EN =
  /\b(?:wire transfer|bank transfer|wire the|payment|invoice|remit(?:tance)?|gift ?cards?|bank (?:account|details)|banking details|iban|swift code)\b/i;
const URGENT_JA = /至急|緊急|本日中|今日中|直ちに|早急|急ぎ|大至急|内密|極秘/u;
const PAYMENT_JA = /振込|振り込み|送金|支払|入金|請求書|口座|ギフトカード|決済/u;

function urgentPayment(facts: Facts): string | undefined {
  const text = `${facts.subject}\n${facts.textBody}\n${facts.htmlText}`.normalize('NFKC').slice(0, 20_000);
  const en = [URGENT_EN.exec(text)?.[0], PAYMENT_EN.exec(text)?.[0]];
  if (en[0] && en[1]) return `"${en[0]}" with "${en[1]}"`;
  const ja = [URGENT_JA.exec(text)?.[0], PAYMENT_JA.exec(text)?.[0]];
  if (ja[0] && ja[1]) return `「${ja[0]}」と「${ja[1]}」`;
  return undefined;
}

export function socialIndicators(facts: Facts, ctx: SocialContext): SocialIndicator[] {
  const s = ctx.settings;
  if (!s.enabled) return [];
  const out: SocialIndicator[] = [];
  const accepted = ctx.acceptedDomains;
  const from = facts.from[0];
  const fromDomain = addressDomain(from?.address ?? '');
  const internal = (d: string) => isAcceptedDomain(d, [...accepted]);
  const outside = facts.direction === 'inbound';

  if (from && outside) {
    if (internal(fromDomain)) {
      out.push({ kind: 'internal-domain-spoof', detail: `From ${from.address} on mail from outside` });
    } else if (from.name.trim() !== '') {
      const names = new Set(s.internalNames.flatMap(nameKeys));
      for (const r of [...facts.to, ...facts.cc]) {
        if (r.name && internal(addressDomain(r.address))) for (const k of nameKeys(r.name)) names.add(k);
      }
      const keys = nameKeys(from.name).filter((k) => k.length >= 2);
      const shownAddress = /[^\s<>"]+@([^\s<>"]+)/.exec(from.name)?.[1];
      if (keys.some((k) => names.has(k))) {
        out.push({ kind: 'display-name-spoof', detail: `"${from.name}" <${from.address}> from outside` });
      } else if (shownAddress && internal(shownAddress.toLowerCase())) {
        out.push({
          kind: 'display-name-spoof',
          detail: `display name shows an internal address: "${from.name}"`,
        });
      }
    }
  }

  const protectedDomains = [...accepted, ...s.protectedDomains];
  const checked = new Set<string>();
  for (const [where, address] of [
    ['From', from?.address ?? ''],
    ['Reply-To', facts.replyTo[0]?.address ?? ''],
    ['envelope sender', facts.envelope.sender],
  ] as const) {
    const d = addressDomain(address);
    if (!d || checked.has(d)) continue;
    checked.add(d);
    const target = lookalikeOf(d, protectedDomains, s.lookalikeDistance);
    if (target) out.push({ kind: 'lookalike-domain', detail: `${where} domain ${d} imitates ${target}` });
  }

  const replyTo = facts.replyTo[0]?.address;
  const isList = facts.headers.some((h) => h.name === 'list-id' || h.name === 'list-post');
  if (replyTo && fromDomain && !isList) {
    const rd = addressDomain(replyTo);
    if (rd && registrableDomain(rd) !== registrableDomain(fromDomain) && !internal(rd)) {
      const free = FREEMAIL_PROVIDERS[rd] && !FREEMAIL_PROVIDERS[fromDomain] ? ' (a free mail address)' : '';
      out.push({
        kind: 'reply-to-mismatch',
        detail: `replies go to ${replyTo}${free}, From is ${from?.address}`,
      });
    }
  }

  const wording = urgentPayment(facts);
  if (wording) out.push({ kind: 'urgent-payment', detail: wording });
  return out;
}
