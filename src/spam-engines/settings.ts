// Settings of the optional external spam engines, mounted as `spam.external`:
//
//   spam:
//     external:
//       rspamd:       { url: http://127.0.0.1:11333, timeout: 10s, weight: 1.0 }
//       spamassassin: { host: 127.0.0.1:783, timeout: 10s, weight: 1.0 }
//
// Both are off until their block is present (or with enabled: false). Independent of
// src/config/settings.ts, which imports the sections.
import { z } from 'zod';
import { durationField, sizeField } from '../config/schema-fields.js';
import { parseDuration, parseSize } from '../config/units.js';
import { RSPAMD_DEFAULT_URL } from './rspamd.js';
import { parseSpamdAddress, type SpamdAddress } from './spamd.js';

const timeout = (fallback: string) =>
  durationField({ example: '10s or 1500ms', positive: true }).default(fallback);

/** 1.0: an engine at its own threshold adds the built-in threshold (see combine.ts); 0: watch only. */
const weight = z.number().min(0).max(10).default(1);

/** Overrides the threshold the engine reports (rspamd's reject score, spamd's required_score). */
const threshold = z.number().positive().optional();

const httpUrl = z
  .string()
  .trim()
  .refine(
    (u) => {
      try {
        const url = new URL(u);
        return (
          (url.protocol === 'http:' || url.protocol === 'https:') &&
          url.username === '' &&
          url.password === ''
        );
      } catch {
        return false;
      }
    },
    {
      message:
        'not an http(s) URL without credentials (write e.g. http://127.0.0.1:11333; a password goes in password)',
    },
  );

const rspamdSchema = z.strictObject({
  enabled: z.boolean().default(true),
  /** The normal worker (11333) or the proxy (11332). */
  url: httpUrl.default(RSPAMD_DEFAULT_URL),
  timeout: timeout('10s'),
  weight,
  threshold,
  /** Sent as rspamd's Password header, for a proxy or controller that asks for one. */
  password: z.string().min(1).optional(),
  /** Larger messages are not sent to rspamd (rspamd's own limit is 50 MB). */
  maxSize: sizeField().default('20MB'),
});

const spamassassinSchema = z.strictObject({
  enabled: z.boolean().default(true),
  /** spamd's address: "host:port" (783 when left out) or "unix:/path/to/socket". */
  host: z
    .string()
    .refine((v) => parseSpamdAddress(v) !== undefined, {
      message: 'not a spamd address (write e.g. 127.0.0.1:783 or unix:/run/spamd.sock)',
    })
    .default('127.0.0.1:783'),
  timeout: timeout('10s'),
  weight,
  threshold,
  /** spamd's User header: whose SpamAssassin preferences apply (spamd's default user when unset). */
  user: z
    .string()
    .regex(/^[\x21-\x7e]+$/, 'one word of printable ASCII')
    .optional(),
  /** Larger messages are not sent; spamc's default is 500 KB, as SpamAssassin is slow on big mail. */
  maxSize: sizeField().default('512KB'),
});

export const externalEnginesSchema = z
  .strictObject({
    rspamd: rspamdSchema.optional(),
    spamassassin: spamassassinSchema.optional(),
    /** An engine that failed to answer is left out for this long before it is asked again. */
    retryAfter: durationField().default('30s'),
  })
  .prefault({});

export type ExternalEnginesDocument = z.output<typeof externalEnginesSchema>;

export interface RspamdEngineSettings {
  url: string;
  timeout: number;
  weight: number;
  threshold?: number;
  password?: string;
  maxSize: number;
}

export interface SpamdEngineSettings {
  address: SpamdAddress;
  timeout: number;
  weight: number;
  threshold?: number;
  user?: string;
  maxSize: number;
}

/** Runtime form: disabled engines left out, durations in milliseconds, sizes in bytes. */
export interface ExternalEnginesSettings {
  rspamd?: RspamdEngineSettings;
  spamassassin?: SpamdEngineSettings;
  retryAfter: number;
}

const ms = (v: string | number) => parseDuration(v) ?? 0;
const bytes = (v: string | number) => parseSize(v) ?? 0;

export function resolveExternalEngines(doc: ExternalEnginesDocument): ExternalEnginesSettings {
  const out: ExternalEnginesSettings = { retryAfter: ms(doc.retryAfter) };
  const r = doc.rspamd;
  if (r?.enabled) {
    out.rspamd = {
      url: r.url,
      timeout: ms(r.timeout),
      weight: r.weight,
      maxSize: bytes(r.maxSize),
      ...(r.threshold !== undefined ? { threshold: r.threshold } : {}),
      ...(r.password !== undefined ? { password: r.password } : {}),
    };
  }
  const s = doc.spamassassin;
  const address = s ? parseSpamdAddress(s.host) : undefined;
  if (s?.enabled && address) {
    out.spamassassin = {
      address,
      timeout: ms(s.timeout),
      weight: s.weight,
      maxSize: bytes(s.maxSize),
      ...(s.threshold !== undefined ? { threshold: s.threshold } : {}),
      ...(s.user !== undefined ? { user: s.user } : {}),
    };
  }
  return out;
}

/** The defaults (no external engine), as runtime settings. */
export function defaultExternalEngines(): ExternalEnginesSettings {
  return resolveExternalEngines(externalEnginesSchema.parse(undefined));
}
