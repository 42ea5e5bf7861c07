// The policy engine: for each recipient, the rules in order (antivirus rules first), each
// applying when enabled and its route fits that recipient, and matching when its conditions
// do (all or any). Every matching rule adds its modify and monitor actions; the first
// intercepting action (anything but "continue") ends processing for that recipient, and a
// recipient no rule intercepts is delivered. A malformed message runs only the rules that
// test scan exceptions (SPEC §12). Conditions depend on the message only, so each runs at
// most once per message whatever the number of recipients, and only when a rule reaches it.
import type { Direction, ParsedMessage } from '../scan/facts.js';
import type {
  Decision,
  Evidence,
  InterceptAction,
  ModifyAction,
  MonitorAction,
  RecipientDecision,
  RuleMatch,
  RuleTrace,
} from './decision.js';
import { INTERNAL_GROUP, internalGroup, normaliseAddress, type GroupResolver } from './address-pattern.js';
import { compilePolicy, type CompiledPolicy, type CompiledRule } from './compile.js';
import { MessageContext } from './message-context.js';
import { routeMismatch } from './route.js';
import { describeAction, expandTemplate, type TemplateContext } from './template.js';
import type { PolicySettings } from './types.js';

export { expandTemplate } from './template.js';
export type { TemplateContext } from './template.js';

export interface EvaluateOptions {
  /** Accepted (internal) domains, "example.com" or "*.example.com": the built-in group:internal. */
  acceptedDomains: string[];
  directionFor: (recipient: string) => Direction;
}

interface Outcome {
  matched: boolean;
  evidence: Evidence[];
  reason?: string;
}

/** A rule's conditions over the message (the same for every recipient). */
function conditionsOutcome(r: CompiledRule, m: MessageContext): Outcome {
  const { conditions } = r;
  if (conditions.length === 0) return { matched: true, evidence: [] };
  const run = (c: (typeof conditions)[number]) => m.once(c.condition, () => c.condition.evaluate(m));
  if (r.rule.match === 'any') {
    for (const c of conditions) {
      const ev = run(c);
      if (ev.length > 0) return { matched: true, evidence: ev };
    }
    return {
      matched: false,
      evidence: [],
      reason: `no condition matched: ${conditions.map((c) => c.condition.label).join('; ')}`,
    };
  }
  const evidence: Evidence[] = [];
  for (const c of conditions) {
    const ev = run(c);
    if (ev.length === 0)
      return {
        matched: false,
        evidence,
        reason: `condition ${c.index + 1} did not match: ${c.condition.label}`,
      };
    evidence.push(...ev);
  }
  return { matched: true, evidence };
}

type Intercept = RecipientDecision['intercept'];
type Modify = RecipientDecision['modify'][number];
type Monitor = RecipientDecision['monitor'][number];

/** Attachment ids a stripAttachments action removes (template tokens are filled in later). */
function stripTargets(which: 'matching' | 'all', evidence: Evidence[], m: MessageContext): string[] {
  if (which === 'all') return m.facts.attachments.filter((a) => a.depth === 0).map((a) => a.id);
  return [...new Set(evidence.map((e) => e.attachment).filter((a): a is string => a !== undefined))];
}

interface RecipientRun {
  decision: RecipientDecision;
  trace: RuleTrace[];
}

function evaluateRecipient(
  recipient: string,
  policy: CompiledPolicy,
  m: MessageContext,
  o: EvaluateOptions,
  groups: GroupResolver,
  outcomes: Map<CompiledRule, Outcome>,
): RecipientRun {
  const direction = o.directionFor(recipient);
  const party = {
    sender: normaliseAddress(m.facts.envelope.sender),
    recipient: normaliseAddress(recipient),
    direction,
  };
  const malformed = m.facts.exceptions.some((e) => e.kind === 'malformed');
  const matched: RuleMatch[] = [];
  const modify: Modify[] = [];
  const monitor: Monitor[] = [];
  const trace: RuleTrace[] = [];
  let intercept: Intercept | undefined;

  for (const r of policy.rules) {
    const { rule } = r;
    const base = { ruleId: rule.id, ruleName: rule.name };
    const skip = (reason: string, routeMatched = false, evidence: Evidence[] = []) =>
      trace.push({ ...base, routeMatched, matched: false, reason, evidence });
    if (intercept) {
      skip(`not reached: rule ${intercept.ruleId ?? ''} ended processing (${describeAction(intercept)})`);
      continue;
    }
    if (!rule.enabled) {
      skip('rule is disabled');
      continue;
    }
    if (malformed && !r.scanExceptionRule) {
      skip('message is malformed: only scan-exception rules run');
      continue;
    }
    const miss = routeMismatch(r.route, party, groups);
    if (miss !== undefined) {
      skip(miss);
      continue;
    }
    let outcome = outcomes.get(r);
    if (!outcome) {
      outcome = conditionsOutcome(r, m);
      outcomes.set(r, outcome);
    }
    if (!outcome.matched) {
      skip(outcome.reason ?? 'conditions did not match', true, outcome.evidence);
      continue;
    }
    const evidence = outcome.evidence;
    matched.push({ ...base, evidence });
    trace.push({ ...base, routeMatched: true, matched: true, evidence });
    for (const a of rule.actions.modify) {
      if (a.type !== 'stripAttachments') modify.push({ ...a, ruleId: rule.id });
      else {
        const attachments = stripTargets(a.which, evidence, m);
        if (attachments.length > 0)
          modify.push({ type: 'stripAttachments', attachments, note: a.note, ruleId: rule.id });
      }
    }
    for (const a of rule.actions.monitor) monitor.push({ ...a, ruleId: rule.id });
    if (rule.actions.intercept.type !== 'continue')
      intercept = { ...rule.actions.intercept, ruleId: rule.id };
  }

  return {
    decision: { recipient, direction, matched, intercept: intercept ?? { type: 'deliver' }, modify, monitor },
    trace,
  };
}

/** The %TOKENS% a rule's actions see for one recipient. */
function tokens(
  m: MessageContext,
  match: RuleMatch | undefined,
  rcpts: string[],
  i: InterceptAction,
): TemplateContext {
  const f = m.facts;
  const ev = match?.evidence ?? [];
  const ruleViruses = ev.filter((e) => e.condition === 'virus').map((e) => e.value ?? '');
  const viruses = ruleViruses.length > 0 ? ruleViruses : f.virus.map((v) => v.name);
  const files = ev
    .map((e) => e.attachment)
    .filter((a): a is string => a !== undefined)
    .map((id) => m.attachmentName(id) ?? id);
  return {
    SENDER: f.envelope.sender || '<>',
    RCPTS: rcpts.join(', '),
    SUBJECT: f.subject,
    RULENAME: match?.ruleName ?? '',
    VIRUSNAME: [...new Set(viruses)].join(', '),
    FILENAME: [...new Set(files)].join(', '),
    ACTION: describeAction(i),
    QUEUEID: f.queueId ?? '',
    MESSAGEID: f.messageId ?? '',
  };
}

function expandModify(a: Modify, ctx: TemplateContext): Modify {
  switch (a.type) {
    case 'tagSubject':
      return { ...a, text: expandTemplate(a.text, ctx, { oneLine: true }) };
    case 'addHeader':
      return { ...a, value: expandTemplate(a.value, ctx, { oneLine: true }) };
    case 'stamp':
      return {
        ...a,
        text: expandTemplate(a.text, ctx),
        ...(a.html === undefined ? {} : { html: expandTemplate(a.html, ctx, { html: true }) }),
      };
    case 'stripAttachments': {
      // %FILENAME% stays: the action stage writes one note per removed file, with its name.
      const { FILENAME: _f, ...rest } = ctx;
      return { ...a, note: expandTemplate(a.note, rest) };
    }
    default:
      return a;
  }
}

function expandMonitor(a: Monitor, ctx: TemplateContext, policy: CompiledPolicy): Monitor {
  if (a.type !== 'notify') return a;
  const t = policy.templates.get(a.template.toLowerCase());
  if (!t) return a;
  return {
    ...a,
    subject: expandTemplate(t.subject, ctx, { oneLine: true }),
    body: expandTemplate(t.body, ctx),
  };
}

/**
 * Fills in tokens once every recipient is decided: %RCPTS% lists the recipients the rule
 * matched for, so recipients that share a rule get identical text (one copy, one notice).
 */
function expandActions(decisions: RecipientDecision[], m: MessageContext, policy: CompiledPolicy): void {
  const rcptsByRule = new Map<string, string[]>();
  for (const d of decisions) {
    for (const r of d.matched) {
      const list = rcptsByRule.get(r.ruleId) ?? [];
      list.push(d.recipient);
      rcptsByRule.set(r.ruleId, list);
    }
  }
  for (const d of decisions) {
    const ctxFor = (ruleId: string) =>
      tokens(
        m,
        d.matched.find((r) => r.ruleId === ruleId),
        rcptsByRule.get(ruleId) ?? [d.recipient],
        d.intercept,
      );
    d.modify = d.modify.map((a) => expandModify(a, ctxFor(a.ruleId)) as ModifyAction & { ruleId: string });
    d.monitor = d.monitor.map(
      (a) => expandMonitor(a, ctxFor(a.ruleId), policy) as MonitorAction & { ruleId: string },
    );
  }
}

export function evaluatePolicy(policy: PolicySettings, parsed: ParsedMessage, o: EvaluateOptions): Decision {
  const compiled = compilePolicy(policy);
  const internal = internalGroup(o.acceptedDomains);
  const groups: GroupResolver = (name) => (name === INTERNAL_GROUP ? internal : compiled.groups.get(name));
  const m = new MessageContext(parsed);
  const outcomes = new Map<CompiledRule, Outcome>();
  const recipients: RecipientDecision[] = [];
  const traces: Record<string, RuleTrace[]> = {};
  for (const recipient of parsed.facts.envelope.recipients) {
    const run = evaluateRecipient(recipient, compiled, m, o, groups, outcomes);
    recipients.push(run.decision);
    traces[recipient] = run.trace;
  }
  expandActions(recipients, m, compiled);
  return { recipients, traces };
}
