// The policy editor's API: rules in order, keyword lists and address groups, the compliance
// templates, the JSON schema of a rule, and the rule tester. Every change goes through the
// same validation as a settings import (errors name the bad key), is saved as a new settings
// version and reaches this node at once (the others within their poll interval).
import { z } from 'zod';
import { ApiError, route, type RouteContext, type RouteSpec } from '../route.js';
import type { ConsoleServices } from '../services.js';
import {
  SettingsError,
  toRuntimeSettings,
  validateSettings,
  type SettingsDocument,
} from '../../config/settings.js';
import { policyRuleSchema } from '../../policy/policy-settings.js';
import { DLP_TEMPLATE_CATALOG } from '../../policy/dlp/catalog.js';
import {
  describeConditions,
  describeIntercept,
  describeRoute,
  isDefaultRule,
  moveRule,
  orderProblem,
  ruleIndex,
  RuleEditError,
  type MoveTarget,
  type PolicyDocument,
  type RuleDocument,
} from '../../policy/rule-editing.js';
import { tryMessage } from '../../scan/try-message.js';
import { EngineUnavailableError } from '../../scan/virus-engine.js';

const ruleId = z.object({ id: z.string().min(1).max(100) });
/** A rule as the settings document holds it; validated by the policy schema when saved. */
const ruleBody = z.record(z.string(), z.unknown());

/** One rule as the editor shows it: the document form, where it runs, and one-line summaries. */
function ruleView(r: RuleDocument, position: number) {
  return {
    ...r,
    position,
    builtIn: isDefaultRule(r.id),
    summary: { route: describeRoute(r), conditions: describeConditions(r), action: describeIntercept(r) },
  };
}

/** Settings problems, with the keys of rule `index` written relative to the rule ("conditions[0].keywords.list"). */
function problemsOf(e: SettingsError, index?: number): string[] {
  if (index === undefined) return e.problems;
  const prefix = `policy.rules[${index}].`;
  return e.problems.map((p) => (p.startsWith(prefix) ? p.slice(prefix.length) : p));
}

/**
 * Loads the settings, lets `change` edit the policy section, saves a new version and has this
 * node pick it up. `ruleAt` names the rule the change is about, so errors point into it.
 */
async function editPolicy<T>(
  services: ConsoleServices,
  change: (policy: PolicyDocument) => { result: T; ruleAt?: number },
): Promise<T & { settingsVersion: number }> {
  const { document } = await services.settingsRepo.load();
  let outcome: { result: T; ruleAt?: number };
  try {
    outcome = change(document.policy);
  } catch (e) {
    throw apiError(e);
  }
  try {
    const saved = await services.settingsRepo.save(document);
    await services.settings.refresh();
    return { ...outcome.result, settingsVersion: saved.version };
  } catch (e) {
    if (e instanceof SettingsError) {
      const problems = problemsOf(e, outcome.ruleAt);
      throw new ApiError(
        400,
        `invalid ${outcome.ruleAt === undefined ? 'policy' : 'rule'}: ${problems.join('; ')}`,
        {
          problems,
        },
      );
    }
    throw e;
  }
}

function apiError(e: unknown): unknown {
  if (!(e instanceof RuleEditError)) return e;
  return new ApiError(e.kind === 'not-found' ? 404 : e.kind === 'invalid' ? 400 : 409, e.message);
}

async function currentPolicy(
  services: ConsoleServices,
): Promise<{ policy: PolicyDocument; version: number }> {
  const { document, version } = await services.settingsRepo.load();
  return { policy: document.policy, version };
}

function findRule(policy: PolicyDocument, id: string): { rule: RuleDocument; index: number } {
  try {
    const index = ruleIndex(policy.rules, id);
    return { rule: policy.rules[index] as RuleDocument, index };
  } catch (e) {
    throw apiError(e);
  }
}

const moveBody = z.union([
  z.strictObject({ to: z.number().int().min(0) }),
  z.strictObject({ before: z.string().min(1) }),
  z.strictObject({ after: z.string().min(1) }),
]);

const listsBody = z
  .strictObject({
    keywordLists: z.array(z.unknown()).optional(),
    addressGroups: z.array(z.unknown()).optional(),
  })
  .refine((v) => v.keywordLists !== undefined || v.addressGroups !== undefined, {
    message: 'give keywordLists, addressGroups or both',
  });

const testJson = z.strictObject({
  message: z.string().min(1).describe('the message (.eml), base64'),
  sender: z.string().optional(),
  recipients: z.array(z.string().min(1)).optional(),
  direction: z.enum(['inbound', 'outbound']).optional(),
  policy: z
    .record(z.string(), z.unknown())
    .optional()
    .describe('a draft policy section (rules, keywordLists, …); keys left out are the current ones'),
  rule: z
    .record(z.string(), z.unknown())
    .optional()
    .describe('one draft rule: replaces the rule with its id, or is tried after the others'),
});

const testQuery = z.object({
  sender: z.string().optional(),
  recipients: z.string().optional().describe('comma-separated'),
  direction: z.enum(['inbound', 'outbound']).optional(),
});

type TestInput = z.output<typeof testJson>;

/** The message and options of a test request: raw .eml bytes (options in the query) or JSON. */
function testInput(
  body: unknown,
  query: z.output<typeof testQuery>,
): Omit<TestInput, 'message'> & { raw: Buffer } {
  if (Buffer.isBuffer(body)) {
    if (body.length === 0) throw new ApiError(400, 'the uploaded message is empty');
    return {
      raw: body,
      sender: query.sender,
      recipients: query.recipients
        ?.split(',')
        .map((r) => r.trim())
        .filter(Boolean),
      direction: query.direction,
    };
  }
  const parsed = testJson.safeParse(body);
  if (!parsed.success)
    throw new ApiError(
      400,
      parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '),
    );
  const { message, ...rest } = parsed.data;
  const raw = Buffer.from(message, 'base64');
  if (raw.length === 0) throw new ApiError(400, 'message: not base64 of a message');
  return { raw, ...rest };
}

/** The runtime policy of a draft: the current document with the draft's keys (or one rule) in place. */
function draftPolicy(document: SettingsDocument, input: Omit<TestInput, 'message'>) {
  if (!input.policy && !input.rule) return undefined;
  const policy = { ...document.policy, ...(input.policy ?? {}) } as Record<string, unknown>;
  let ruleAt: number | undefined;
  if (input.rule) {
    const rules = [...((policy.rules as unknown[] | undefined) ?? [])];
    const at = rules.findIndex((r) => (r as { id?: unknown }).id === input.rule?.id);
    ruleAt = at >= 0 ? at : rules.length;
    rules.splice(ruleAt, at >= 0 ? 1 : 0, input.rule);
    policy.rules = rules;
  }
  try {
    return toRuntimeSettings(validateSettings({ ...document, policy })).policy;
  } catch (e) {
    if (e instanceof SettingsError) {
      const problems = problemsOf(e, ruleAt);
      throw new ApiError(400, `invalid draft: ${problems.join('; ')}`, { problems });
    }
    throw e;
  }
}

async function testMessage(ctx: RouteContext<unknown, z.output<typeof testQuery>, unknown>) {
  const { services } = ctx;
  const input = testInput(ctx.body, ctx.query);
  const { document } = await services.settingsRepo.load();
  const policy = draftPolicy(document, input);
  const settings = services.settings.current();
  let tried;
  try {
    tried = await tryMessage(services.scanner, settings, input.raw, {
      direction: input.direction,
      sender: input.sender,
      recipients: input.recipients,
      policy,
    });
  } catch (e) {
    if (e instanceof EngineUnavailableError)
      throw new ApiError(503, `${e.engine} is unavailable: ${e.message}`);
    throw e;
  }
  const { facts, decision } = tried;
  return {
    envelope: {
      sender: tried.envelope.sender,
      recipients: tried.envelope.recipients.map((r) => r.address),
    },
    draft: policy !== undefined,
    facts,
    verdicts: {
      engines: facts.engines,
      virus: facts.virus,
      exceptions: facts.exceptions,
      spam: facts.spam ?? null,
      graymail: facts.graymail ?? null,
      social: facts.social ?? [],
      cnc: facts.cnc ?? [],
      auth: facts.auth ?? null,
    },
    recipients: decision.recipients.map((d) => ({
      recipient: d.recipient,
      direction: d.direction,
      intercept: d.intercept,
      modify: d.modify,
      monitor: d.monitor,
      // every rule, in the order the engine ran them: matched or not, and why
      rules: decision.traces[d.recipient] ?? [],
    })),
    warnings: tried.warnings,
  };
}

export function policyRoutes(): RouteSpec[] {
  return [
    route({
      method: 'GET',
      path: '/policy',
      section: 'policy',
      access: 'read',
      summary: 'The rules in the order they run, keyword lists, address groups, areas and templates',
      async handler({ services }) {
        const { policy, version } = await currentPolicy(services);
        return {
          settingsVersion: version,
          rules: policy.rules.map(ruleView),
          keywordLists: policy.keywordLists,
          addressGroups: policy.addressGroups,
          quarantineAreas: policy.quarantineAreas,
          archiveAreas: policy.archiveAreas,
          notificationTemplates: policy.notificationTemplates,
          administratorAddress: policy.administratorAddress ?? null,
        };
      },
    }),
    route({
      method: 'GET',
      path: '/policy/rules/:id',
      section: 'policy',
      access: 'read',
      summary: 'One rule',
      params: ruleId,
      async handler({ services, params }) {
        const { policy } = await currentPolicy(services);
        const { rule, index } = findRule(policy, params.id);
        return ruleView(rule, index);
      },
    }),
    route({
      method: 'POST',
      path: '/policy/rules',
      section: 'policy',
      access: 'write',
      audit: 'policy.rule.create',
      summary: 'Add a rule (last, antivirus rules last of the antivirus rules, or at `position`)',
      body: z.strictObject({
        rule: ruleBody,
        position: z.number().int().min(0).optional().describe('index in the order; default last'),
      }),
      async handler({ services, body }) {
        const id = body.rule.id;
        if (typeof id !== 'string' || id === '') throw new ApiError(400, 'rule.id: required');
        const saved = await editPolicy(services, (p) => {
          if (p.rules.some((r) => r.id === id))
            throw new RuleEditError('conflict', `another rule already has the id "${id}"`);
          // by default last; an antivirus rule goes last of the antivirus rules, where the engine runs it
          const lastAv = p.rules.map((r) => r.type).lastIndexOf('antivirus');
          const fallback = body.rule.type === 'antivirus' ? lastAv + 1 : p.rules.length;
          const at = Math.min(body.position ?? fallback, p.rules.length);
          p.rules.splice(at, 0, body.rule as RuleDocument);
          const problem = orderProblem(p.rules);
          if (problem) throw new RuleEditError('conflict', problem);
          return { result: { id }, ruleAt: at };
        });
        const { policy } = await currentPolicy(services);
        const { rule, index } = findRule(policy, id);
        return { status: 201, json: { ...ruleView(rule, index), settingsVersion: saved.settingsVersion } };
      },
    }),
    route({
      method: 'PUT',
      path: '/policy/rules/:id',
      section: 'policy',
      access: 'write',
      audit: 'policy.rule.update',
      summary: 'Replace a rule (its id and place stay)',
      params: ruleId,
      body: ruleBody,
      async handler({ services, params, body }) {
        if (body.id !== undefined && body.id !== params.id)
          throw new ApiError(400, `id: a rule's id cannot change (the path names "${params.id}")`);
        const saved = await editPolicy(services, (p) => {
          const index = ruleIndex(p.rules, params.id);
          p.rules[index] = { ...body, id: params.id } as RuleDocument;
          return { result: {}, ruleAt: index };
        });
        const { policy } = await currentPolicy(services);
        const { rule, index } = findRule(policy, params.id);
        return { ...ruleView(rule, index), settingsVersion: saved.settingsVersion };
      },
    }),
    route({
      method: 'DELETE',
      path: '/policy/rules/:id',
      section: 'policy',
      access: 'write',
      audit: 'policy.rule.delete',
      summary: 'Delete a rule (default rules can be disabled or edited, not deleted)',
      params: ruleId,
      async handler({ services, params }) {
        if (isDefaultRule(params.id))
          throw new ApiError(
            409,
            `rule ${params.id} is a default rule: it can be disabled or edited, not deleted`,
          );
        return editPolicy(services, (p) => {
          p.rules.splice(ruleIndex(p.rules, params.id), 1);
          return { result: { deleted: params.id } };
        });
      },
    }),
    route({
      method: 'POST',
      path: '/policy/rules/:id/move',
      section: 'policy',
      access: 'write',
      audit: 'policy.rule.move',
      summary: 'Move a rule: {to: index}, {before: id} or {after: id}; antivirus rules stay first',
      params: ruleId,
      body: moveBody,
      async handler({ services, params, body }) {
        return editPolicy(services, (p) => {
          const position = moveRule(p.rules, params.id, body as MoveTarget);
          const problem = orderProblem(p.rules);
          if (problem) throw new RuleEditError('conflict', problem);
          return { result: { id: params.id, position, order: p.rules.map((r) => r.id) } };
        });
      },
    }),
    route({
      method: 'PUT',
      path: '/policy/rules/:id/enabled',
      section: 'policy',
      access: 'write',
      audit: 'policy.rule.enable',
      summary: 'Enable or disable a rule',
      params: ruleId,
      body: z.strictObject({ enabled: z.boolean() }),
      async handler({ services, params, body }) {
        return editPolicy(services, (p) => {
          const index = ruleIndex(p.rules, params.id);
          (p.rules[index] as RuleDocument).enabled = body.enabled;
          return { result: { id: params.id, enabled: body.enabled } };
        });
      },
    }),
    route({
      method: 'GET',
      path: '/policy/lists',
      section: 'policy',
      access: 'read',
      summary: 'Keyword and regular-expression lists, and address groups',
      async handler({ services }) {
        const { policy, version } = await currentPolicy(services);
        return {
          settingsVersion: version,
          keywordLists: policy.keywordLists,
          addressGroups: policy.addressGroups,
        };
      },
    }),
    route({
      method: 'PUT',
      path: '/policy/lists',
      section: 'policy',
      access: 'write',
      audit: 'policy.lists.update',
      summary: 'Replace the keyword lists and/or address groups (rules naming a missing list are refused)',
      body: listsBody,
      async handler({ services, body }) {
        return editPolicy(services, (p) => {
          if (body.keywordLists) p.keywordLists = body.keywordLists as PolicyDocument['keywordLists'];
          if (body.addressGroups) p.addressGroups = body.addressGroups as PolicyDocument['addressGroups'];
          return { result: { keywordLists: p.keywordLists.length, addressGroups: p.addressGroups.length } };
        });
      },
    }),
    route({
      method: 'GET',
      path: '/policy/templates',
      section: 'policy',
      access: 'read',
      summary: 'The compliance (DLP) templates a rule can use, with their parameters',
      async handler() {
        return { templates: DLP_TEMPLATE_CATALOG };
      },
    }),
    route({
      method: 'GET',
      path: '/policy/schema',
      section: 'policy',
      access: 'read',
      summary: 'The JSON schema of a rule, for building and checking forms',
      async handler() {
        return z.toJSONSchema(policyRuleSchema, { io: 'input', unrepresentable: 'any' });
      },
    }),
    route({
      method: 'POST',
      path: '/policy/test',
      section: 'policy',
      access: 'read',
      summary:
        'Try a message (.eml as message/rfc822 or application/octet-stream, or JSON with base64) ' +
        'against the current rules or a draft: facts, engine verdicts, and per rule matched or not and why',
      query: testQuery,
      body: z.union([z.instanceof(Buffer), testJson]),
      rawBodyTypes: ['message/rfc822', 'application/octet-stream'],
      handler: testMessage,
    }),
  ];
}
