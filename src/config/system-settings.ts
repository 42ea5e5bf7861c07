// The appliance's own settings, set by the setup wizard (SPEC §7): host name and time zone,
// deployment role, where notices go, update source, LDAP, internal addresses, and the wizard's
// progress. Top-level keys of the settings document. For now they are only stored and
// validated; LDAP, SNMP traps and updates use them in later work.
// Must not import settings.ts: that file imports this one.
import { z } from 'zod';
import { DOMAIN_RE, parseHostPort } from './host-port.js';

const hostPort = z.string().refine((v) => parseHostPort(v) !== undefined, {
  message: 'not a host or host:port (write e.g. mail.example.com:25 or 192.0.2.1:2525)',
});

const email = z
  .string()
  .regex(/^[^@\s]+@[^@\s]+\.[^@\s]+$/, 'not an email address (write e.g. admin@example.com)');

function urlWith(protocols: string[], example: string) {
  return z.string().refine(
    (v) => {
      try {
        return protocols.includes(new URL(v).protocol);
      } catch {
        return false;
      }
    },
    { message: `not a ${protocols.map((p) => p.replace(':', '')).join(' or ')} URL (write e.g. ${example})` },
  );
}

export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/** The wizard's steps, in order. */
export const WIZARD_STEPS = [
  'system',
  'deployment',
  'routing',
  'notifications',
  'updates',
  'ldap',
  'internal',
  'review',
] as const;
export type WizardStep = (typeof WIZARD_STEPS)[number];

/** Spread into the settings document's schema: one top-level key each. */
export const systemSettingsShape = {
  system: z
    .strictObject({
      /** The appliance's host name; smtp.hostname when left out. */
      hostname: z.string().regex(DOMAIN_RE, 'not a host name').optional(),
      timezone: z
        .string()
        .refine(isTimeZone, { message: 'not an IANA time zone (write e.g. Asia/Tokyo or UTC)' })
        .default('UTC'),
    })
    .prefault({}),
  deployment: z
    .strictObject({
      role: z.enum(['standalone', 'parent', 'child']).default('standalone'),
      /** The parent a child node joins. */
      parent: z
        .strictObject({
          address: hostPort,
          /** Secret: never returned by the console API. */
          credentials: z.string().min(1).optional(),
        })
        .optional(),
    })
    .prefault({})
    .refine((d) => d.role !== 'child' || d.parent !== undefined, {
      message: 'a child node needs parent.address',
      path: ['parent'],
    }),
  notifications: z
    .strictObject({
      /** SMTP server notices go through, "host:port". */
      smtpServer: hostPort.optional(),
      from: email.optional(),
      adminAddresses: z.array(email).default([]),
      snmpTrapReceivers: z
        .array(z.strictObject({ address: hostPort, community: z.string().min(1).default('public') }))
        .default([]),
    })
    .prefault({}),
  updates: z
    .strictObject({
      source: urlWith(['http:', 'https:'], 'https://updates.example.com/sekimori').optional(),
      proxy: urlWith(['http:', 'https:'], 'http://proxy.example.com:3128').optional(),
    })
    .prefault({}),
  ldap: z
    .strictObject({
      servers: z.array(urlWith(['ldap:', 'ldaps:'], 'ldaps://dc1.example.com:636')).default([]),
      baseDn: z.string().optional(),
      bindDn: z.string().optional(),
      /** Secret: never returned by the console API. */
      bindPassword: z.string().min(1).optional(),
      userFilter: z.string().default('(mail={{address}})'),
      groupAttribute: z.string().default('memberOf'),
    })
    .prefault({}),
  internal: z
    .strictObject({
      /** Domains whose addresses count as internal, besides the accepted domains. */
      domains: z.array(z.string().regex(DOMAIN_RE, 'not a domain name')).default([]),
      ldapGroups: z.array(z.string().min(1)).default([]),
    })
    .prefault({}),
  setup: z
    .strictObject({
      /** When the wizard was last completed (epoch ms). */
      completedAt: z.number().int().nonnegative().optional(),
      doneSteps: z.array(z.enum(WIZARD_STEPS)).default([]),
      skippedSteps: z.array(z.enum(WIZARD_STEPS)).default([]),
    })
    .prefault({}),
};

export type SystemSettingsDocument = z.output<z.ZodObject<typeof systemSettingsShape>>;

/** Runtime form: the same, with the host name resolved. */
export type SystemSettings = Omit<SystemSettingsDocument, 'system'> & {
  system: { hostname: string; timezone: string };
};

export function resolveSystemSettings(doc: SystemSettingsDocument, smtpHostname: string): SystemSettings {
  return {
    system: { hostname: (doc.system.hostname ?? smtpHostname).toLowerCase(), timezone: doc.system.timezone },
    deployment: doc.deployment,
    notifications: doc.notifications,
    updates: doc.updates,
    ldap: doc.ldap,
    internal: doc.internal,
    setup: doc.setup,
  };
}
