// The policy document's shapes as the editor handles them (the server's zod schema is the
// truth; these are the parts the forms edit), and the conversions between a condition entry
// ("- keywords: {...}" or "- not: {...}") and the editor's {kind, negated, options}.

export const CONDITION_KINDS = [
  'keywords',
  'attachment',
  'dlp',
  'virus',
  'spam',
  'graymail',
  'size',
  'recipientCount',
  'header',
  'authentication',
  'socialEngineering',
  'cnc',
  'scanException',
] as const;
export type ConditionKind = (typeof CONDITION_KINDS)[number];

/** Kinds with a structured form; the rest are edited as YAML. */
export const FORM_KINDS: readonly ConditionKind[] = [
  'keywords',
  'attachment',
  'dlp',
  'size',
  'spam',
  'virus',
  'header',
];

export const TEXT_AREAS = ['subject', 'body', 'headers', 'attachmentNames', 'attachmentText'] as const;
export const DLP_TEMPLATES = ['credit-card', 'my-number', 'iban', 'us-ssn'] as const;
export const SPAM_LEVELS = ['low', 'medium', 'high'] as const;
export const DIRECTIONS = ['inbound', 'outbound', 'both', 'all'] as const;
/** Shared with the server's rule schema. */
export { INTERCEPT_ACTIONS } from '../../src/policy/intercept-actions';
export const KEYWORD_MODES = ['any', 'all', 'none', 'score'] as const;

export type Options = Record<string, unknown>;
export type ConditionEntry = Record<string, unknown>;

export interface EditorCondition {
  kind: string;
  negated: boolean;
  options: Options;
}

export function toEditor(entry: ConditionEntry): EditorCondition {
  const negated = 'not' in entry && typeof entry.not === 'object' && entry.not !== null;
  const inner = (negated ? entry.not : entry) as Record<string, unknown>;
  const kind = Object.keys(inner)[0] ?? 'keywords';
  const raw = inner[kind];
  const options: Options = Array.isArray(raw)
    ? { [listField(kind)]: raw }
    : raw && typeof raw === 'object'
      ? (raw as Options)
      : {};
  return { kind, negated, options };
}

export function fromEditor(c: EditorCondition): ConditionEntry {
  const inner = { [c.kind]: clean(c.options) };
  return c.negated ? { not: inner } : inner;
}

function listField(kind: string): string {
  return kind === 'virus' || kind === 'graymail' ? 'categories' : kind === 'cnc' ? 'types' : 'kinds';
}

/** Drops empty strings and empty lists, which the schema refuses (".min(1)"). */
export function clean(o: Options): Options {
  const out: Options = {};
  for (const [k, v] of Object.entries(o)) {
    if (v === '' || v === undefined || v === null) continue;
    if (Array.isArray(v) && v.length === 0) continue;
    out[k] = v;
  }
  return out;
}

export interface RuleRoute {
  direction?: string;
  senders?: string[];
  recipients?: string[];
  exceptSenders?: string[];
  exceptRecipients?: string[];
}

export interface Intercept {
  action: string;
  area?: string;
  to?: string[];
  host?: string;
}

export interface RuleActions {
  intercept?: Intercept | string;
  modify?: Options[];
  monitor?: Options[];
}

export interface RuleDocument {
  id: string;
  name?: string;
  description?: string;
  enabled?: boolean;
  type?: 'antivirus' | 'other';
  route?: RuleRoute;
  match?: 'all' | 'any';
  conditions?: ConditionEntry[];
  actions?: RuleActions;
  /** Set by the API for default rules, which cannot be deleted. */
  builtIn?: boolean;
  default?: boolean;
  /** One-line descriptions the API adds for the rule list. */
  summary?: { route?: string; conditions?: string; action?: string };
}

export function interceptOf(a: RuleActions | undefined): Intercept {
  const i = a?.intercept;
  if (!i) return { action: 'continue' };
  return typeof i === 'string' ? { action: i } : i;
}

/** The rule as the server wants it back: without the fields the API adds for display. */
export function ruleForSave(r: RuleDocument): RuleDocument {
  const { builtIn: _b, default: _d, ...rest } = r as RuleDocument & Record<string, unknown>;
  for (const k of ['summary', 'position', 'settingsVersion']) delete (rest as Record<string, unknown>)[k];
  return rest;
}

export interface KeywordEntry {
  pattern: string;
  regex?: boolean;
  caseSensitive?: boolean;
  description?: string;
  score?: number;
}

export interface KeywordList {
  name: string;
  description?: string;
  mode?: string;
  threshold?: number;
  entries: (KeywordEntry | string)[];
}

export interface PolicyOverview {
  rules: RuleDocument[];
  keywordLists?: KeywordList[];
  addressGroups?: unknown[];
  quarantineAreas?: (string | { name: string })[];
}

export function areaNames(p: PolicyOverview | undefined): string[] {
  return (p?.quarantineAreas ?? []).map((a) => (typeof a === 'string' ? a : a.name));
}
