// Email reputation (SPEC §3, §12): a client IP checked against the DNSWL and DNSBL zones of the
// settings, all at once. A DNSWL "allow" listing sets every DNSBL listing aside; otherwise the
// first DNSBL zone (in settings order) with a reject code refuses with 550, else one with a
// tempfail code with 450 ("intelligent" replies), or the one custom code and text for every
// refusal. Score codes add to the message's spam score. Zones that fail are skipped.
import type { Logger } from '../util/log.js';
import { DnsLookup, type ListKind, type ZoneStats } from './lookup.js';
import { canonicalIp, isPublicIp, reversedIp } from './query.js';
import type { DnsblAction, DnswlAction, ReputationSettings, ZoneSettings } from './reputation-settings.js';
import { evaluateAnswers, type ListHit } from './zones.js';

export type ReputationVerdict = 'pass' | 'score' | 'allow' | 'tempfail' | 'reject';

export type IpHit = ListHit<DnsblAction | DnswlAction>;

export interface ReputationReply {
  code: number;
  status: string;
  text: string;
}

export interface ReputationResult {
  /** The address checked, in canonical form. */
  ip: string;
  verdict: ReputationVerdict;
  /** Every listing found: DNSWL zones first, then DNSBL zones, each in settings order. */
  hits: IpHit[];
  /**
   * What to add to the spam score: score codes and DNSWL scores (DNSBL listings are set aside
   * when a DNSWL allows the client); after DATA, settings.reputation.dnsbl.relayedScores for
   * the listings that would have refused the client.
   */
  score: number;
  /** The listing that decided reject, tempfail or allow. */
  decisive?: IpHit;
  /** The SMTP refusal (reject and tempfail at connect). */
  reply?: ReputationReply;
  /** Zones that gave no usable answer; the check went on without them. */
  errors: { zone: string; error: string }[];
  /** Why nothing was looked up. */
  skipped?: 'disabled' | 'not-public' | 'invalid';
}

/** What the listener keeps on the envelope for the scanning stage (see envelope.ts). */
export interface EnvelopeReputation {
  /** The client address the lists were asked about (the relay itself for checked: relay). */
  ip: string;
  /**
   * connect: checked when the client connected. relay: the client is a trusted upstream relay,
   * nothing was checked; the scanning stage checks the real client (messageReputation).
   * after-data: the result of that check.
   */
  checked: 'connect' | 'relay' | 'after-data';
  verdict: ReputationVerdict;
  score: number;
  hits: IpHit[];
}

export interface ReputationContext {
  reputation: ReputationSettings;
  dns: { resolvers: readonly string[] };
}

export interface ReputationOptions {
  settings: () => ReputationContext;
  log: Logger;
  /** Shared with UriReputation so both use one cache and one set of statistics. */
  lookup?: DnsLookup;
}

export function makeLookup(settings: () => ReputationContext, log: Logger): DnsLookup {
  return new DnsLookup({
    resolvers: () => settings().dns.resolvers,
    limits: () => settings().reputation,
    log: log.child({ component: 'reputation' }),
  });
}

const round = (n: number) => Math.round(n * 1000) / 1000;

export class Reputation {
  readonly lookup: DnsLookup;
  private readonly log: Logger;

  constructor(private readonly o: ReputationOptions) {
    this.log = o.log.child({ component: 'reputation' });
    this.lookup = o.lookup ?? makeLookup(o.settings, o.log);
  }

  /**
   * Checks a client IP. With afterData (a client behind a trusted relay, found in the Received
   * headers) nothing can be refused any more: listings that would refuse add relayedScores.
   */
  async check(rawIp: string, opts: { afterData?: boolean } = {}): Promise<ReputationResult> {
    const s = this.o.settings().reputation;
    const ip = canonicalIp(rawIp);
    const base = { ip: ip ?? rawIp, verdict: 'pass' as const, hits: [], score: 0, errors: [] };
    const reversed = ip && reversedIp(ip);
    if (!ip || !reversed) return { ...base, skipped: 'invalid' };
    const blacklists = s.dnsbl.enabled ? s.dnsbl.zones : [];
    if (blacklists.length === 0 && s.dnswl.length === 0) return { ...base, skipped: 'disabled' };
    if (s.skipPrivate && !isPublicIp(ip)) return { ...base, skipped: 'not-public' };

    const [white, black] = await Promise.all([
      this.zones('dnswl', s.dnswl, reversed),
      this.zones('dnsbl', blacklists, reversed),
    ]);
    const result: ReputationResult = {
      ...base,
      hits: [...white.hits, ...black.hits],
      errors: [...white.errors, ...black.errors],
    };
    const allowed = white.hits.find((h) => h.action === 'allow');
    const blocking =
      black.hits.find((h) => h.action === 'reject') ?? black.hits.find((h) => h.action === 'tempfail');
    if (opts.afterData) {
      for (const h of black.hits)
        if (h.action === 'reject' || h.action === 'tempfail') h.score = s.dnsbl.relayedScores[h.action];
    }
    const counted = allowed ? white.hits : result.hits;
    result.score = round(counted.reduce((sum, h) => sum + h.score, 0));
    if (allowed) {
      result.verdict = 'allow';
      result.decisive = allowed;
    } else if (blocking) {
      result.verdict = blocking.action === 'reject' ? 'reject' : 'tempfail';
      result.decisive = blocking;
      if (!opts.afterData) result.reply = await this.reply(blocking, ip);
    } else if (result.hits.length > 0) {
      result.verdict = 'score';
    }
    if (result.hits.length > 0) this.log.debug(logFields(result), 'reputation: client listed');
    return result;
  }

  /** Per-zone statistics of every list (DNSBL, DNSWL and URIBL when the lookup is shared). */
  stats(): ZoneStats[] {
    return this.lookup.stats();
  }

  private async zones<A extends DnsblAction | DnswlAction>(
    list: ListKind,
    zones: readonly ZoneSettings<A>[],
    reversed: string,
  ): Promise<{ hits: ListHit<A>[]; errors: { zone: string; error: string }[] }> {
    const per = await Promise.all(
      zones.map(async (z) => {
        const query = `${reversed}.${z.zone}`;
        const answer = await this.lookup.a(list, z.zone, query);
        if ('error' in answer) return { hits: [], errors: [{ zone: z.zone, error: answer.error }] };
        const v = evaluateAnswers(list, z, query, answer.addresses);
        for (const error of v.errors) this.lookup.record(list, z.zone, { error });
        if (v.hits.length > 0) this.lookup.record(list, z.zone, 'listed');
        return { hits: v.hits, errors: v.errors.map((error) => ({ zone: z.zone, error })) };
      }),
    );
    return { hits: per.flatMap((p) => p.hits), errors: per.flatMap((p) => p.errors) };
  }

  private async reply(hit: IpHit, ip: string): Promise<ReputationReply> {
    const r = this.o.settings().reputation.dnsbl.reply;
    const code = r.mode === 'custom' ? r.customCode : hit.action === 'reject' ? 550 : 450;
    const template =
      r.mode === 'custom' ? r.customText : hit.action === 'reject' ? r.rejectText : r.tempfailText;
    const txt = template.includes('%TXT%') ? await this.lookup.txt(hit.query) : undefined;
    const text = template.replace(/%(IP|ZONE|CODE|NAME|TXT)%/g, (_, token: string) => {
      if (token === 'IP') return ip;
      if (token === 'ZONE') return hit.zone;
      if (token === 'CODE') return hit.code;
      if (token === 'NAME') return hit.name ?? hit.zone;
      // The list's own words go on the wire: printable ASCII, one line, short.
      return (txt ?? '').replace(/[^\x20-\x7e]/g, '?').slice(0, 200);
    });
    return { code, status: code >= 500 ? '5.7.1' : '4.7.1', text: text.trim() };
  }
}

/** The envelope form of a result, or undefined when there is nothing for the scanning stage. */
export function envelopeReputation(
  r: ReputationResult,
  checked: 'connect' | 'after-data',
): EnvelopeReputation | undefined {
  if (r.hits.length === 0) return undefined;
  return { ip: r.ip, checked, verdict: r.verdict, score: r.score, hits: r.hits };
}

export function logFields(r: ReputationResult) {
  return {
    ip: r.ip,
    verdict: r.verdict,
    score: r.score,
    listed: r.hits.map((h) => `${h.zone}=${h.code}${h.name ? ` (${h.name})` : ''}`),
    ...(r.errors.length ? { failed: r.errors.map((e) => e.zone) } : {}),
  };
}
