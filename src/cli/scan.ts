import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { SettingsRepository } from '../store/settings-repo.js';
import { toRuntimeSettings } from '../config/settings.js';
import { Scanner } from '../scan/scanner.js';
import { SpamStage } from '../spam/stage.js';
import { EngineUnavailableError } from '../scan/virus-engine.js';
import { tryMessage } from '../scan/try-message.js';
import { silentLogger } from '../util/log.js';
import { CliError, EXIT, printJson, withNodeOptions, withStore, type NodeOptions } from './common.js';

interface ScanOptions extends NodeOptions {
  direction?: string;
  sender?: string;
  recipient?: string[];
  json?: boolean;
}

export function registerScan(program: Command): void {
  withNodeOptions(program.command('scan'))
    .description('show the facts, engine verdicts and policy decision for a message file, without sending it')
    .argument('<file>', 'message file (.eml)')
    .option('--direction <direction>', 'inbound (default) or outbound: picks a sender and recipient to match')
    .option('-s, --sender <address>', 'envelope sender')
    .option('-r, --recipient <address...>', 'envelope recipients')
    .option('--json', 'print JSON')
    .action(async (file: string, opts: ScanOptions) => {
      let raw: Buffer;
      try {
        raw = await readFile(file);
      } catch (e) {
        throw new CliError(`cannot read ${file}: ${(e as Error).message}`, EXIT.usage);
      }
      const direction = opts.direction ?? 'inbound';
      if (direction !== 'inbound' && direction !== 'outbound') {
        throw new CliError(`--direction: "${direction}" is not inbound or outbound`, EXIT.usage);
      }
      await withStore(opts, async (store) => {
        const settings = toRuntimeSettings((await new SettingsRepository(store).load()).document);
        // The same stages as the gateway, the Bayes tokens and C&C list from this node's store;
        // no DNS-based URL reputation, so trying a message never waits on the network.
        const spam = new SpamStage({
          settings: () => settings.spam,
          acceptedDomains: () => settings.domains.map((d) => d.name),
          scanSettings: () => settings.scan,
          db: store.db,
        });
        const scanner = new Scanner(() => settings, silentLogger(), { spam });
        try {
          const tried = await tryMessage(scanner, settings, raw, {
            direction,
            sender: opts.sender,
            recipients: opts.recipient,
          });
          const { decision, warnings } = tried;
          if (opts.json) return printJson(tried);
          const f = tried.facts;
          const out = [
            `Subject:     ${f.subject}`,
            `Direction:   ${f.direction}`,
            `Size:        ${f.size}`,
            `Attachments: ${f.attachments.map((a) => `${a.name ?? a.id} (${a.trueType}, ${a.size} bytes)`).join(', ') || 'none'}`,
            `Viruses:     ${f.virus.map((v) => `${v.name} [${v.category}] by ${v.engine}`).join(', ') || 'none'}`,
            `Exceptions:  ${f.exceptions.map((e) => `${e.kind}: ${e.detail}`).join(', ') || 'none'}`,
            `Spam:        ${
              f.spam
                ? `${f.spam.score.toFixed(1)}/${f.spam.threshold.toFixed(1)} ${f.spam.isSpam ? 'SPAM' : 'ok'}${f.spam.skipped ? ` (skipped: ${f.spam.skipped})` : ''} — ${f.spam.reasons.map((r) => `${r.rule}=${r.score}`).join(', ')}`
                : 'not scored'
            }`,
            `Graymail:    ${f.graymail?.graymail ? (f.graymail.category ?? 'yes') : 'no'}`,
            `Engines:     ${Object.entries(f.engines)
              .map(([k, v]) => `${k} ${v}`)
              .join(', ')}`,
          ];
          for (const d of decision.recipients) {
            out.push('', `Recipient ${d.recipient} (${d.direction}): ${d.intercept.type}`);
            for (const m of d.matched) {
              out.push(`  rule ${m.ruleName}: ${m.evidence.map((e) => e.detail).join('; ')}`);
            }
            for (const a of d.modify) out.push(`  modify: ${a.type}`);
            for (const a of d.monitor) out.push(`  monitor: ${a.type}`);
          }
          for (const w of warnings) out.push('', `warning: ${w}`);
          process.stdout.write(`${out.join('\n')}\n`);
        } catch (e) {
          if (e instanceof EngineUnavailableError)
            throw new CliError(`${e.engine} is unavailable: ${e.message}`);
          throw e;
        } finally {
          await scanner.close();
        }
      });
    });
}
