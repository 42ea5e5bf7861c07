// The setup wizard (SPEC §7): one step per area (system, deployment, SMTP routing,
// notifications, updates, LDAP, internal addresses, review). Each step shows the current
// values and is applied on its own: validated with the settings schema (errors name the key),
// saved as a new settings version and applied at once. It can be run again at any time.
// Secrets (parent credentials, LDAP bind password) are never returned: they show as
// { set: true|false }, and a step sent back with that (or without the key) keeps the stored one.
import { z } from 'zod';
import { route, type RouteSpec } from '../route.js';
import type { ConsoleServices } from '../services.js';
import { updateSettings } from '../settings-change.js';
import type { SettingsDocument } from '../../config/settings.js';
import { WIZARD_STEPS, type WizardStep } from '../../config/system-settings.js';

type Doc = SettingsDocument;
type Values = Record<string, unknown>;

/** A secret as the API shows it. */
const secret = (value: string | undefined) => ({ set: value !== undefined });

/** Drops a secret sent back as { set } so the stored value stays. */
function keepSecret(values: Values, key: string): Values {
  const v = values[key];
  if (v === undefined || (typeof v === 'object' && v !== null)) {
    const { [key]: _dropped, ...rest } = values;
    return rest;
  }
  return values;
}

const obj = (v: unknown): Values => (typeof v === 'object' && v !== null ? (v as Values) : {});

interface StepDefinition {
  summary: string;
  /** The step's values as the wizard shows them. */
  read(doc: Doc): Values;
  /** The settings document change for the values sent. */
  patch(values: Values): Values;
  body: z.ZodType;
}

const section = z.record(z.string(), z.unknown());

const STEP_DEFINITIONS: Record<Exclude<WizardStep, 'review'>, StepDefinition> = {
  system: {
    summary: 'host name, DNS resolvers, time zone',
    read: (doc) => ({
      hostname: doc.system.hostname ?? doc.smtp.hostname,
      timezone: doc.system.timezone,
      dnsResolvers: doc.dns.resolvers,
    }),
    patch: (v) => ({
      system: { hostname: v.hostname, timezone: v.timezone },
      dns: { resolvers: v.dnsResolvers },
    }),
    body: z.strictObject({
      hostname: z.unknown().optional(),
      timezone: z.unknown().optional(),
      dnsResolvers: z.array(z.unknown()).optional(),
    }),
  },
  deployment: {
    summary: 'standalone, parent or child; the parent of a child',
    read: (doc) => ({
      role: doc.deployment.role,
      parent: doc.deployment.parent
        ? { address: doc.deployment.parent.address, credentials: secret(doc.deployment.parent.credentials) }
        : null,
    }),
    patch: (v) => ({
      deployment: {
        role: v.role,
        parent: v.parent === null ? null : v.parent && keepSecret(obj(v.parent), 'credentials'),
      },
    }),
    body: z.strictObject({ role: z.unknown().optional(), parent: section.nullable().optional() }),
  },
  routing: {
    summary: 'accepted domains and their next hops, delivery',
    read: (doc) => ({ domains: doc.domains, delivery: doc.delivery }),
    patch: (v) => ({ domains: v.domains, delivery: v.delivery }),
    body: z.strictObject({ domains: z.array(z.unknown()).optional(), delivery: section.optional() }),
  },
  notifications: {
    summary: 'SMTP server for notices, administrator addresses, SNMP trap receivers',
    read: (doc) => doc.notifications,
    patch: (v) => ({ notifications: v }),
    body: section,
  },
  updates: {
    summary: 'update source and proxy',
    read: (doc) => doc.updates,
    patch: (v) => ({ updates: v }),
    body: section,
  },
  ldap: {
    summary: 'LDAP servers, base DN, bind account',
    read: (doc) => ({ ...doc.ldap, bindPassword: secret(doc.ldap.bindPassword) }),
    patch: (v) => ({ ldap: keepSecret(v, 'bindPassword') }),
    body: section,
  },
  internal: {
    summary: 'internal domains and LDAP groups',
    read: (doc) => doc.internal,
    patch: (v) => ({ internal: v }),
    body: section,
  },
};

const STEPS = Object.keys(STEP_DEFINITIONS) as (keyof typeof STEP_DEFINITIONS)[];

const stepSchema = z.object({
  step: z.enum(WIZARD_STEPS),
  done: z.boolean(),
  skipped: z.boolean(),
  values: section,
});
const wizardSchema = z.object({
  version: z.number(),
  completedAt: z.number().optional(),
  steps: z.array(stepSchema),
});

function wizardView(version: number, doc: Doc): z.output<typeof wizardSchema> {
  const steps: z.output<typeof stepSchema>[] = STEPS.map((step) => ({
    step,
    done: doc.setup.doneSteps.includes(step),
    skipped: doc.setup.skippedSteps.includes(step),
    values: STEP_DEFINITIONS[step].read(doc),
  }));
  // review shows every step's values together
  steps.push({
    step: 'review',
    done: doc.setup.completedAt !== undefined,
    skipped: false,
    values: Object.fromEntries(steps.map((s) => [s.step, s.values])),
  });
  return { version, completedAt: doc.setup.completedAt, steps };
}

/** Marks a step done or skipped (the other mark is removed). */
function progress(doc: Doc, step: WizardStep, mark: 'done' | 'skipped'): Values {
  const without = (list: WizardStep[]) => list.filter((s) => s !== step);
  const done = without(doc.setup.doneSteps);
  const skipped = without(doc.setup.skippedSteps);
  (mark === 'done' ? done : skipped).push(step);
  return { setup: { doneSteps: done, skippedSteps: skipped } };
}

async function applyAndShow(services: ConsoleServices, patch: (doc: Doc) => Values) {
  const { document } = await services.settingsRepo.load();
  const saved = await updateSettings(services, patch(document));
  return wizardView(saved.version, saved.document);
}

export function wizardRoutes(): RouteSpec[] {
  const stepRoutes = STEPS.flatMap((step) => [
    route({
      method: 'PUT',
      path: `/wizard/${step}`,
      section: 'settings',
      access: 'write',
      summary: `Setup wizard: apply the ${step} step (${STEP_DEFINITIONS[step].summary})`,
      // audited by the handler: with the values as shown (secrets as { set }), not the body
      body: STEP_DEFINITIONS[step].body,
      response: wizardSchema,
      async handler({ body, services, audit }) {
        const view = await applyAndShow(services, (doc) => ({
          ...STEP_DEFINITIONS[step].patch(obj(body)),
          ...progress(doc, step, 'done'),
        }));
        const values = view.steps.find((s) => s.step === step)?.values;
        await audit(`wizard.${step}`, `/wizard/${step}`, { version: view.version, values });
        return view;
      },
    }),
    route({
      method: 'POST',
      path: `/wizard/${step}/skip`,
      section: 'settings',
      access: 'write',
      summary: `Setup wizard: skip the ${step} step`,
      audit: `wizard.${step}.skip`,
      response: wizardSchema,
      handler: ({ services }) => applyAndShow(services, (doc) => progress(doc, step, 'skipped')),
    }),
  ]);
  return [
    route({
      method: 'GET',
      path: '/wizard',
      section: 'settings',
      access: 'read',
      summary: 'Setup wizard: every step with its current values, done or skipped',
      response: wizardSchema,
      async handler({ services }) {
        const { version, document } = await services.settingsRepo.load();
        return wizardView(version, document);
      },
    }),
    ...stepRoutes,
    route({
      method: 'POST',
      path: '/wizard/complete',
      section: 'settings',
      access: 'write',
      summary: 'Setup wizard: finish (again); records when',
      audit: 'wizard.complete',
      response: wizardSchema,
      handler: ({ services }) => applyAndShow(services, () => ({ setup: { completedAt: Date.now() } })),
    }),
  ];
}
