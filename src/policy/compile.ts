// Everything about a settings object that can be prepared before any message arrives:
// regexes, keyword lists, address groups, rules in evaluation order. Built once per
// PolicySettings object (settings are replaced, never mutated, when they change) and kept in a
// WeakMap so an old settings object and its compiled form go away together.
import { AddressSet } from './address-pattern.js';
import { compileCondition, type CompiledCondition } from './conditions/index.js';
import { compileKeywordList } from './conditions/keywords.js';
import { compileRoute, type CompiledRoute } from './route.js';
import type { NotificationTemplate, PolicyRule, PolicySettings } from './types.js';

export interface CompiledRule {
  rule: PolicyRule;
  route: CompiledRoute;
  /** Cheapest first; `index` is the position the administrator wrote it at (for traces). */
  conditions: { index: number; condition: CompiledCondition }[];
  /** Tests scan exceptions: the only kind of rule that runs on a malformed message. */
  scanExceptionRule: boolean;
}

export interface CompiledPolicy {
  /** Antivirus rules first, then the others, each in the order written. */
  rules: CompiledRule[];
  groups: Map<string, AddressSet>;
  templates: Map<string, NotificationTemplate>;
}

const cache = new WeakMap<PolicySettings, CompiledPolicy>();

export function compilePolicy(settings: PolicySettings): CompiledPolicy {
  let compiled = cache.get(settings);
  if (!compiled) {
    compiled = build(settings);
    cache.set(settings, compiled);
  }
  return compiled;
}

function build(settings: PolicySettings): CompiledPolicy {
  const lists = new Map(settings.keywordLists.map((l) => [l.name.toLowerCase(), compileKeywordList(l)]));
  const ordered = [
    ...settings.rules.filter((r) => r.type === 'antivirus'),
    ...settings.rules.filter((r) => r.type !== 'antivirus'),
  ];
  return {
    rules: ordered.map((rule) => ({
      rule,
      route: compileRoute(rule.route),
      conditions: rule.conditions
        .map((c, index) => ({ index, condition: compileCondition(c, lists) }))
        .sort((a, b) => a.condition.cost - b.condition.cost || a.index - b.index),
      scanExceptionRule: rule.conditions.some((c) => c.kind === 'scanException'),
    })),
    groups: new Map(settings.addressGroups.map((g) => [g.name.toLowerCase(), new AddressSet(g.addresses)])),
    templates: new Map(settings.notificationTemplates.map((t) => [t.name.toLowerCase(), t])),
  };
}
