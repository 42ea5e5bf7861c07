// DMARC (RFC 7489): the record comes from mailauth; identifier alignment, pct= sampling and
// the action Sekimori takes are ours. mailauth 4.x passes its strict flag as an object, so
// adkim=s / aspf=s were never enforced there; alignment is computed here instead.
import { dmarc as mailauthDmarc } from 'mailauth';
import { getDomain } from 'tldts';
import type { AuthSettings, DmarcAction } from './auth-settings.js';
import type { AuthLookup } from './dns.js';
import { matchIp, matchSender } from '../sender/lists.js';
import type { DmarcOutcome, DmarcPolicy } from './types.js';

const norm = (d: string) => d.toLowerCase().replace(/\.$/, '');

/** The organizational domain (public suffix list), or the domain itself when it has none. */
export function organizationalDomain(domain: string): string {
  const d = norm(domain);
  return getDomain(d, { allowPrivateDomains: true }) ?? d;
}

/** RFC 7489 §3.1: strict means the same name, relaxed the same organizational domain. */
export function isAligned(authenticated: string, from: string, strict: boolean): boolean {
  const a = norm(authenticated);
  const f = norm(from);
  if (a === f) return true;
  return !strict && organizationalDomain(a) === organizationalDomain(f);
}

const POLICIES: readonly DmarcPolicy[] = ['none', 'quarantine', 'reject'];

function asPolicy(v: unknown): DmarcPolicy | undefined {
  const p = typeof v === 'string' ? v.trim().toLowerCase() : '';
  return (POLICIES as readonly string[]).includes(p) ? (p as DmarcPolicy) : undefined;
}

/** RFC 7489 §6.6.4: a message pct= leaves out gets the next less strict policy. */
function lowered(p: DmarcPolicy): DmarcPolicy {
  return p === 'reject' ? 'quarantine' : 'none';
}

/** Whether the name itself publishes a record (mailauth asked already: the answer is shared). */
async function hasDmarcRecord(domain: string, lookup: AuthLookup): Promise<boolean> {
  try {
    const rows = (await lookup(`_dmarc.${domain}`, 'TXT')) as string[][];
    return rows.some((r) => /^v=DMARC1\b/i.test(r.join('').trim()));
  } catch {
    return false;
  }
}

export interface DmarcInput {
  fromDomain: string;
  /** Domain SPF passed for (MAIL FROM or HELO), when it passed. */
  spfDomain?: string;
  /** d= of every passing DKIM signature. */
  dkimDomains: string[];
  lookup: AuthLookup;
  /** 0 ≤ x < 1, for pct= sampling. */
  random: () => number;
}

export type DmarcEvaluation = Omit<DmarcOutcome, 'action' | 'actionReason'>;

/** Looks up the record of one From domain and judges alignment. */
export async function evaluateDmarc(i: DmarcInput): Promise<DmarcEvaluation> {
  const domain = norm(i.fromDomain);
  const none = (result: 'none' | 'temperror'): DmarcEvaluation => ({
    result,
    domain,
    pct: 100,
    sampled: true,
    alignment: {
      spf: { mode: 'relaxed', aligned: i.spfDomain !== undefined && isAligned(i.spfDomain, domain, false) },
      dkim: { mode: 'relaxed', aligned: i.dkimDomains.some((d) => isAligned(d, domain, false)) },
    },
  });
  let r: Awaited<ReturnType<typeof mailauthDmarc>>;
  try {
    r = await mailauthDmarc({
      headerFrom: domain,
      spfDomains: [],
      dkimDomains: [],
      resolver: i.lookup as never,
    });
  } catch {
    return none('temperror');
  }
  if (!r || r.status.result === 'temperror') return none('temperror');
  if (r.status.result === 'none' || !r.rr) return none('none');

  const tags = Object.fromEntries(
    r.rr
      .split(';')
      .map((t) => t.split('='))
      .filter((kv) => kv.length >= 2)
      .map(([k, ...v]) => [(k as string).trim().toLowerCase(), v.join('=').trim()]),
  ) as Record<string, string | undefined>;
  // An invalid p= is read as p=none (RFC 7489 §6.6.3); an invalid sp= falls back to p=.
  const p = asPolicy(tags.p) ?? 'none';
  const sp = asPolicy(tags.sp) ?? p;
  const pctText = tags.pct;
  const pct = pctText !== undefined && /^\d+$/.test(pctText) ? Math.min(100, Number(pctText)) : 100;
  const strictDkim = tags.adkim?.toLowerCase() === 's';
  const strictSpf = tags.aspf?.toLowerCase() === 's';
  // mailauth chose between p= and sp= (sp= for a subdomain whose record is its organization's).
  const published = asPolicy(r.policy) ?? p;
  const recordDomain = (await hasDmarcRecord(domain, i.lookup)) ? domain : organizationalDomain(domain);

  const dkimDomain = i.dkimDomains.find((d) => isAligned(d, domain, strictDkim));
  const spfAligned = i.spfDomain !== undefined && isAligned(i.spfDomain, domain, strictSpf);
  const pass = dkimDomain !== undefined || spfAligned;
  const sampled = pct >= 100 || i.random() * 100 < pct;
  return {
    result: pass ? 'pass' : 'fail',
    domain,
    recordDomain,
    record: r.rr,
    p,
    sp,
    pct,
    policy: sampled ? published : lowered(published),
    sampled,
    alignment: {
      spf: {
        mode: strictSpf ? 'strict' : 'relaxed',
        aligned: spfAligned,
        domain: spfAligned ? i.spfDomain : undefined,
      },
      dkim: {
        mode: strictDkim ? 'strict' : 'relaxed',
        aligned: dkimDomain !== undefined,
        domain: dkimDomain,
      },
    },
  };
}

export interface ActionContext {
  settings: AuthSettings['dmarc'];
  clientIp: string;
  /** From problems: the message fails DMARC whatever its signatures say. */
  suspicious: boolean;
}

/** What Sekimori does with the DMARC verdict (SPEC §12: an action per published policy and for no record). */
export function dmarcAction(e: DmarcEvaluation, c: ActionContext): { action: DmarcAction; reason: string } {
  const exception =
    matchIp(c.settings.exceptions, c.clientIp) ?? matchSender(c.settings.exceptions, `@${e.domain}`);
  let action: DmarcAction;
  let reason: string;
  if (e.result === 'pass') return { action: 'none', reason: 'pass' };
  if (e.result === 'temperror') return { action: 'none', reason: 'DMARC record could not be read' };
  if (e.result === 'none') {
    const authenticated = e.alignment.spf.aligned || e.alignment.dkim.aligned;
    if (authenticated && !c.suspicious) return { action: 'none', reason: 'no DMARC record' };
    action = c.settings.actions.noRecord;
    reason = 'no DMARC record, not authenticated';
  } else if (!c.settings.honorPolicy) {
    action = c.settings.actions.none;
    reason = 'fail (honorPolicy off)';
  } else {
    const policy = e.policy ?? 'none';
    action = c.settings.actions[policy];
    reason = e.sampled ? `p=${policy}` : `p=${policy} (pct=${e.pct} sampled out)`;
  }
  if (exception && action !== 'none')
    return { action: 'none', reason: `exception ${exception.entry} (${reason})` };
  return { action, reason };
}

const SEVERITY: Record<DmarcAction, number> = { none: 0, tag: 1, quarantine: 2, reject: 3 };

export function stricter(a: DmarcAction, b: DmarcAction): DmarcAction {
  return SEVERITY[a] >= SEVERITY[b] ? a : b;
}
