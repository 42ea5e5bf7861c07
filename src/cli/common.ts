// What every CLI command shares: node-local options, errors with conventional exit codes,
// and printing as text or JSON.
import type { Command } from 'commander';
import { loadNodeConfig, type NodeConfig } from '../config/node.js';
import { openStore, type Store } from '../store/store.js';

/** Exit codes: 0 ok, 1 failure, 2 bad usage or input, 3 nothing matched / not found. */
export const EXIT = { ok: 0, failure: 1, usage: 2, notFound: 3 } as const;

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.failure,
  ) {
    super(message);
  }
}

export interface NodeOptions {
  dataDir?: string;
  databaseUrl?: string;
  smtpListen?: string;
  nodeName?: string;
  consoleListen?: string;
}

export function withNodeOptions(cmd: Command): Command {
  return cmd
    .option('-d, --data-dir <dir>', 'data directory (env SEKIMORI_DATA_DIR, default ./data)')
    .option('--database-url <url>', 'store: sqlite:PATH or postgres://… (env SEKIMORI_DATABASE_URL)');
}

export function nodeConfig(opts: NodeOptions): NodeConfig {
  try {
    return loadNodeConfig(opts);
  } catch (e) {
    throw new CliError((e as Error).message, EXIT.usage);
  }
}

/** Opens the store these options name, runs `fn` on it, and closes it whatever happens. */
export async function withStore<T>(opts: NodeOptions, fn: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore(nodeConfig(opts).databaseUrl);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

/** The value of --limit: a whole number of at least 1. */
export function parseLimit(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1)
    throw new CliError(`--limit: "${text}" is not a positive number`, EXIT.usage);
  return n;
}

/** The options of the commands that search a log or the quarantine. */
export interface SearchOptions extends NodeOptions {
  sender?: string;
  recipient?: string;
  since?: string;
  until?: string;
  limit?: string;
  json?: boolean;
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Renders rows as aligned columns. */
export function printTable(headers: string[], rows: string[][]): void {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  process.stdout.write(`${line(headers)}\n`);
  for (const r of rows) process.stdout.write(`${line(r)}\n`);
}

export function formatAge(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86400)}d${Math.floor((s % 86400) / 3600)}h`;
}
