// Starts this node's console as its node settings say: on the configured address, with the
// console's own certificate when one is given, else the gateway's.
import { readFile } from 'node:fs/promises';
import type { NodeConfig } from '../config/node.js';
import type { TlsMaterial } from '../config/tls.js';
import type { ConsoleServices } from './services.js';
import { startConsoleServer, type RunningConsole } from './server.js';

export type { RunningConsole };

export async function startConsole(o: {
  config: NodeConfig;
  tls: TlsMaterial;
  services: ConsoleServices;
}): Promise<RunningConsole | undefined> {
  const { config, services } = o;
  if (!config.consoleListen) {
    services.log.info('console is off (--console-listen off)');
    return undefined;
  }
  const tls =
    config.consoleTlsCertFile && config.consoleTlsKeyFile
      ? {
          cert: await readFile(config.consoleTlsCertFile, 'utf8'),
          key: await readFile(config.consoleTlsKeyFile, 'utf8'),
        }
      : o.tls;
  let running: RunningConsole;
  try {
    running = await startConsoleServer({ services, tls, listen: config.consoleListen });
  } catch (err) {
    const { host, port } = config.consoleListen;
    throw new Error(`console cannot listen on ${host}:${port}: ${(err as Error).message}`, { cause: err });
  }
  services.log.info({ console: running.url }, `console listening on ${running.url}`);
  return running;
}
