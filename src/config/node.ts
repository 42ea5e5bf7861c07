// Node-local settings: what one machine needs before it can reach the store (data directory,
// listen addresses, database URL). From flags first, then SEKIMORI_* environment variables,
// then embedded defaults.
import { hostname } from 'node:os';
import { resolve, join } from 'node:path';
import { parseHostPort } from './settings.js';

export interface NodeConfig {
  dataDir: string;
  smtpListen: { host: string; port: number };
  databaseUrl: string;
  nodeName: string;
  /** Port used for MX and address-record destinations (25 outside of tests). */
  mxPort: number;
  tlsCertFile?: string;
  tlsKeyFile?: string;
  /** The administration console's HTTPS address; undefined when turned off. */
  consoleListen?: { host: string; port: number };
  /** The console's own certificate (else the gateway's). */
  consoleTlsCertFile?: string;
  consoleTlsKeyFile?: string;
}

export interface NodeFlags {
  dataDir?: string;
  smtpListen?: string;
  databaseUrl?: string;
  nodeName?: string;
  consoleListen?: string;
}

export class NodeConfigError extends Error {}

function listenAddress(text: string, what: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(text.trim());
  const port = Number(m?.[3]);
  if (!m || port < 0 || port > 65535) {
    throw new NodeConfigError(`${what}: "${text}" is not HOST:PORT (e.g. 0.0.0.0:25)`);
  }
  const host = m[1] ?? m[2] ?? '';
  if (host !== '' && !parseHostPort(host.includes(':') ? `[${host}]` : host)) {
    throw new NodeConfigError(`${what}: "${host}" is not an address`);
  }
  return { host: host || '0.0.0.0', port };
}

export function loadNodeConfig(flags: NodeFlags, env: NodeJS.ProcessEnv = process.env): NodeConfig {
  const dataDir = resolve(flags.dataDir ?? env.SEKIMORI_DATA_DIR ?? 'data');
  const smtpListen = flags.smtpListen ?? env.SEKIMORI_SMTP_LISTEN ?? '0.0.0.0:25';
  const mxPortText = env.SEKIMORI_MX_PORT ?? '25';
  const mxPort = Number(mxPortText);
  if (!Number.isInteger(mxPort) || mxPort < 1 || mxPort > 65535) {
    throw new NodeConfigError(`SEKIMORI_MX_PORT: "${mxPortText}" is not a port`);
  }
  const consoleListen = flags.consoleListen ?? env.SEKIMORI_CONSOLE_LISTEN ?? '0.0.0.0:8445';
  return {
    dataDir,
    smtpListen: listenAddress(smtpListen, flags.smtpListen ? '--smtp-listen' : 'SEKIMORI_SMTP_LISTEN'),
    databaseUrl: flags.databaseUrl ?? env.SEKIMORI_DATABASE_URL ?? `sqlite:${join(dataDir, 'sekimori.db')}`,
    nodeName: flags.nodeName ?? env.SEKIMORI_NODE_NAME ?? hostname(),
    mxPort,
    tlsCertFile: env.SEKIMORI_TLS_CERT,
    tlsKeyFile: env.SEKIMORI_TLS_KEY,
    consoleListen:
      consoleListen.trim().toLowerCase() === 'off'
        ? undefined
        : listenAddress(consoleListen, flags.consoleListen ? '--console-listen' : 'SEKIMORI_CONSOLE_LISTEN'),
    consoleTlsCertFile: env.SEKIMORI_CONSOLE_TLS_CERT,
    consoleTlsKeyFile: env.SEKIMORI_CONSOLE_TLS_KEY,
  };
}
