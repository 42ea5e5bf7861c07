// The virus stage: which engines run, and one merged result from all of them.
import type { ExtractedFile, Facts, ScanException, VirusFinding } from '../facts.js';
import type { VirusEngine, VirusScanResult } from '../virus-engine.js';
import type { Logger } from '../../util/log.js';
import type { AntivirusSettings } from './antivirus-settings.js';
import { BuiltinEngine } from './builtin.js';
import { ClamdEngine } from './clamd.js';

export { BuiltinEngine, BUILTIN_ENGINE_VERSION } from './builtin.js';
export { ClamdEngine } from './clamd.js';
export { categorize, createCategorizer, normaliseSignatureName } from './categories.js';
export { EICAR_SIGNATURE_NAME, isEicar } from './eicar.js';
export { HEURISTIC_NAMES } from './heuristics.js';
export {
  defaultAntivirusSettings,
  formatClamdAddress,
  parseClamdAddress,
  type AntivirusSettings,
  type ClamdAddress,
} from './antivirus-settings.js';

/** The built-in engine always; clamd when an address is configured. */
export function createVirusEngines(settings: AntivirusSettings, log?: Logger): VirusEngine[] {
  const engines: VirusEngine[] = [
    new BuiltinEngine({ heuristics: settings.heuristics, categories: settings.categories }),
  ];
  if (!settings.clamd) {
    log?.warn('antivirus.clamd is not set: no virus signatures, only EICAR and the built-in heuristics');
  } else {
    engines.push(
      new ClamdEngine({
        address: settings.clamd,
        timeout: settings.clamdTimeout,
        connectTimeout: settings.clamdConnectTimeout,
        connections: settings.clamdConnections,
        categories: settings.categories,
        log: log?.child({ engine: 'clamd' }),
      }),
    );
  }
  return engines;
}

/**
 * False when only the built-in engine runs: EICAR and heuristics, but no virus signatures.
 * `sekimori status` and the console warn about it.
 */
export function signatureScanningEnabled(settings: AntivirusSettings): boolean {
  return settings.clamd !== undefined;
}

/**
 * Runs every engine on the message and merges their results. Throws what an engine throws
 * (EngineUnavailableError when clamd cannot be reached): the caller defers the message.
 * Exceptions the parser already put in the facts are not repeated.
 */
export async function scanWithAll(
  engines: VirusEngine[],
  raw: Buffer,
  facts: Facts,
  files: ExtractedFile[],
): Promise<VirusScanResult> {
  const results = await Promise.all(engines.map((e) => e.scan(raw, facts, files)));
  const merged: VirusScanResult = { findings: [], exceptions: [], engines: {} };
  const seenFindings = new Set<string>();
  const seenExceptions = new Set(facts.exceptions.map(exceptionKey));
  for (const r of results) {
    for (const f of r.findings) {
      const key = findingKey(f);
      if (seenFindings.has(key)) continue;
      seenFindings.add(key);
      merged.findings.push(f);
    }
    for (const e of r.exceptions) {
      const key = exceptionKey(e);
      if (seenExceptions.has(key)) continue;
      seenExceptions.add(key);
      merged.exceptions.push(e);
    }
    Object.assign(merged.engines, r.engines);
  }
  return merged;
}

/** Closes every engine that holds resources (clamd connections). */
export async function closeVirusEngines(engines: VirusEngine[]): Promise<void> {
  await Promise.all(engines.map((e) => e.close?.()));
}

const findingKey = (f: VirusFinding) => `${f.engine}\0${f.name}\0${f.attachment ?? ''}`;
const exceptionKey = (e: ScanException) => `${e.kind}\0${e.attachment ?? ''}`;
