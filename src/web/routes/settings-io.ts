// Settings export and import, as the CLI's `settings export|import` (the same YAML, the same
// validation), for moving settings between versions and nodes from the console.
import { z } from 'zod';
import { ApiError, route, type RouteSpec } from '../route.js';
import { changedKeys, checkSettings, saveSettings } from '../settings-change.js';
import { exportSettingsYaml, parseSettingsYaml, SettingsYamlError } from '../../config/settings-yaml.js';

function parseYaml(text: string): unknown {
  try {
    return parseSettingsYaml(text);
  } catch (err) {
    if (err instanceof SettingsYamlError) throw new ApiError(400, err.message, [err.message]);
    throw err;
  }
}

export function settingsIoRoutes(): RouteSpec[] {
  return [
    route({
      method: 'GET',
      path: '/settings/export',
      section: 'settings',
      access: 'read',
      summary: 'The group settings as YAML (application/yaml download)',
      async handler({ services }) {
        const { version, yaml } = await exportSettingsYaml(services.settingsRepo);
        return {
          contentType: 'application/yaml',
          filename: `sekimori-settings-v${version}.yaml`,
          bytes: yaml,
        };
      },
    }),
    route({
      method: 'POST',
      path: '/settings/import',
      section: 'settings',
      access: 'write',
      summary: 'Validate a YAML settings document and make it the group settings (dryRun: only validate)',
      // audited by the handler with what changed: the YAML holds secrets
      body: z.object({
        yaml: z
          .string()
          .min(1)
          .max(10 * 1024 * 1024),
        dryRun: z.boolean().default(false),
      }),
      response: z.object({
        dryRun: z.boolean(),
        version: z.number().describe('the new version, or the current one on a dry run'),
        changed: z.array(z.string()).describe('top-level keys that differ from the settings before'),
      }),
      async handler({ body, services, audit }) {
        const input = parseYaml(body.yaml);
        let result: { dryRun: boolean; version: number; changed: string[] };
        if (body.dryRun) {
          const document = checkSettings(input);
          const current = await services.settingsRepo.load();
          result = {
            dryRun: true,
            version: current.version,
            changed: changedKeys(current.document, document),
          };
        } else {
          const saved = await saveSettings(services, input);
          result = { dryRun: false, version: saved.version, changed: saved.changed };
        }
        await audit('settings.import', '/settings/import', result);
        return result;
      },
    }),
  ];
}
