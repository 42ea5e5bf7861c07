// URL heuristics: links to bare IPs, through shorteners, with "user@" tricks, and links whose
// text shows one site while they go to another.
import type { Facts } from '../../scan/facts.js';
import { decodeEntities } from '../../scan/parse/index.js';
import { isIpHost, registrableDomain, URL_SHORTENERS, urlHost } from '../domains.js';
import type { RuleHit } from './scores.js';

// Bounded pieces so a tag without its end costs linear time.
const ANCHOR_RE =
  /<a\b[^>]{0,1000}?\bhref\s*=\s*(?:"([^"]{0,2000})"|'([^']{0,2000})'|([^\s>]{1,2000}))[^>]{0,1000}>([^]{0,400}?)<\/a\s*>/gi;
const HOST_TEXT_RE = /^(?:https?:\/\/)?((?:[a-z0-9-]+\.)+[a-z]{2,})(?=[/:?#]|$)/i;

export interface Anchor {
  href: string;
  text: string;
}

export function anchors(html: string): Anchor[] {
  const out: Anchor[] = [];
  for (const m of html.slice(0, 500_000).matchAll(ANCHOR_RE)) {
    const href = decodeEntities((m[1] ?? m[2] ?? m[3] ?? '').trim());
    const text = decodeEntities((m[4] as string).replace(/<[^>]*>/g, ''))
      .replace(/\s+/g, ' ')
      .trim();
    out.push({ href, text });
    if (out.length >= 500) break;
  }
  return out;
}

/** The domain link text shows, when it reads as a URL or host name ("www.bank.example"). */
export function shownHost(text: string): string | undefined {
  return HOST_TEXT_RE.exec(text)?.[1]?.toLowerCase();
}

export function urlRules(facts: Facts): RuleHit[] {
  const hits: RuleHit[] = [];
  const ip = facts.urls.find((u) => isIpHost(urlHost(u)));
  if (ip) hits.push({ rule: 'URL_IP_HOST', detail: ip.slice(0, 100) });
  const short = facts.urls.find((u) => URL_SHORTENERS.has(urlHost(u)));
  if (short) hits.push({ rule: 'URL_SHORTENER', detail: short.slice(0, 100) });
  const userinfo = facts.urls.find((u) => /^[a-z]+:\/\/[^/?#]*@/i.test(u));
  if (userinfo) hits.push({ rule: 'URL_USERINFO', detail: userinfo.slice(0, 100) });
  for (const a of anchors(facts.html)) {
    if (!/^https?:/i.test(a.href)) continue;
    const shown = shownHost(a.text);
    const real = urlHost(a.href);
    if (shown && real && registrableDomain(shown) !== registrableDomain(real)) {
      hits.push({ rule: 'URL_ANCHOR_MISMATCH', detail: `text shows ${shown}, link goes to ${real}` });
      break;
    }
  }
  return hits;
}
