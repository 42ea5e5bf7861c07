// Editing the rules of the policy document (the settings' "policy" section) the way the CLI
// and the console both do: find, describe, move, and the rules that keep the order the engine
// needs. Pure functions over the document; saving and validating is the caller's.
import type { SettingsDocument } from '../config/settings.js';
import { DEFAULT_RULE_IDS } from './defaults.js';

export type PolicyDocument = SettingsDocument['policy'];
export type RuleDocument = PolicyDocument['rules'][number];

const DEFAULT_IDS = new Set<string>(Object.values(DEFAULT_RULE_IDS));

/** Default rules can be edited and disabled, never deleted. */
export function isDefaultRule(id: string): boolean {
  return DEFAULT_IDS.has(id);
}

/** "virus and attachment", "keywords or dlp", "(always)". */
export function describeConditions(r: RuleDocument): string {
  const kinds = r.conditions.map((c) => {
    const [kind] = Object.keys(c);
    if (kind === 'not') return `not ${Object.keys(c.not ?? {})[0] ?? '?'}`;
    return kind ?? '?';
  });
  return kinds.length ? kinds.join(r.match === 'any' ? ' or ' : ' and ') : '(always)';
}

/** "quarantine (policy)", "delete", "continue". */
export function describeIntercept(r: RuleDocument): string {
  const i = r.actions.intercept as unknown;
  if (typeof i === 'string') return i;
  if (i && typeof i === 'object' && 'action' in i) {
    const a = i as { action: string; area?: string };
    return a.area ? `${a.action} (${a.area})` : a.action;
  }
  return 'continue';
}

/** "inbound, to *@example.com, except from *@partner.example". */
export function describeRoute(r: RuleDocument): string {
  const parts: string[] = [r.route.direction];
  const list = (what: string, v: string[] | undefined) => {
    if (v?.length) parts.push(`${what} ${v.join(', ')}`);
  };
  list('from', r.route.senders);
  list('to', r.route.recipients);
  list('except from', r.route.exceptSenders);
  list('except to', r.route.exceptRecipients);
  return parts.join(', ');
}

/** Where a rule is to go: an index in the final order, next to another rule, or an end. */
export type MoveTarget =
  { to: number } | { before: string } | { after: string } | { top: true } | { bottom: true };

export class RuleEditError extends Error {
  constructor(
    readonly kind: 'not-found' | 'invalid' | 'conflict',
    message: string,
  ) {
    super(message);
    this.name = 'RuleEditError';
  }
}

export function ruleIndex(rules: RuleDocument[], id: string): number {
  const i = rules.findIndex((r) => r.id === id);
  if (i < 0) throw new RuleEditError('not-found', `no rule "${id}"`);
  return i;
}

/** Moves rule `id` in place; returns its new index. */
export function moveRule(rules: RuleDocument[], id: string, target: MoveTarget): number {
  const from = ruleIndex(rules, id);
  if ('to' in target && (!Number.isInteger(target.to) || target.to < 0 || target.to >= rules.length))
    throw new RuleEditError('invalid', `to: ${target.to} is not a position from 0 to ${rules.length - 1}`);
  if ('before' in target) ruleIndex(rules, target.before);
  if ('after' in target) ruleIndex(rules, target.after);
  const [rule] = rules.splice(from, 1) as [RuleDocument];
  let at: number;
  if ('to' in target) at = target.to;
  else if ('top' in target) at = 0;
  else if ('bottom' in target) at = rules.length;
  else if ('before' in target) at = ruleIndex(rules, target.before);
  else at = ruleIndex(rules, target.after) + 1;
  rules.splice(at, 0, rule);
  return at;
}

/**
 * Why this order is not what the engine runs, if it is not: antivirus rules run before every
 * other rule and global-antivirus runs first, whatever the document says, so an order that
 * says otherwise would mislead whoever reads it.
 */
export function orderProblem(rules: RuleDocument[]): string | undefined {
  const av = rules.findIndex((r) => r.id === DEFAULT_RULE_IDS.antivirus);
  if (av > 0) return `${DEFAULT_RULE_IDS.antivirus} always runs first`;
  const firstOther = rules.findIndex((r) => r.type !== 'antivirus');
  if (firstOther < 0) return undefined;
  const lateAv = rules.findIndex((r, i) => i > firstOther && r.type === 'antivirus');
  if (lateAv < 0) return undefined;
  return (
    `antivirus rules run before every other rule: ${rules[lateAv]?.id ?? ''} cannot come after ` +
    `${rules[firstOther]?.id ?? ''} (antivirus rules take positions 0 to ${
      rules.filter((r) => r.type === 'antivirus').length - 1
    })`
  );
}
