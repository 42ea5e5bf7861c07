// IP profiler thresholds (SPEC §3, §12): per client IP and threat, over the monitoring window,
// `total` is the IP's traffic (messages; recipients for DHA) and `hits` the bad part of it.
import type { Threat, ThreatRule } from './sender-settings.js';

/** Has the IP crossed the threat's threshold? All conditions must hold ("at least"). */
export function thresholdCrossed(threat: Threat, rule: ThreatRule, total: number, hits: number): boolean {
  if (hits === 0 || total < rule.minMessages) return false;
  if (hits / total < rule.rate) return false;
  return threat !== 'dha' || hits >= rule.nonExistentRecipients;
}

/** Names of the two counts of each threat, as listed with a block and in the log. */
export const COUNT_NAMES: Record<Threat, [total: string, hits: string]> = {
  spam: ['messages', 'spam'],
  virus: ['messages', 'virus'],
  dha: ['recipients', 'unknownRecipients'],
  bounce: ['messages', 'bouncesToUnknownSenders'],
};

/** Window key of a threat's counters for one IP. */
export const profilerKey = (threat: Threat, ip: string) => `p:${threat}:${ip}`;
