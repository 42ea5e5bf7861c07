// Words for what the policy stage did: for tracking, policy events and notification tokens.
import type { ParsedMessage } from '../scan/facts.js';
import type { Decision, InterceptAction } from '../policy/decision.js';

export function describeIntercept(i: InterceptAction): string {
  switch (i.type) {
    case 'quarantine':
      return `quarantine (${i.area})`;
    case 'changeRecipient':
      return `change recipient to ${i.to.join(', ')}`;
    case 'reroute':
      return `re-route to ${i.host}:${i.port}`;
    default:
      return i.type;
  }
}

/** One line for message tracking: what the engines found and what became of the message. */
export function summarizeVerdict(parsed: ParsedMessage, decision: Decision): string {
  const parts: string[] = [];
  const viruses = [...new Set(parsed.facts.virus.map((v) => v.name))];
  if (viruses.length) parts.push(`virus ${viruses.join(', ')}`);
  const exceptions = [...new Set(parsed.facts.exceptions.map((e) => e.kind))];
  if (exceptions.length) parts.push(`scan exception ${exceptions.join(', ')}`);
  const rules = [...new Set(decision.recipients.flatMap((d) => d.matched.map((m) => m.ruleName)))];
  if (rules.length) parts.push(`rules ${rules.join(', ')}`);
  const outcomes = [...new Set(decision.recipients.map((d) => describeIntercept(d.intercept)))];
  parts.push(outcomes.join(' / '));
  return parts.join('; ');
}
