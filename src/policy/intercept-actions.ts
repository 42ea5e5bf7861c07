// What a rule can do with a message instead of (or before) delivering it: the one intercept
// action of a rule. Imported by the rule schema (schema-actions.ts) and by the console's rule
// editor (ui/src/policy-model.ts), so it must stay free of imports.
export const INTERCEPT_ACTIONS = [
  'continue',
  'deliver',
  'delete',
  'quarantine',
  'changeRecipient',
  'reroute',
  'hold',
] as const;
