// Sender authentication of one received message: SPF, DKIM, ARC and DMARC with mailauth, the
// strict From reading of SPEC §13, what to do about DMARC per settings, the DKIM approved and
// enforced lists, and our Authentication-Results header. Never throws for what the message
// or DNS contains: failed lookups are temperror, unreadable headers are "suspicious".
import { arc as mailauthArc } from 'mailauth';
import type { AuthSettings } from './auth-settings.js';
import { createAuthResolver, type AuthLookup } from './dns.js';
import { dmarcAction, evaluateDmarc, isAligned, stricter, type DmarcEvaluation } from './dmarc.js';
import { overallDkim, verifyDkim, type DkimVerification } from './dkim-verify.js';
import { forgedAuthResults, readFrom, readHeaderBlock } from './message-headers.js';
import { formatResultsHeader } from './results-header.js';
import { checkSpf } from './spf.js';
import type { ArcOutcome, AuthResults, DkimSignatureOutcome, DmarcOutcome } from './types.js';
import { matchSender } from '../sender/lists.js';

export { stripForgedAuthResults } from './message-headers.js';
export type { AuthResults } from './types.js';

export interface AuthenticateOptions {
  /** The real client IP (envelope.client.ip). */
  ip: string;
  /** EHLO/HELO as the client sent it. */
  helo: string;
  /** MAIL FROM; "" for the null sender. */
  sender: string;
  /** Our host name: the authserv-id. */
  mta: string;
  /** settings dns.resolvers. */
  resolvers: string[];
  /** For pct= sampling (tests pass a fixed one); Math.random by default. */
  random?: () => number;
  /** Clock for signature expiry (tests). */
  now?: number;
}

/** At most this many From domains are looked up for a message that names several. */
const MAX_FROM_DOMAINS = 5;

async function checkArc(v: DkimVerification, lookup: AuthLookup, minKeyBits: number): Promise<ArcOutcome> {
  try {
    const r = await mailauthArc(v.raw.arc as never, { resolver: lookup as never, minBitLength: minKeyBits });
    const result = r.status.result === 'pass' || r.status.result === 'fail' ? r.status.result : 'none';
    return { result, instances: typeof r.i === 'number' ? r.i : 0, comment: r.status.comment || undefined };
  } catch (err) {
    return { result: 'fail', instances: 0, comment: (err as Error).message };
  }
}

/** DMARC over the From domain(s); a suspicious From fails whatever its signatures say. */
async function checkDmarc(
  domains: string[],
  spfDomain: string | undefined,
  dkimDomains: string[],
  suspicious: boolean,
  lookup: AuthLookup,
  o: AuthenticateOptions,
  settings: AuthSettings,
): Promise<DmarcOutcome> {
  const random = o.random ?? Math.random;
  const ctx = { settings: settings.dmarc, clientIp: o.ip, suspicious };
  if (domains.length === 0) {
    // Nothing to look a policy up for: the no-record action, and a failure.
    const none: DmarcEvaluation = {
      result: 'none',
      domain: '',
      pct: 100,
      sampled: true,
      alignment: { spf: { mode: 'relaxed', aligned: false }, dkim: { mode: 'relaxed', aligned: false } },
    };
    const { action, reason } = dmarcAction(none, ctx);
    return { ...none, result: 'fail', action, actionReason: `no From domain; ${reason}` };
  }
  let worst: DmarcOutcome | undefined;
  for (const domain of domains.slice(0, MAX_FROM_DOMAINS)) {
    let e: DmarcEvaluation = await evaluateDmarc({
      fromDomain: domain,
      spfDomain,
      dkimDomains,
      lookup,
      random,
    });
    if (suspicious && e.result === 'pass') {
      // Aligned, but the From field reads more than one way: the published policy applies in full.
      e = { ...e, result: 'fail', sampled: true, policy: e.recordDomain === e.domain ? e.p : e.sp };
    } else if (suspicious && e.result === 'fail' && !e.sampled) {
      e = { ...e, sampled: true, policy: e.recordDomain === e.domain ? e.p : e.sp };
    }
    const { action, reason } = dmarcAction(e, ctx);
    const outcome: DmarcOutcome = { ...e, action, actionReason: reason };
    if (suspicious && outcome.result !== 'temperror') outcome.result = 'fail';
    if (!worst || stricter(worst.action, action) !== worst.action) worst = outcome;
  }
  return worst as DmarcOutcome;
}

export async function authenticate(
  raw: Buffer,
  o: AuthenticateOptions,
  settings: AuthSettings,
): Promise<AuthResults> {
  const results: AuthResults = {
    authservId: o.mta,
    dkim: [],
    suspicious: [],
    forgedAuthResults: 0,
    header: '',
  };
  if (!settings.enabled) return results;
  const lookup = createAuthResolver({
    resolvers: o.resolvers,
    timeout: settings.lookupTimeout,
    deadline: Date.now() + settings.timeout,
  });
  const block = readHeaderBlock(raw);
  results.forgedAuthResults = forgedAuthResults(block, o.mta).length;

  // DKIM is verified for DMARC and ARC too, even when its own switch is off.
  const needDkim = settings.dkim || settings.dmarc.enabled || settings.arc;
  let dkimError: string | undefined;
  const [verification, spf] = await Promise.all([
    needDkim
      ? verifyDkim(raw, block, lookup, {
          minKeyBits: settings.minKeyBits,
          allowSha1: settings.allowSha1,
          now: o.now,
        }).catch((err: unknown) => {
          // A bug or a message mailauth cannot read: say so rather than "not signed".
          dkimError = (err as Error).message;
          return undefined;
        })
      : Promise.resolve(undefined),
    settings.spf ? checkSpf({ ip: o.ip, helo: o.helo, sender: o.sender, mta: o.mta }, lookup) : undefined,
  ]);
  results.spf = spf;

  const from = readFrom(block, raw, verification?.headerFrom);
  results.fromDomain = from.domain;
  results.suspicious.push(...from.problems);
  if (results.forgedAuthResults > 0)
    results.suspicious.push(`${results.forgedAuthResults} forged Authentication-Results claiming ${o.mta}`);

  const signatures = verification?.signatures ?? [];
  const passing = signatures.filter((s) => s.result === 'pass').map((s) => s.domain);
  if (settings.arc && verification) results.arc = await checkArc(verification, lookup, settings.minKeyBits);

  if (settings.dmarc.enabled) {
    const spfDomain = spf?.result === 'pass' ? spf.domain : undefined;
    const domains = from.domain ? [from.domain] : from.domains;
    results.dmarc = await checkDmarc(
      domains,
      spfDomain,
      passing,
      from.problems.length > 0,
      lookup,
      o,
      settings,
    );
  }

  if (settings.dkim && !verification && dkimError !== undefined) {
    results.dkimResult = 'temperror';
    results.dkim = [
      {
        domain: '',
        selector: '',
        algorithm: '',
        result: 'temperror',
        reason: dkimError,
        aligned: false,
        b: '',
      },
    ];
  }
  if (settings.dkim && verification) {
    const strict = results.dmarc?.alignment.dkim.mode === 'strict';
    results.dkim = signatures.map((s): DkimSignatureOutcome => ({
      ...s,
      aligned: from.domain !== undefined && isAligned(s.domain, from.domain, strict),
    }));
    results.dkimResult = overallDkim(signatures);
    if (from.problems.length === 0) {
      const approved = passing.find((d) => matchSender(settings.dkimApproved, `@${d}`));
      if (approved) results.dkimApproved = approved;
    }
    // A From that reads more than one way has no valid signature, whatever is signed.
    const enforced = from.domains.find(
      (d) =>
        matchSender(settings.dkimEnforced, `@${d}`) &&
        (from.problems.length > 0 || !passing.some((p) => isAligned(p, d, false))),
    );
    if (enforced) results.dkimEnforcedFailure = enforced;
  }

  if (settings.addResultsHeader) results.header = formatResultsHeader(results);
  return results;
}
