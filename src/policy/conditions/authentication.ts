// The sender authentication condition: SPF, DKIM and DMARC results, the DMARC policy and the
// action the auth settings chose, and authentication that cannot be trusted. Each key written
// is one test; by default any test that holds is enough ("spf: [fail], dkim: [fail]" = SPF or
// DKIM fails), with match: all every test must hold ("dmarc: [fail], dmarcPolicy: [reject]"
// = DMARC fails for a domain that asks for reject). No authentication results (internal mail,
// auth off) never match.
import type { AuthResults } from '../../auth/types.js';
import type { Evidence } from '../decision.js';
import type { PolicyCondition } from '../types.js';
import { COST, evidence, type CompiledCondition } from './types.js';

type AuthCondition = Extract<PolicyCondition, { kind: 'authentication' }>;

type Test = (a: AuthResults) => Evidence | undefined;

const ev = (detail: string, value: string) => evidence({ condition: 'authentication', detail, value });

function tests(c: AuthCondition): { label: string; test: Test }[] {
  const out: { label: string; test: Test }[] = [];
  const { spf, dkim, dmarc, dmarcPolicy, dmarcAction } = c;
  if (spf)
    out.push({
      label: `spf ${spf.join('/')}`,
      test: ({ spf: s }) =>
        s && spf.includes(s.result)
          ? ev(`SPF ${s.result} for ${s.domain} (${s.scope})${s.comment ? `: ${s.comment}` : ''}`, s.result)
          : undefined,
    });
  if (dkim)
    out.push({
      label: `dkim ${dkim.join('/')}`,
      test: (a) => {
        const r = a.dkimResult;
        if (r === undefined || !dkim.includes(r)) return undefined;
        const sig = a.dkim.find((d) => d.result === r);
        const about = sig
          ? ` (d=${sig.domain} s=${sig.selector}${sig.reason ? `: ${sig.reason}` : ''})`
          : a.dkim.length === 0
            ? ' (message not signed)'
            : '';
        return ev(`DKIM ${r}${about}`, r);
      },
    });
  if (dmarc)
    out.push({
      label: `dmarc ${dmarc.join('/')}`,
      test: ({ dmarc: d }) =>
        d && dmarc.includes(d.result)
          ? ev(`DMARC ${d.result} for ${d.domain}${d.policy ? ` (policy ${d.policy})` : ''}`, d.result)
          : undefined,
    });
  if (dmarcPolicy)
    out.push({
      label: `dmarc policy ${dmarcPolicy.join('/')}`,
      test: ({ dmarc: d }) =>
        d?.policy && dmarcPolicy.includes(d.policy)
          ? ev(
              `DMARC policy of ${d.domain} is ${d.policy}${d.sampled ? '' : ` (lowered by pct=${d.pct})`}`,
              d.policy,
            )
          : undefined,
    });
  if (dmarcAction)
    out.push({
      label: `dmarc action ${dmarcAction.join('/')}`,
      test: ({ dmarc: d }) =>
        d && dmarcAction.includes(d.action)
          ? ev(`DMARC action ${d.action} for ${d.domain}: ${d.actionReason}`, d.action)
          : undefined,
    });
  if (c.suspicious)
    out.push({
      label: 'suspicious',
      test: (a) =>
        a.suspicious.length > 0
          ? ev(`authentication cannot be trusted: ${a.suspicious.join('; ')}`, 'suspicious')
          : undefined,
    });
  return out;
}

export function authenticationCondition(c: AuthCondition): CompiledCondition {
  const list = tests(c);
  const all = c.match === 'all';
  return {
    label: `authentication (${list.map((t) => t.label).join(all ? ' and ' : ' or ')})`,
    cost: COST.facts,
    evaluate: (m) => {
      const a = m.facts.auth;
      if (!a) return [];
      const found: Evidence[] = [];
      for (const t of list) {
        const e = t.test(a);
        if (e) found.push(e);
        else if (all) return [];
      }
      return found;
    },
  };
}
