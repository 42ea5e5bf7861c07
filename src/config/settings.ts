// Group-wide settings: the document administrators export and import as YAML, validated with
// errors that name the bad key, and the typed runtime form the gateway reads.
import { z } from 'zod';
import ipaddr from 'ipaddr.js';
import { parseDuration, parseSize } from './units.js';
import { count, duration, size } from './schema-fields.js';
import { DOMAIN_RE, isIpWithPort, parseHostPort } from './host-port.js';

export { parseHostPort };
import { scanSettingsSchema, resolveScanSettings, type ScanSettings } from '../scan/scan-settings.js';
import {
  antivirusSettingsSchema,
  resolveAntivirusSettings,
  type AntivirusSettings,
} from '../scan/virus/antivirus-settings.js';
import {
  policySettingsSchema,
  resolvePolicySettings,
  type PolicySettings,
} from '../policy/policy-settings.js';
import {
  senderFilterSettingsSchema,
  resolveSenderFilterSettings,
  type SenderFilterSettings,
} from '../sender/sender-settings.js';
import { authSettingsSchema, resolveAuthSettings, type AuthSettings } from '../auth/auth-settings.js';
import {
  reputationSettingsSchema,
  resolveReputationSettings,
  type ReputationSettings,
} from '../reputation/reputation-settings.js';
import { spamSettingsSchema, resolveSpamSettings, type SpamSettings } from '../spam/spam-settings.js';
import {
  consoleSettingsSchema,
  resolveConsoleSettings,
  type ConsoleSettings,
} from '../web/console-settings.js';
import { systemSettingsShape, resolveSystemSettings, type SystemSettings } from './system-settings.js';

const hostPort = z.string().refine((v) => parseHostPort(v) !== undefined, {
  message: 'not a host or host:port (write e.g. mail.example.com:25 or 192.0.2.1:2525)',
});

const cidr = z.string().refine(
  (v) => {
    try {
      if (v.includes('/')) ipaddr.parseCIDR(v);
      else ipaddr.parse(v);
      return true;
    } catch {
      return false;
    }
  },
  { message: 'not an IP address or CIDR block (write e.g. 192.0.2.0/24 or 2001:db8::/32)' },
);

const domainSchema = z.strictObject({
  name: z.string().regex(DOMAIN_RE, 'not a domain name (write e.g. example.com or *.example.com)'),
  nextHops: z.array(hostPort).default([]),
  /** Known recipients; when empty every local part of the domain is accepted. */
  recipients: z.array(z.string()).default([]),
});

export const settingsDocumentSchema = z.strictObject({
  smtp: z
    .strictObject({
      hostname: z.string().regex(DOMAIN_RE, 'not a host name').default('localhost'),
      banner: z.string().max(200).default('ESMTP Sekimori'),
      maxMessageSize: size('20MB'),
      maxRecipientsPerMessage: count(100),
      maxMessagesPerConnection: count(100),
      maxConnections: count(500),
      maxConnectionsPerIp: count(50),
      maxErrorsPerConnection: count(10),
      idleTimeout: duration('5m'),
      dataTimeout: duration('10m'),
    })
    .prefault({}),
  domains: z.array(domainSchema).default([]),
  trustedNetworks: z.array(cidr).default(['127.0.0.1/32', '::1/128']),
  delivery: z
    .strictObject({
      default: z
        .string()
        .refine((v) => v === 'mx' || parseHostPort(v) !== undefined, {
          message: 'must be "mx" or a smart host "host:port"',
        })
        .default('mx'),
      maxQueueLifetime: duration('5d'),
      minRetryInterval: duration('5m'),
      maxRetryInterval: duration('1h'),
      concurrencyPerDestination: count(20),
      connectTimeout: duration('30s'),
      commandTimeout: duration('5m'),
      tls: z.enum(['none', 'opportunistic', 'required']).default('opportunistic'),
    })
    .prefault({}),
  dns: z
    .strictObject({
      /** Resolvers as "ip" or "ip:port"; empty means the system resolver. */
      resolvers: z
        .array(
          z.string().refine((v) => ipaddr.isValid(v) || isIpWithPort(v), {
            message: 'not a resolver address (write e.g. 192.0.2.53, 127.0.0.1:5353 or [2001:db8::53]:53)',
          }),
        )
        .default([]),
    })
    .prefault({}),
  scan: scanSettingsSchema,
  antivirus: antivirusSettingsSchema,
  policy: policySettingsSchema,
  senderFilter: senderFilterSettingsSchema,
  auth: authSettingsSchema,
  reputation: reputationSettingsSchema,
  spam: spamSettingsSchema,
  console: consoleSettingsSchema,
  ...systemSettingsShape, // system, deployment, notifications, updates, ldap, internal, setup
});

export type SettingsDocument = z.output<typeof settingsDocumentSchema>;

export interface DomainSettings {
  name: string;
  nextHops: { host: string; port: number }[];
  recipients: string[];
}

/** The typed form every module reads: sizes in bytes, durations in milliseconds. */
export interface Settings extends SystemSettings {
  smtp: {
    hostname: string;
    banner: string;
    maxMessageSize: number;
    maxRecipientsPerMessage: number;
    maxMessagesPerConnection: number;
    maxConnections: number;
    maxConnectionsPerIp: number;
    maxErrorsPerConnection: number;
    idleTimeout: number;
    dataTimeout: number;
  };
  domains: DomainSettings[];
  trustedNetworks: string[];
  delivery: {
    default: 'mx' | { host: string; port: number };
    maxQueueLifetime: number;
    minRetryInterval: number;
    maxRetryInterval: number;
    concurrencyPerDestination: number;
    connectTimeout: number;
    commandTimeout: number;
    tls: 'none' | 'opportunistic' | 'required';
  };
  dns: { resolvers: string[] };
  scan: ScanSettings;
  antivirus: AntivirusSettings;
  policy: PolicySettings;
  senderFilter: SenderFilterSettings;
  auth: AuthSettings;
  reputation: ReputationSettings;
  spam: SpamSettings;
  console: ConsoleSettings;
}

export class SettingsError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid settings:\n  ${problems.join('\n  ')}`);
    this.name = 'SettingsError';
  }
}

/** Validates a settings document (defaults filled in); throws SettingsError naming each bad key. */
export function validateSettings(input: unknown): SettingsDocument {
  const result = settingsDocumentSchema.safeParse(input ?? {});
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const path = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
    const key = path.replace(/^\./, '') || '(top level)';
    if (issue.code === 'unrecognized_keys') {
      const where = key === '(top level)' ? '' : `${key}.`;
      return issue.keys.map((k) => `${where}${k}: unknown setting`).join('\n  ');
    }
    return `${key}: ${issue.message}`;
  });
  throw new SettingsError(problems);
}

export function toRuntimeSettings(doc: SettingsDocument): Settings {
  const sz = (v: string | number) => parseSize(v) ?? 0;
  const ms = (v: string | number) => parseDuration(v) ?? 0;
  const hp = (v: string) => parseHostPort(v) ?? { host: v, port: 25 };
  return {
    smtp: {
      ...doc.smtp,
      hostname: doc.smtp.hostname.toLowerCase(),
      maxMessageSize: sz(doc.smtp.maxMessageSize),
      idleTimeout: ms(doc.smtp.idleTimeout),
      dataTimeout: ms(doc.smtp.dataTimeout),
    },
    domains: doc.domains.map((d) => ({
      name: d.name.toLowerCase(),
      nextHops: d.nextHops.map(hp),
      recipients: d.recipients.map((r) => r.toLowerCase()),
    })),
    trustedNetworks: doc.trustedNetworks,
    delivery: {
      ...doc.delivery,
      default: doc.delivery.default === 'mx' ? 'mx' : hp(doc.delivery.default),
      maxQueueLifetime: ms(doc.delivery.maxQueueLifetime),
      minRetryInterval: ms(doc.delivery.minRetryInterval),
      maxRetryInterval: ms(doc.delivery.maxRetryInterval),
      connectTimeout: ms(doc.delivery.connectTimeout),
      commandTimeout: ms(doc.delivery.commandTimeout),
    },
    dns: doc.dns,
    scan: resolveScanSettings(doc.scan),
    antivirus: resolveAntivirusSettings(doc.antivirus),
    policy: resolvePolicySettings(doc.policy),
    senderFilter: resolveSenderFilterSettings(doc.senderFilter),
    auth: resolveAuthSettings(doc.auth),
    reputation: resolveReputationSettings(doc.reputation),
    spam: resolveSpamSettings(doc.spam),
    console: resolveConsoleSettings(doc.console),
    ...resolveSystemSettings(doc, doc.smtp.hostname),
  };
}

export function defaultSettingsDocument(): SettingsDocument {
  return validateSettings({});
}
