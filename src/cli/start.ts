import type { Command } from 'commander';
import { Gateway } from '../gateway.js';
import { createLogger } from '../util/log.js';
import { CliError, nodeConfig, withNodeOptions, type NodeOptions } from './common.js';

export function registerStart(program: Command): void {
  withNodeOptions(program.command('start'))
    .description('start the gateway on this node (runs in the foreground)')
    .option('--smtp-listen <host:port>', 'SMTP listen address (env SEKIMORI_SMTP_LISTEN, default 0.0.0.0:25)')
    .option(
      '--console-listen <host:port|off>',
      'administration console HTTPS address (env SEKIMORI_CONSOLE_LISTEN, default 0.0.0.0:8445; "off" turns it off)',
    )
    .option('--node-name <name>', 'name of this node in logs and the group (default: host name)')
    .action(async (opts: NodeOptions) => {
      const config = nodeConfig(opts);
      const log = createLogger();
      let gateway: Gateway;
      try {
        gateway = await Gateway.start(config, log);
      } catch (e) {
        throw new CliError(`cannot start: ${(e as Error).message}`);
      }
      await new Promise<void>((resolve) => {
        let stopping = false;
        const stop = (signal: string) => {
          if (stopping) return;
          stopping = true;
          log.info({ signal }, 'signal received');
          gateway.stop().then(resolve, (err: unknown) => {
            log.error({ err }, 'error while stopping');
            resolve();
          });
        };
        process.on('SIGTERM', () => stop('SIGTERM'));
        process.on('SIGINT', () => stop('SIGINT'));
      });
    });
}
