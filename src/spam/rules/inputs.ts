// The other stages' results as score: sender authentication (rules with names), DNSBL/URIBL
// hits and optional engines (with the score their producers configured).
import type { SpamInputs, SpamReason } from '../types.js';
import type { RuleHit } from './scores.js';

export function authRules(auth: SpamInputs['auth']): RuleHit[] {
  if (!auth) return [];
  const hits: RuleHit[] = [];
  if (auth.spf === 'fail') hits.push({ rule: 'SPF_FAIL', detail: 'SPF fail' });
  else if (auth.spf === 'softfail') hits.push({ rule: 'SPF_SOFTFAIL', detail: 'SPF softfail' });
  else if (auth.spf === 'pass') hits.push({ rule: 'SPF_PASS', detail: 'SPF pass' });
  const dkim = auth.dkim ?? [];
  const valid = dkim.filter((d) => d.result === 'pass');
  if (valid.length > 0)
    hits.push({ rule: 'DKIM_VALID', detail: `DKIM pass for ${valid.map((d) => d.domain).join(', ')}` });
  else if (dkim.some((d) => d.result === 'fail' || d.result === 'permerror'))
    hits.push({ rule: 'DKIM_INVALID', detail: `DKIM fail for ${dkim.map((d) => d.domain).join(', ')}` });
  const dmarc = auth.dmarc;
  if (dmarc?.result === 'pass')
    hits.push({ rule: 'DMARC_PASS', detail: `DMARC pass ${dmarc.domain ?? ''}`.trim() });
  else if (dmarc?.result === 'fail') {
    const detail = `DMARC fail ${dmarc.domain ?? ''} (p=${dmarc.policy ?? 'none'})`;
    if (dmarc.policy === 'reject') hits.push({ rule: 'DMARC_FAIL_REJECT', detail });
    else if (dmarc.policy === 'quarantine') hits.push({ rule: 'DMARC_FAIL_QUARANTINE', detail });
    else hits.push({ rule: 'DMARC_FAIL_NONE', detail });
  }
  if (auth.dkimEnforcedFailure) {
    hits.push({
      rule: 'DKIM_ENFORCED',
      detail: `${auth.dkimEnforcedFailure}: on the DKIM enforcement list, no valid signature`,
    });
  }
  if (auth.suspicious && auth.suspicious.length > 0) {
    hits.push({ rule: 'AUTH_SUSPICIOUS', detail: auth.suspicious.slice(0, 3).join('; ') });
  }
  return hits;
}

export function reputationReasons(inputs: SpamInputs): SpamReason[] {
  const out: SpamReason[] = [];
  for (const h of inputs.dnsbl ?? []) {
    // DNSWL (allow list) hits come with a negative score under the same key.
    const allow = h.score < 0;
    const code = h.name ?? h.code;
    out.push({
      rule: allow ? 'DNSWL' : 'DNSBL',
      score: h.score,
      detail: `client ${allow ? 'on the allow list' : 'listed by'} ${h.zone}${code ? ` (${code})` : ''}`,
    });
  }
  for (const h of inputs.uribl ?? []) {
    out.push({
      rule: 'URIBL',
      score: h.score,
      detail: `${h.domain} listed by ${h.zone}${h.name ? ` (${h.name})` : ''}`,
    });
  }
  for (const e of inputs.engines ?? []) {
    out.push({
      rule: `ENGINE_${e.name.toUpperCase().replace(/[^A-Z0-9]+/g, '_')}`,
      score: e.score,
      detail: e.detail ?? e.name,
    });
  }
  return out;
}
