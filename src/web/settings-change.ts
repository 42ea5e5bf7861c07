// How the console changes the group's settings: merge what the administrator sent into the
// stored document, validate the whole (400 naming every bad key, as the CLI does), save a new
// version and apply it on this node at once (other nodes pick it up by polling the version).
import { SettingsError, validateSettings, type SettingsDocument } from '../config/settings.js';
import { ApiError } from './route.js';
import type { ConsoleServices } from './services.js';

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * `patch` over `base`: objects merge key by key, anything else (lists, values) replaces; null
 * removes a key (back to its default).
 */
export function mergeSettings(base: unknown, patch: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(patch)) return patch;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else if (v !== undefined) out[k] = mergeSettings(base[k], v);
  }
  return out;
}

/** Top-level keys whose value differs between two documents. */
export function changedKeys(before: SettingsDocument, after: SettingsDocument): string[] {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...keys].filter(
    (k) =>
      JSON.stringify((before as Record<string, unknown>)[k]) !==
      JSON.stringify((after as Record<string, unknown>)[k]),
  );
}

/** A 400 listing each problem ("smtp.maxMessageSize: not a size …"). */
export function invalidSettings(err: SettingsError): ApiError {
  return new ApiError(400, `invalid settings: ${err.problems.join('; ')}`, err.problems);
}

/** Validates without saving; throws the 400. */
export function checkSettings(input: unknown): SettingsDocument {
  try {
    return validateSettings(input);
  } catch (err) {
    if (err instanceof SettingsError) throw invalidSettings(err);
    throw err;
  }
}

export interface SettingsChange {
  version: number;
  changed: string[];
  document: SettingsDocument;
}

/** Saves a whole document as the new version and applies it on this node. */
export async function saveSettings(services: ConsoleServices, input: unknown): Promise<SettingsChange> {
  const before = (await services.settingsRepo.load()).document;
  const document = checkSettings(input);
  const saved = await services.settingsRepo.save(document);
  await services.settings.refresh();
  return { version: saved.version, changed: changedKeys(before, saved.document), document: saved.document };
}

/** Merges `patch` into the stored document, then saves and applies it. */
export async function updateSettings(services: ConsoleServices, patch: unknown): Promise<SettingsChange> {
  const { document } = await services.settingsRepo.load();
  return saveSettings(services, mergeSettings(document, patch));
}
