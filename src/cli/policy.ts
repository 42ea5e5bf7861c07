// `sekimori policy …`: the rules as administrators handle them day to day — list, show,
// enable/disable, move, delete, and the policy section alone as YAML. Every change goes
// through the same validation as a full settings import, and reaches the running gateway.
import type { Command } from 'commander';
import { readFile, writeFile } from 'node:fs/promises';
import { parse, stringify } from 'yaml';
import { openStore } from '../store/store.js';
import { SettingsRepository } from '../store/settings-repo.js';
import { SettingsError, type SettingsDocument } from '../config/settings.js';
import {
  describeConditions,
  describeIntercept,
  isDefaultRule,
  moveRule,
  ruleIndex,
  RuleEditError,
  type MoveTarget,
  type RuleDocument,
} from '../policy/rule-editing.js';
import { callGateway, GatewayNotRunning } from '../control/client.js';
import { controlSocketPath } from '../control/protocol.js';
import {
  CliError,
  EXIT,
  nodeConfig,
  printJson,
  printTable,
  withNodeOptions,
  type NodeOptions,
} from './common.js';

/** Loads the settings, lets `change` edit the policy section, saves and tells the gateway. */
async function editPolicy(
  opts: NodeOptions,
  change: (policy: SettingsDocument['policy']) => string,
): Promise<void> {
  const config = nodeConfig(opts);
  const store = await openStore(config.databaseUrl);
  let message: string;
  try {
    const repo = new SettingsRepository(store);
    const { document } = await repo.load();
    message = change(document.policy);
    try {
      const saved = await repo.save(document);
      message += ` (settings version ${saved.version})`;
    } catch (e) {
      if (e instanceof SettingsError) throw new CliError(e.message, EXIT.usage);
      throw e;
    }
  } finally {
    await store.close();
  }
  process.stdout.write(`${message}\n`);
  try {
    await callGateway(controlSocketPath(config.dataDir), { op: 'settings.reload' });
  } catch (e) {
    if (!(e instanceof GatewayNotRunning))
      process.stderr.write(`warning: could not tell the gateway: ${String(e)}\n`);
  }
}

async function loadPolicy(opts: NodeOptions): Promise<SettingsDocument['policy']> {
  const store = await openStore(nodeConfig(opts).databaseUrl);
  try {
    return (await new SettingsRepository(store).load()).document.policy;
  } finally {
    await store.close();
  }
}

function findRule(rules: RuleDocument[], id: string): number {
  try {
    return ruleIndex(rules, id);
  } catch (e) {
    if (e instanceof RuleEditError)
      throw new CliError(`${e.message} (see: sekimori policy list)`, EXIT.notFound);
    throw e;
  }
}

export function registerPolicy(program: Command): void {
  const policy = program.command('policy').description('list and change the policy rules');

  withNodeOptions(policy.command('list'))
    .description('the rules in the order they run')
    .option('--json', 'print JSON')
    .action(async (opts: NodeOptions & { json?: boolean }) => {
      const { rules } = await loadPolicy(opts);
      if (opts.json) return printJson(rules);
      printTable(
        ['#', 'ID', 'ENABLED', 'TYPE', 'DIRECTION', 'CONDITIONS', 'ACTION', 'NAME'],
        rules.map((r, i) => [
          String(i + 1),
          r.id,
          r.enabled ? 'yes' : 'no',
          r.type,
          r.route.direction,
          describeConditions(r),
          describeIntercept(r),
          `${r.name ?? ''}${isDefaultRule(r.id) ? ' (default)' : ''}`,
        ]),
      );
    });

  withNodeOptions(policy.command('show'))
    .description('one rule as YAML')
    .argument('<id>', 'rule id')
    .option('--json', 'print JSON')
    .action(async (id: string, opts: NodeOptions & { json?: boolean }) => {
      const { rules } = await loadPolicy(opts);
      const rule = rules[findRule(rules, id)];
      if (opts.json) return printJson(rule);
      process.stdout.write(stringify(rule));
    });

  for (const [name, enabled] of [
    ['enable', true],
    ['disable', false],
  ] as const) {
    withNodeOptions(policy.command(name))
      .description(`${name} a rule`)
      .argument('<id>', 'rule id')
      .action(async (id: string, opts: NodeOptions) => {
        await editPolicy(opts, (p) => {
          const rule = p.rules[findRule(p.rules, id)] as RuleDocument;
          rule.enabled = enabled;
          return `rule ${id} ${enabled ? 'enabled' : 'disabled'}`;
        });
      });
  }

  withNodeOptions(policy.command('delete'))
    .description('delete a rule (default rules can be disabled or edited, not deleted)')
    .argument('<id>', 'rule id')
    .action(async (id: string, opts: NodeOptions) => {
      if (isDefaultRule(id)) {
        throw new CliError(
          `rule ${id} is a default rule: it can be disabled or edited, not deleted`,
          EXIT.usage,
        );
      }
      await editPolicy(opts, (p) => {
        p.rules.splice(findRule(p.rules, id), 1);
        return `rule ${id} deleted`;
      });
    });

  withNodeOptions(policy.command('move'))
    .description('change where a rule runs in the order')
    .argument('<id>', 'rule id')
    .option('--before <id>', 'just before this rule')
    .option('--after <id>', 'just after this rule')
    .option('--top', 'first (after the global antivirus rule, which always runs first)')
    .option('--bottom', 'last')
    .action(
      async (
        id: string,
        opts: NodeOptions & { before?: string; after?: string; top?: boolean; bottom?: boolean },
      ) => {
        const targets = [opts.before, opts.after, opts.top, opts.bottom].filter((x) => x !== undefined);
        if (targets.length !== 1)
          throw new CliError('give exactly one of --before, --after, --top, --bottom', EXIT.usage);
        const target: MoveTarget = opts.top
          ? { top: true }
          : opts.bottom
            ? { bottom: true }
            : opts.before
              ? { before: opts.before }
              : { after: opts.after as string };
        await editPolicy(opts, (p) => {
          for (const other of [id, opts.before, opts.after]) if (other) findRule(p.rules, other);
          const at = moveRule(p.rules, id, target);
          return `rule ${id} moved to position ${at + 1}`;
        });
      },
    );

  withNodeOptions(policy.command('export'))
    .description('the policy section (rules, lists, groups, templates, areas) as YAML')
    .option('-o, --output <file>', 'write to this file')
    .action(async (opts: NodeOptions & { output?: string }) => {
      const yaml = stringify({ policy: await loadPolicy(opts) });
      if (opts.output) await writeFile(opts.output, yaml);
      else process.stdout.write(yaml);
    });

  withNodeOptions(policy.command('import'))
    .description('replace the policy section from a YAML file (the rest of the settings stays)')
    .argument('<file>', 'YAML file with a top-level "policy:" key')
    .action(async (file: string, opts: NodeOptions) => {
      let input: unknown;
      try {
        input = parse(await readFile(file, 'utf8'));
      } catch (e) {
        throw new CliError(`cannot read ${file}: ${(e as Error).message.split('\n')[0]}`, EXIT.usage);
      }
      const section = (input as { policy?: unknown } | null)?.policy;
      if (section === undefined) throw new CliError(`${file} has no top-level "policy:" key`, EXIT.usage);
      await editPolicy(opts, (p) => {
        for (const key of Object.keys(p)) delete (p as Record<string, unknown>)[key];
        Object.assign(p, section);
        return `policy imported from ${file}`;
      });
    });
}
