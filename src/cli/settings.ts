import type { Command } from 'commander';
import { readFile, writeFile } from 'node:fs/promises';
import { exportSettingsYaml, parseSettingsYaml, SettingsYamlError } from '../config/settings-yaml.js';
import { openStore } from '../store/store.js';
import { SettingsRepository } from '../store/settings-repo.js';
import { SettingsError } from '../config/settings.js';
import { callGateway, GatewayNotRunning } from '../control/client.js';
import { controlSocketPath } from '../control/protocol.js';
import { CliError, EXIT, nodeConfig, withNodeOptions, withStore, type NodeOptions } from './common.js';

export function registerSettings(program: Command): void {
  const settings = program
    .command('settings')
    .description('export and import the group-wide settings (YAML)');

  withNodeOptions(settings.command('export'))
    .description('print the settings as YAML (or write them to a file)')
    .option('-o, --output <file>', 'write to this file instead of standard output')
    .action(async (opts: NodeOptions & { output?: string }) => {
      await withStore(opts, async (store) => {
        const { yaml } = await exportSettingsYaml(new SettingsRepository(store));
        if (opts.output) await writeFile(opts.output, yaml);
        else process.stdout.write(yaml);
      });
    });

  withNodeOptions(settings.command('import'))
    .description('validate a YAML settings file and make it the settings of the group')
    .argument('<file>', 'YAML file ("-" for standard input)')
    .option('--dry-run', 'only validate')
    .action(async (file: string, opts: NodeOptions & { dryRun?: boolean }) => {
      const config = nodeConfig(opts);
      let text: string;
      try {
        text = file === '-' ? await readStdin() : await readFile(file, 'utf8');
      } catch (e) {
        throw new CliError(`cannot read ${file}: ${(e as Error).message}`, EXIT.usage);
      }
      let input: unknown;
      try {
        input = parseSettingsYaml(text);
      } catch (e) {
        if (e instanceof SettingsYamlError) throw new CliError(`${file} is ${e.message}`, EXIT.usage);
        throw e;
      }
      const store = await openStore(config.databaseUrl);
      try {
        const repo = new SettingsRepository(store);
        if (opts.dryRun) {
          const { validateSettings } = await import('../config/settings.js');
          validateSettings(input);
          process.stdout.write(`${file}: valid\n`);
          return;
        }
        const saved = await repo.save(input);
        process.stdout.write(`imported ${file}: settings version ${saved.version}\n`);
      } catch (e) {
        if (e instanceof SettingsError) throw new CliError(`${file}: ${e.message}`, EXIT.usage);
        throw e;
      } finally {
        await store.close();
      }
      try {
        await callGateway(controlSocketPath(config.dataDir), { op: 'settings.reload' });
        process.stdout.write('the running gateway now uses them\n');
      } catch (e) {
        if (!(e instanceof GatewayNotRunning))
          process.stderr.write(`warning: could not tell the gateway: ${String(e)}\n`);
      }
    });
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
