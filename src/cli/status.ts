import type { Command } from 'commander';
import { callGateway, GatewayNotRunning } from '../control/client.js';
import { controlSocketPath } from '../control/protocol.js';
import type { GatewayStatus } from '../gateway.js';
import { CliError, EXIT, nodeConfig, printJson, withNodeOptions, type NodeOptions } from './common.js';

export function registerStatus(program: Command): void {
  withNodeOptions(program.command('status'))
    .description('is the gateway of this data directory running, and what is it doing')
    .option('--json', 'print JSON')
    .action(async (opts: NodeOptions & { json?: boolean }) => {
      const config = nodeConfig(opts);
      let status: GatewayStatus;
      try {
        status = (await callGateway(
          controlSocketPath(config.dataDir),
          { op: 'status' },
          10_000,
        )) as GatewayStatus;
      } catch (e) {
        if (e instanceof GatewayNotRunning) {
          if (opts.json) printJson({ running: false });
          throw new CliError(`Sekimori is not running (data directory ${config.dataDir})`, EXIT.notFound);
        }
        throw e;
      }
      if (opts.json) return printJson({ running: true, ...status });
      const q = status.queue;
      process.stdout.write(
        [
          `Sekimori is running (node ${status.node}, pid ${status.pid})`,
          `  SMTP:      ${status.smtp.listen}, ${status.smtp.connections} connection(s)`,
          `  Queue:     incoming ${q.incoming ?? 0}, active ${q.active ?? 0}, deferred ${q.deferred ?? 0}, hold ${q.hold ?? 0}`,
          `  Settings:  version ${status.settingsVersion}`,
          `  Store:     ${status.store}`,
          ...status.warnings.map((w) => `Warning: ${w}`),
        ].join('\n') + '\n',
      );
    });
}
