// URL reputation (SPEC §4 URLs): the URLs of a message checked against the administrator's
// local lists and URIBL/DBL-style zones. Lists such as SURBL, URIBL and Spamhaus DBL list
// registered domains, so a host is looked up as its registered domain under the Public Suffix
// List (www.shop.example.co.jp -> example.co.jp; tldts carries the list, nothing is fetched).
// IP-address URLs are looked up in "ip" zones the way a DNSBL is. Every distinct domain or IP
// is asked once per message, up to maxLookups.
import { getDomain } from 'tldts';
import type { Logger } from '../util/log.js';
import { makeLookup, type ReputationContext } from './dnsbl.js';
import { matchUrlList, urlTarget } from './local-lists.js';
import type { DnsLookup } from './lookup.js';
import { isPublicIp, reversedIp } from './query.js';
import type { UriZoneSettings } from './reputation-settings.js';
import { evaluateAnswers } from './zones.js';

export interface UriHit {
  /** "uribl": a zone lists it; "local": the local block list has it. */
  list: 'uribl' | 'local';
  /** The zone, or "localBlock". */
  zone: string;
  /** What was listed: a registered domain, an IP, or the local entry that matched. */
  subject: string;
  /** The first URL of the message it was found in. */
  url: string;
  /** The name asked and the answer (zones only). */
  query?: string;
  code?: string;
  /** The code's label from settings, e.g. "DBL phish". */
  name?: string;
  score: number;
}

export interface UriReputationResult {
  hits: UriHit[];
  /** Sum of the hits' scores, to add to the spam score. */
  score: number;
  /** Domains and IPs looked up in the zones. */
  checked: string[];
  /** Domains and IPs left out because of maxLookups. */
  notChecked: number;
  /** Zones that gave no usable answer. */
  errors: { zone: string; error: string }[];
}

export interface UriReputationOptions {
  settings: () => ReputationContext;
  log: Logger;
  /** Shared with Reputation: one cache, one set of statistics. */
  lookup?: DnsLookup;
}

/** The registered domain of a host name (ASCII), or undefined for a public suffix or a bare name. */
export function registeredDomain(host: string): string | undefined {
  // Private suffixes (blogspot.com, github.io) count: their subdomains belong to different people.
  return getDomain(host, { allowPrivateDomains: true }) ?? undefined;
}

const round = (n: number) => Math.round(n * 1000) / 1000;

interface Subject {
  kind: 'domain' | 'ip';
  /** What goes before the zone in the query. */
  label: string;
  url: string;
}

export class UriReputation {
  readonly lookup: DnsLookup;

  constructor(private readonly o: UriReputationOptions) {
    this.lookup = o.lookup ?? makeLookup(o.settings, o.log);
  }

  async check(urls: readonly string[]): Promise<UriReputationResult> {
    const { reputation } = this.o.settings();
    const s = reputation.uribl;
    const out: UriReputationResult = { hits: [], score: 0, checked: [], notChecked: 0, errors: [] };
    if (!s.enabled) return out;
    const subjects = new Map<string, Subject>();
    const blocked = new Set<string>();
    const left = new Set<string>();
    for (const raw of urls) {
      const t = urlTarget(raw);
      if (!t) continue;
      const entry = matchUrlList(s.localBlock, t);
      if (entry !== undefined) {
        if (!blocked.has(entry)) {
          blocked.add(entry);
          out.hits.push({
            list: 'local',
            zone: 'localBlock',
            subject: entry,
            url: raw,
            score: s.localBlockScore,
          });
        }
        continue;
      }
      if (matchUrlList(s.localAllow, t) !== undefined) continue;
      const subject = t.ip ? ipSubject(t.ip, raw, reputation.skipPrivate) : domainSubject(t.host, raw);
      if (!subject || subjects.has(subject.key)) continue;
      if (subjects.size >= s.maxLookups) left.add(subject.key);
      else subjects.set(subject.key, subject.value);
    }
    out.notChecked = left.size;
    const queries: Promise<Pick<UriReputationResult, 'hits' | 'errors'>>[] = [];
    for (const [key, subject] of subjects) {
      out.checked.push(key);
      for (const zone of s.zones) {
        if (zone.type === subject.kind) queries.push(this.ask(zone, key, subject));
      }
    }
    // Collected in query order, so results read the same whatever answered first.
    for (const r of await Promise.all(queries)) {
      out.hits.push(...r.hits);
      out.errors.push(...r.errors);
    }
    out.score = round(out.hits.reduce((sum, h) => sum + h.score, 0));
    return out;
  }

  private async ask(
    zone: UriZoneSettings,
    key: string,
    subject: Subject,
  ): Promise<Pick<UriReputationResult, 'hits' | 'errors'>> {
    const query = `${subject.label}.${zone.zone}`;
    const answer = await this.lookup.a('uribl', zone.zone, query);
    if ('error' in answer) return { hits: [], errors: [{ zone: zone.zone, error: answer.error }] };
    const v = evaluateAnswers('uribl', zone, query, answer.addresses);
    for (const error of v.errors) this.lookup.record('uribl', zone.zone, { error });
    if (v.hits.length > 0) this.lookup.record('uribl', zone.zone, 'listed');
    const hits = v.hits.map((h) => {
      const hit: UriHit = {
        list: 'uribl',
        zone: h.zone,
        subject: key,
        url: subject.url,
        query,
        code: h.code,
        score: h.score,
      };
      if (h.name) hit.name = h.name;
      return hit;
    });
    return { hits, errors: v.errors.map((error) => ({ zone: zone.zone, error })) };
  }
}

function ipSubject(ip: string, url: string, skipPrivate: boolean) {
  const label = reversedIp(ip);
  if (!label || (skipPrivate && !isPublicIp(ip))) return undefined;
  return { key: ip, value: { kind: 'ip' as const, label, url } };
}

function domainSubject(host: string, url: string) {
  const domain = registeredDomain(host);
  return domain ? { key: domain, value: { kind: 'domain' as const, label: domain, url } } : undefined;
}
