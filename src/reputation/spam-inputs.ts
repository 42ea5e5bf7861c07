// Reputation results in the shape the spam engine takes (SpamInputs.dnsbl / .uribl in
// src/spam/types.ts, matched structurally so neither module imports the other): one entry per
// listing that counts, with its points. DNSBL listings set aside by a DNSWL "allow" do not
// count; DNSWL listings come with their (negative) scores under the same key.
import type { EnvelopeReputation } from './dnsbl.js';
import type { UriReputationResult } from './uribl.js';

export interface SpamReputationInputs {
  dnsbl: { zone: string; code?: string; name?: string; score: number }[];
  uribl: { zone: string; domain: string; url?: string; name?: string; score: number }[];
}

export function reputationSpamInputs(
  ip: EnvelopeReputation | undefined,
  urls: UriReputationResult | undefined,
): SpamReputationInputs {
  const allowed = ip?.verdict === 'allow';
  const dnsbl = (ip?.hits ?? [])
    .filter((h) => h.score !== 0 && !(allowed && h.list === 'dnsbl'))
    .map((h) => ({ zone: h.zone, code: h.code, score: h.score, ...(h.name ? { name: h.name } : {}) }));
  const uribl = (urls?.hits ?? [])
    .filter((h) => h.score !== 0)
    .map((h) => ({
      zone: h.zone,
      domain: h.subject,
      url: h.url,
      score: h.score,
      ...(h.name ? { name: h.name } : {}),
    }));
  return { dnsbl, uribl };
}
