// The settings document as YAML, the form administrators export and import (the CLI's
// `settings export|import` and the console's /settings/export|import share it).
import { parse, stringify, YAMLParseError } from 'yaml';
import type { SettingsRepository } from '../store/settings-repo.js';

/** The stored settings as the YAML text an export writes. */
export async function exportSettingsYaml(
  repo: SettingsRepository,
): Promise<{ version: number; yaml: string }> {
  const { version, document } = await repo.load();
  return { version, yaml: `# Sekimori settings, version ${version}\n${stringify(document)}` };
}

export class SettingsYamlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SettingsYamlError';
  }
}

/** Parses YAML text; throws SettingsYamlError "not valid YAML (line N): …". */
export function parseSettingsYaml(text: string): unknown {
  try {
    return parse(text);
  } catch (e) {
    const where = e instanceof YAMLParseError && e.linePos ? ` (line ${e.linePos[0].line})` : '';
    throw new SettingsYamlError(`not valid YAML${where}: ${(e as Error).message.split('\n')[0]}`);
  }
}
