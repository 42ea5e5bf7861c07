// The "antivirus" section of the settings document: where clamd listens, its timeouts, which
// built-in heuristics run, and local overrides of the category a signature name falls in.
// Deliberately independent of src/config/settings.ts (which imports this file).
import { z } from 'zod';
import { parseDuration } from '../../config/units.js';
import { duration } from '../../config/schema-fields.js';
import { VIRUS_CATEGORIES, type VirusCategory } from '../facts.js';

/** clamd's own default TCP port, used when an address gives none. */
export const CLAMD_DEFAULT_PORT = 3310;

export type ClamdAddress = { kind: 'unix'; path: string } | { kind: 'tcp'; host: string; port: number };

/** Parses "unix:/run/clamav/clamd.ctl", "/run/clamav/clamd.ctl", "host:port", "[v6]:port" or "host". */
export function parseClamdAddress(text: string): ClamdAddress | undefined {
  const t = text.trim();
  const unix = /^(?:unix:)?(\/.*)$/.exec(t);
  if (unix) return { kind: 'unix', path: unix[1] ?? '' };
  const m = /^\[([0-9a-f:.]+)\](?::(\d{1,5}))?$/i.exec(t) ?? /^([a-z0-9.-]+)(?::(\d{1,5}))?$/i.exec(t);
  if (!m) return undefined;
  const port = m[2] === undefined ? CLAMD_DEFAULT_PORT : Number(m[2]);
  if (port < 1 || port > 65535) return undefined;
  return { kind: 'tcp', host: (m[1] ?? '').toLowerCase(), port };
}

/** The address as an administrator writes it (status output, logs). */
export function formatClamdAddress(a: ClamdAddress): string {
  if (a.kind === 'unix') return `unix:${a.path}`;
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

const enabled = z.boolean().default(true);

const categoryRuleSchema = z.strictObject({
  /** Signature or heuristic name; `*` matches any run of characters; case-insensitive, whole name. */
  pattern: z.string().min(1),
  category: z.enum(VIRUS_CATEGORIES),
});

export const antivirusSettingsSchema = z
  .strictObject({
    /** clamd's socket: "unix:/run/clamav/clamd.ctl" or "host:port". Unset: built-in engine only. */
    clamd: z
      .string()
      .refine((v) => parseClamdAddress(v) !== undefined, {
        message: 'not a clamd address (write e.g. unix:/run/clamav/clamd.ctl or 127.0.0.1:3310)',
      })
      .optional(),
    /** Time clamd may take to answer one scan; past it the message is deferred. */
    clamdTimeout: duration('30s'),
    /** Time to open a connection to clamd. */
    clamdConnectTimeout: duration('5s'),
    /** Scans sent to clamd at the same time (each on its own connection). */
    clamdConnections: z.number().int().min(1).max(64).default(4),
    /** Built-in heuristics in the spirit of IntelliTrap; each can be turned off. */
    heuristics: z
      .strictObject({
        executableInArchive: enabled,
        packedExecutable: enabled,
        doubleExtension: enabled,
        macroDocument: enabled,
        encryptedArchive: enabled,
      })
      .prefault({}),
    /** Checked in order before the built-in name mapping; the first match decides. */
    categories: z.array(categoryRuleSchema).default([]),
  })
  .prefault({});

export type AntivirusSettingsDocument = z.output<typeof antivirusSettingsSchema>;

export interface HeuristicSettings {
  executableInArchive: boolean;
  packedExecutable: boolean;
  doubleExtension: boolean;
  macroDocument: boolean;
  encryptedArchive: boolean;
}

export interface CategoryRule {
  pattern: string;
  category: VirusCategory;
}

/** Runtime form: durations in milliseconds, the clamd address parsed. */
export interface AntivirusSettings {
  clamd?: ClamdAddress;
  clamdTimeout: number;
  clamdConnectTimeout: number;
  clamdConnections: number;
  heuristics: HeuristicSettings;
  categories: CategoryRule[];
}

export function resolveAntivirusSettings(doc: AntivirusSettingsDocument): AntivirusSettings {
  const ms = (v: string | number) => parseDuration(v) ?? 0;
  const settings: AntivirusSettings = {
    clamdTimeout: ms(doc.clamdTimeout),
    clamdConnectTimeout: ms(doc.clamdConnectTimeout),
    clamdConnections: doc.clamdConnections,
    heuristics: { ...doc.heuristics },
    categories: doc.categories.map((c) => ({ ...c })),
  };
  const clamd = doc.clamd === undefined ? undefined : parseClamdAddress(doc.clamd);
  if (clamd) settings.clamd = clamd;
  return settings;
}

/** The defaults as runtime settings (tests, tools). */
export function defaultAntivirusSettings(): AntivirusSettings {
  return resolveAntivirusSettings(antivirusSettingsSchema.parse(undefined));
}
