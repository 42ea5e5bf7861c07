// GTUBE, the Generic Test for Unsolicited Bulk Email: a message containing this string is spam
// for every filter, so administrators can test their setup end to end.
import type { Facts } from '../../scan/facts.js';
import type { RuleHit } from './scores.js';

export const GTUBE = 'XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X';

export function gtubeRule(facts: Facts): RuleHit[] {
  const found = [facts.textBody, facts.htmlText, facts.subject].some((t) => t.includes(GTUBE));
  return found ? [{ rule: 'GTUBE', detail: 'GTUBE test string' }] : [];
}
