// The "auth" section of the settings document: SPF, DKIM, DMARC and ARC verification, what
// Sekimori does with a DMARC verdict, the DKIM approved/enforced lists, and DKIM signing.
// Deliberately independent of src/config/settings.ts (which imports this file).
import { z } from 'zod';
import { durationField } from '../config/schema-fields.js';
import { parseDuration } from '../config/units.js';
import { DOMAIN_RE } from '../config/host-port.js';
import { entryKind, type ListEntry } from '../sender/lists.js';

/** What Sekimori does with a message: refuse it, quarantine it, deliver it tagged, or nothing. */
export const DMARC_ACTIONS = ['reject', 'quarantine', 'tag', 'none'] as const;
export type DmarcAction = (typeof DMARC_ACTIONS)[number];

const action = (fallback: DmarcAction) => z.enum(DMARC_ACTIONS).default(fallback);

const domainName = z
  .string()
  .trim()
  .toLowerCase()
  .refine((v) => DOMAIN_RE.test(v) && !v.startsWith('*.'), {
    message: 'not a domain name (write e.g. example.com)',
  });

/** A domain, or "*.example.com" for its subdomains (the syntax of the other lists). */
const domainEntry = z
  .string()
  .trim()
  .toLowerCase()
  .refine((v) => entryKind(v) === 'domain', {
    message: 'not a domain (write e.g. example.com or *.example.com)',
  });

const exceptionEntry = z
  .string()
  .trim()
  .refine((v) => entryKind(v) === 'network' || entryKind(v) === 'domain', {
    message: 'not an IP address, CIDR block or domain (write e.g. 192.0.2.7, 2001:db8::/32 or example.com)',
  });

// RFC 6376 §3.1: a selector is one or more dot-separated labels.
const SELECTOR_RE = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i;

export function isSelector(v: string): boolean {
  return v.length <= 253 && SELECTOR_RE.test(v);
}

const selector = z
  .string()
  .trim()
  .toLowerCase()
  .refine(isSelector, { message: 'not a DKIM selector (letters, digits and "-", labels split by ".")' });

export const authSettingsSchema = z
  .strictObject({
    /** Off: no verification at all, no header, no action. */
    enabled: z.boolean().default(true),
    spf: z.boolean().default(true),
    dkim: z.boolean().default(true),
    arc: z.boolean().default(true),
    dmarc: z
      .strictObject({
        enabled: z.boolean().default(true),
        /** Act on the domain's published p=/sp= (and pct=); off treats every domain as p=none. */
        honorPolicy: z.boolean().default(true),
        /** Action for a DMARC failure by the policy that applies, and for unauthenticated mail from a domain with no record. */
        actions: z
          .strictObject({
            reject: action('reject'),
            quarantine: action('quarantine'),
            none: action('none'),
            noRecord: action('none'),
          })
          .prefault({}),
        /** Client IPs/CIDRs and From domains whose DMARC failures are recorded but never acted on (forwarders, lists). */
        exceptions: z.array(exceptionEntry).default([]),
      })
      .prefault({}),
    /** Prepend an Authentication-Results header with our verdicts. */
    addResultsHeader: z.boolean().default(true),
    /** Smallest RSA key accepted for DKIM and ARC (RFC 8301: 1024). */
    minKeyBits: z.number().int().min(512).max(8192).default(1024),
    /** Accept rsa-sha1 DKIM signatures, which RFC 8301 retired (old senders only). */
    allowSha1: z.boolean().default(false),
    /** Time allowed for one DNS query (per try; a query is tried twice). */
    lookupTimeout: durationField({ example: '5s or 1500ms', positive: true }).default('5s'),
    /** Time allowed for all the lookups of one message; later ones fail as temperror. */
    timeout: durationField({ example: '20s', positive: true }).default('20s'),
    dkimSigning: z
      .strictObject({
        enabled: z.boolean().default(false),
        /** Sender domains to sign for (and their subdomains); the key comes from the key store (`sekimori dkim`). */
        domains: z
          .array(
            z.strictObject({
              domain: domainName,
              /** A fixed selector; left out, the domain's active key signs (so rotation needs no settings change). */
              selector: selector.optional(),
            }),
          )
          .default([]),
      })
      .prefault({}),
    /** A valid DKIM signature by one of these domains skips spam scanning. */
    dkimApproved: z.array(domainEntry).default([]),
    /** Mail whose From domain is listed here and has no valid aligned DKIM signature is spam. */
    dkimEnforced: z.array(domainEntry).default([]),
  })
  .prefault({});

export type AuthSettingsDocument = z.output<typeof authSettingsSchema>;

/** The runtime form: the timeout in ms, lists ready for src/sender/lists.ts matching. */
export interface AuthSettings {
  enabled: boolean;
  spf: boolean;
  dkim: boolean;
  arc: boolean;
  dmarc: {
    enabled: boolean;
    honorPolicy: boolean;
    actions: { reject: DmarcAction; quarantine: DmarcAction; none: DmarcAction; noRecord: DmarcAction };
    exceptions: ListEntry[];
  };
  addResultsHeader: boolean;
  minKeyBits: number;
  allowSha1: boolean;
  lookupTimeout: number;
  timeout: number;
  dkimSigning: { enabled: boolean; domains: { domain: string; selector?: string }[] };
  dkimApproved: ListEntry[];
  dkimEnforced: ListEntry[];
}

const entries = (list: string[]): ListEntry[] => list.map((entry) => ({ entry }));

export function resolveAuthSettings(doc: AuthSettingsDocument): AuthSettings {
  return {
    ...doc,
    dmarc: { ...doc.dmarc, actions: { ...doc.dmarc.actions }, exceptions: entries(doc.dmarc.exceptions) },
    lookupTimeout: parseDuration(doc.lookupTimeout) ?? 5000,
    timeout: parseDuration(doc.timeout) ?? 20_000,
    dkimSigning: {
      enabled: doc.dkimSigning.enabled,
      domains: doc.dkimSigning.domains.map((d) => ({ ...d })),
    },
    dkimApproved: entries(doc.dkimApproved),
    dkimEnforced: entries(doc.dkimEnforced),
  };
}
