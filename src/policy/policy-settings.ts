// The "policy" section of the settings document: rules, keyword lists, address groups,
// notification templates, quarantine and archive areas. Validation names the bad key
// ("policy.rules[2].conditions[0].keywords.list: no keyword list named ..."), and
// resolvePolicySettings turns the document into the runtime form the engine reads.
//
// Default rules (global-antivirus, scan-exceptions, default-spam, default-graymail), default
// quarantine areas (virus, scan-exceptions, spam, policy) and notification templates
// (virus-alert, policy-alert) are put back by the schema when a
// document leaves them out, so they can be edited but never deleted; a default rule written
// in part keeps the default values of the keys left out; global-antivirus is kept first
// (SPEC §12).
import { z } from 'zod';
import { parseHostPort } from '../config/host-port.js';
import { parseDuration, parseSize } from '../config/units.js';
import { LEVEL_THRESHOLDS } from '../spam/spam-settings.js';
import { groupName, INTERNAL_GROUP } from './address-pattern.js';
import {
  DEFAULT_QUARANTINE_AREAS,
  DEFAULT_RULE_IDS,
  defaultNotificationTemplates,
  defaultQuarantineAreaDocuments,
  defaultRuleDocuments,
} from './defaults.js';
import { regexProblem } from './regex.js';
import { actionsSchema, type ActionsDocument } from './schema-actions.js';
import { addressPatternSetting, addressSetting, durationSetting, nameSetting } from './schema-common.js';
import {
  conditionSchema,
  GRAYWARE_CATEGORIES,
  type ConditionDocument,
  type PlainConditionDocument,
} from './schema-conditions.js';
import {
  KEYWORD_MODES,
  ROUTE_DIRECTIONS,
  type InterceptSetting,
  type ModifySetting,
  type MonitorSetting,
  type PolicyCondition,
  type PolicyRule,
  type PolicySettings,
  type TextArea,
} from './types.js';

export type { PolicySettings } from './types.js';

const keywordEntry = z.preprocess(
  // A plain string is a literal, case-insensitive entry.
  (v) => (typeof v === 'string' ? { pattern: v } : v),
  z
    .strictObject({
      pattern: z.string().min(1),
      /** The pattern is a regular expression (PCRE-style: \b, \d, classes, look-around). */
      regex: z.boolean().optional(),
      caseSensitive: z.boolean().optional(),
      /** Shown in the policy log instead of the pattern. */
      description: z.string().optional(),
      /** For lists in score mode (default 1; may be negative). */
      score: z.number().optional(),
    })
    .superRefine((v, ctx) => {
      const problem = v.regex ? regexProblem(v.pattern, v.caseSensitive) : undefined;
      if (problem) ctx.addIssue({ code: 'custom', path: ['pattern'], message: problem });
    }),
);

const keywordList = z
  .strictObject({
    name: nameSetting,
    description: z.string().optional(),
    mode: z.enum(KEYWORD_MODES).default('any'),
    threshold: z.number().optional(),
    entries: z.array(keywordEntry).min(1),
  })
  .superRefine((v, ctx) => {
    if (v.mode === 'score' && v.threshold === undefined)
      ctx.addIssue({ code: 'custom', path: ['threshold'], message: 'mode score needs a threshold' });
    if (v.mode !== 'score' && v.threshold !== undefined)
      ctx.addIssue({ code: 'custom', path: ['threshold'], message: 'only used with mode score' });
  });

const addressGroup = z.strictObject({
  name: nameSetting,
  description: z.string().optional(),
  addresses: z
    .array(
      addressPatternSetting.refine((v) => groupName(v) === undefined, {
        message: 'address groups hold addresses and patterns, not other groups',
      }),
    )
    .max(10_000, 'at most 10,000 addresses per group'),
});

const notificationTemplate = z.strictObject({
  name: nameSetting,
  subject: z.string().regex(/^[^\r\n]*$/, 'must be one line'),
  body: z.string(),
});

const mailArea = z.strictObject({
  name: nameSetting,
  description: z.string().optional(),
  retention: durationSetting.default('30d'),
});

const addressPatterns = z.array(addressPatternSetting).optional();

const route = z.strictObject({
  direction: z.enum(ROUTE_DIRECTIONS).default('all'),
  senders: addressPatterns,
  recipients: addressPatterns,
  exceptSenders: addressPatterns,
  exceptRecipients: addressPatterns,
});

const DEFAULT_RULES = new Map<string, ReturnType<typeof defaultRuleDocuments>[number]>(
  defaultRuleDocuments().map((r) => [r.id, r]),
);

/** A default rule written in part is an edit: the keys left out keep their default values. */
function completeDefaultRule(v: unknown): unknown {
  if (typeof v !== 'object' || v === null || !('id' in v) || typeof v.id !== 'string') return v;
  const builtIn = DEFAULT_RULES.get(v.id);
  return builtIn ? { ...builtIn, ...v } : v;
}

const ruleShape = z.strictObject({
  id: nameSetting,
  name: z.string().min(1).optional(),
  description: z.string().optional(),
  enabled: z.boolean().default(true),
  type: z.enum(['antivirus', 'other']).default('other'),
  route: route.prefault({}),
  match: z.enum(['all', 'any']).default('all'),
  conditions: z.array(conditionSchema).default([]),
  actions: actionsSchema.prefault({}),
});

const rule = z.preprocess(completeDefaultRule, ruleShape);

/** One rule as the document holds it (the console's editor builds its forms from its JSON schema). */
export const policyRuleSchema = ruleShape;

type RuleDocument = z.output<typeof ruleShape>;

const documentShape = z.strictObject({
  rules: z.array(rule).default([]),
  keywordLists: z.array(keywordList).default([]),
  addressGroups: z.array(addressGroup).default([]),
  notificationTemplates: z.array(notificationTemplate).default([]),
  quarantineAreas: z.array(mailArea).default([]),
  archiveAreas: z.array(mailArea).default([]),
  /** Where "notify: { to: admin }" goes. */
  administratorAddress: addressSetting.optional(),
});

type DocumentShape = z.output<typeof documentShape>;

export const policySettingsSchema = documentShape
  .superRefine(checkReferences)
  .transform(withDefaults)
  .prefault({});

export type PolicySettingsDocument = z.output<typeof policySettingsSchema>;

/** Names used twice, and every name a rule refers to that does not exist. */
function checkReferences(doc: DocumentShape, ctx: z.RefinementCtx): void {
  const issue = (path: (string | number)[], message: string) =>
    ctx.addIssue({ code: 'custom', path, message });
  const unique = (list: { name: string }[], key: string, what: string) => {
    const seen = new Set<string>();
    list.forEach((item, i) => {
      const n = item.name.toLowerCase();
      if (seen.has(n)) issue([key, i, 'name'], `another ${what} is already named "${item.name}"`);
      seen.add(n);
    });
    return seen;
  };
  const lists = unique(doc.keywordLists, 'keywordLists', 'keyword list');
  const groups = unique(doc.addressGroups, 'addressGroups', 'address group');
  const templates = unique(doc.notificationTemplates, 'notificationTemplates', 'template');
  const quarantine = unique(doc.quarantineAreas, 'quarantineAreas', 'quarantine area');
  const archive = unique(doc.archiveAreas, 'archiveAreas', 'archive area');
  for (const d of DEFAULT_QUARANTINE_AREAS) quarantine.add(d);
  for (const t of defaultNotificationTemplates()) templates.add(t.name);
  doc.archiveAreas.forEach((a, i) => {
    if (quarantine.has(a.name.toLowerCase()))
      issue(['archiveAreas', i, 'name'], `"${a.name}" is already a quarantine area`);
  });
  doc.addressGroups.forEach((g, i) => {
    if (g.name.toLowerCase() === INTERNAL_GROUP)
      issue(['addressGroups', i, 'name'], `"${INTERNAL_GROUP}" is built in (the accepted domains)`);
  });
  groups.add(INTERNAL_GROUP);

  const ids = new Set<string>();
  doc.rules.forEach((r, i) => {
    const at = (...rest: (string | number)[]) => ['rules', i, ...rest];
    if (ids.has(r.id)) issue(at('id'), `another rule already has the id "${r.id}"`);
    ids.add(r.id);
    const builtIn = DEFAULT_RULES.get(r.id);
    if (builtIn && builtIn.type !== r.type)
      issue(at('type'), `the default rule ${r.id} is an ${builtIn.type} rule; its type cannot change`);

    for (const key of ['senders', 'recipients', 'exceptSenders', 'exceptRecipients'] as const) {
      r.route[key]?.forEach((p, j) => {
        const g = groupName(p);
        if (g !== undefined && !groups.has(g)) issue(at('route', key, j), `no address group named "${g}"`);
      });
    }
    r.conditions.forEach((c, j) => {
      const [inner, path] = c.not ? [c.not, ['not']] : [c, []];
      if (inner.keywords && !lists.has(inner.keywords.list.toLowerCase()))
        issue(
          at('conditions', j, ...path, 'keywords', 'list'),
          `no keyword list named "${inner.keywords.list}"`,
        );
    });
    const { intercept, monitor } = r.actions;
    if (intercept.area !== undefined && !quarantine.has(intercept.area.toLowerCase()))
      issue(at('actions', 'intercept', 'area'), `no quarantine area named "${intercept.area}"`);
    monitor.forEach((m, j) => {
      if (m.notify && !templates.has(m.notify.template.toLowerCase()))
        issue(
          at('actions', 'monitor', j, 'notify', 'template'),
          `no notification template named "${m.notify.template}"`,
        );
      if (m.notify?.to === 'admin' && doc.administratorAddress === undefined)
        issue(at('actions', 'monitor', j, 'notify', 'to'), 'set policy.administratorAddress to notify admin');
      if (m.archive !== undefined && !archive.has(m.archive.toLowerCase()))
        issue(at('actions', 'monitor', j, 'archive'), `no archive area named "${m.archive}"`);
    });
  });
}

/** Puts back missing default rules, areas and templates; global-antivirus goes first. */
function withDefaults(doc: DocumentShape): DocumentShape {
  const present = new Set(doc.rules.map((r) => r.id));
  const missing = defaultRuleDocuments().filter((r) => !present.has(r.id)) as RuleDocument[];
  let rules = [...doc.rules];
  for (const r of missing) {
    if (r.id === DEFAULT_RULE_IDS.antivirus) continue;
    // scan-exceptions joins the other antivirus rules; spam and graymail go last, as catch-alls.
    if (r.type === 'antivirus') {
      const lastAv = rules.map((x) => x.type).lastIndexOf('antivirus');
      rules.splice(lastAv + 1, 0, r);
    } else rules.push(r);
  }
  const av =
    rules.find((r) => r.id === DEFAULT_RULE_IDS.antivirus) ??
    missing.find((r) => r.id === DEFAULT_RULE_IDS.antivirus);
  if (av) rules = [av, ...rules.filter((r) => r !== av)];

  const areas = new Set(doc.quarantineAreas.map((a) => a.name.toLowerCase()));
  const quarantineAreas = [
    ...defaultQuarantineAreaDocuments().filter((a) => !areas.has(a.name)),
    ...doc.quarantineAreas,
  ];
  const named = new Set(doc.notificationTemplates.map((t) => t.name.toLowerCase()));
  const notificationTemplates = [
    ...defaultNotificationTemplates().filter((t) => !named.has(t.name)),
    ...doc.notificationTemplates,
  ];
  return { ...doc, rules, quarantineAreas, notificationTemplates };
}

// ---------------------------------------------------------------------------------------------
// Document -> runtime form.

const DEFAULT_AREAS: TextArea[] = ['subject', 'body', 'attachmentText'];

function bytes(v: string | number | undefined): number | undefined {
  return v === undefined ? undefined : parseSize(v);
}

function resolvePlainCondition(c: PlainConditionDocument): PolicyCondition {
  if (c.virus) {
    const cats = c.virus.categories?.flatMap((k) => (k === 'grayware' ? GRAYWARE_CATEGORIES : [k]));
    return { kind: 'virus', categories: cats ? [...new Set(cats)] : undefined };
  }
  if (c.scanException) return { kind: 'scanException', kinds: c.scanException.kinds };
  if (c.attachment) {
    const a = c.attachment;
    return {
      kind: 'attachment',
      names: a.names,
      extensions: a.extensions?.map((e) => e.replace(/^\./, '').toLowerCase()),
      trueTypes: a.trueTypes,
      declaredTypes: a.declaredTypes?.map((t) => t.toLowerCase()),
      minSize: bytes(a.minSize),
      maxSize: bytes(a.maxSize),
      encrypted: a.encrypted,
      macros: a.macros,
      pdfJavascript: a.pdfJavascript,
      doubleExtension: a.doubleExtension,
      minCount: a.minCount ?? 1,
    };
  }
  if (c.keywords)
    return { kind: 'keywords', list: c.keywords.list.toLowerCase(), in: c.keywords.in ?? DEFAULT_AREAS };
  if (c.dlp)
    return {
      kind: 'dlp',
      template: c.dlp.template,
      minCount: c.dlp.minCount ?? 1,
      in: c.dlp.in ?? DEFAULT_AREAS,
    };
  if (c.size) return { kind: 'size', min: bytes(c.size.min), max: bytes(c.size.max) };
  if (c.recipientCount)
    return { kind: 'recipientCount', min: c.recipientCount.min, max: c.recipientCount.max };
  if (c.header)
    return {
      kind: 'header',
      name: c.header.name.toLowerCase(),
      pattern: c.header.pattern,
      caseSensitive: c.header.caseSensitive ?? false,
    };
  if (c.spam) {
    const { level, threshold } = c.spam;
    return level ? { kind: 'spam', level, threshold: LEVEL_THRESHOLDS[level] } : { kind: 'spam', threshold };
  }
  if (c.graymail) return { kind: 'graymail', categories: c.graymail.categories };
  if (c.socialEngineering) return { kind: 'socialEngineering', kinds: c.socialEngineering.kinds };
  if (c.cnc) return { kind: 'cnc', types: c.cnc.types, where: c.cnc.where };
  if (c.authentication) {
    const { match, ...tests } = c.authentication;
    return { kind: 'authentication', match: match ?? 'any', ...tests };
  }
  // The schema guarantees one kind per condition.
  throw new Error('condition without a kind');
}

function resolveCondition(c: ConditionDocument): PolicyCondition {
  return c.not ? { kind: 'not', condition: resolvePlainCondition(c.not) } : resolvePlainCondition(c);
}

function resolveIntercept(i: ActionsDocument['intercept']): InterceptSetting {
  switch (i.action) {
    case 'quarantine':
      return { type: 'quarantine', area: (i.area ?? 'policy').toLowerCase() };
    case 'changeRecipient':
      return { type: 'changeRecipient', to: i.to ?? [] };
    case 'reroute': {
      const hp = parseHostPort(i.host ?? '') ?? { host: i.host ?? '', port: 25 };
      return { type: 'reroute', host: hp.host, port: hp.port };
    }
    default:
      return { type: i.action };
  }
}

const DEFAULT_STRIP_NOTE = 'The attachment %FILENAME% was removed by policy (rule %RULENAME%).';

function resolveModify(m: ActionsDocument['modify'][number]): ModifySetting {
  if (m.tagSubject !== undefined) return { type: 'tagSubject', text: m.tagSubject };
  if (m.stamp) return { type: 'stamp', text: m.stamp.text, html: m.stamp.html, position: m.stamp.position };
  if (m.addHeader) return { type: 'addHeader', name: m.addHeader.name, value: m.addHeader.value };
  if (m.removeHeader !== undefined) return { type: 'removeHeader', name: m.removeHeader };
  if (m.stripAttachments)
    return {
      type: 'stripAttachments',
      which: m.stripAttachments.which,
      note: m.stripAttachments.note ?? DEFAULT_STRIP_NOTE,
    };
  throw new Error('modify entry without a kind');
}

function resolveMonitor(m: ActionsDocument['monitor'][number]): MonitorSetting {
  if (m.notify) return { type: 'notify', template: m.notify.template.toLowerCase(), to: m.notify.to };
  if (m.bcc !== undefined) return { type: 'bcc', to: m.bcc };
  if (m.archive !== undefined) return { type: 'archive', area: m.archive.toLowerCase() };
  throw new Error('monitor entry without a kind');
}

function resolveRule(r: RuleDocument): PolicyRule {
  return {
    id: r.id,
    name: r.name ?? r.id,
    description: r.description,
    enabled: r.enabled,
    type: r.type,
    route: {
      direction: r.route.direction,
      senders: r.route.senders ?? [],
      recipients: r.route.recipients ?? [],
      exceptSenders: r.route.exceptSenders ?? [],
      exceptRecipients: r.route.exceptRecipients ?? [],
    },
    match: r.match,
    conditions: r.conditions.map(resolveCondition),
    actions: {
      intercept: resolveIntercept(r.actions.intercept),
      modify: r.actions.modify.map(resolveModify),
      monitor: r.actions.monitor.map(resolveMonitor),
    },
  };
}

export function resolvePolicySettings(doc: PolicySettingsDocument): PolicySettings {
  const area = (a: DocumentShape['quarantineAreas'][number]) => ({
    name: a.name.toLowerCase(),
    description: a.description,
    retention: parseDuration(a.retention) ?? 0,
  });
  return {
    rules: doc.rules.map(resolveRule),
    keywordLists: doc.keywordLists.map((l) => ({
      name: l.name.toLowerCase(),
      description: l.description,
      mode: l.mode,
      threshold: l.threshold ?? 1,
      entries: l.entries.map((e) => ({
        pattern: e.pattern,
        regex: e.regex ?? false,
        caseSensitive: e.caseSensitive ?? false,
        description: e.description ?? e.pattern,
        score: e.score ?? 1,
      })),
    })),
    addressGroups: doc.addressGroups.map((g) => ({ name: g.name.toLowerCase(), addresses: g.addresses })),
    notificationTemplates: doc.notificationTemplates.map((t) => ({ ...t, name: t.name.toLowerCase() })),
    quarantineAreas: doc.quarantineAreas.map(area),
    archiveAreas: doc.archiveAreas.map(area),
    administratorAddress: doc.administratorAddress,
  };
}
