// The components a node depends on, as the system status page shows them: the store and its
// server version, the virus engines (clamd's VERSION = engine and signature version and date),
// external spam engines, Redis for the sender filter, DNS resolvers. Each probe is short and
// fails soft: an unreachable component is reported, never thrown.
import { connect, type Socket } from 'node:net';
import { getServers } from 'node:dns';
import { sql } from 'kysely';
import type { Settings } from '../config/settings.js';
import type { Store } from '../store/store.js';
import { clamdRequest } from '../scan/virus/clamd-protocol.js';
import { formatClamdAddress } from '../scan/virus/antivirus-settings.js';

const PROBE_TIMEOUT_MS = 2000;

type Target = { kind: 'tcp'; host: string; port: number } | { kind: 'unix'; path: string };

export interface ComponentStatus {
  name: string;
  configured: boolean;
  reachable?: boolean;
  address?: string;
  version?: string;
  error?: string;
}

export interface Components {
  store: { kind: string; version?: string; error?: string };
  virus: ComponentStatus[];
  spam: ComponentStatus[];
  redis: ComponentStatus;
  dns: { resolvers: string[]; system: boolean };
}

/** True when something accepts a connection at the target within the timeout. */
export function reachable(target: Target, timeoutMs = PROBE_TIMEOUT_MS): Promise<boolean> {
  return new Promise((resolve) => {
    const sock: Socket =
      target.kind === 'tcp'
        ? connect({ host: target.host, port: target.port })
        : connect({ path: target.path });
    const done = (ok: boolean) => {
      clearTimeout(timer);
      sock.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

const targetText = (t: Target) => (t.kind === 'unix' ? `unix:${t.path}` : `${t.host}:${t.port}`);

async function storeVersion(store: Store): Promise<Components['store']> {
  try {
    const query =
      store.kind === 'postgres'
        ? sql<{ v: string }>`show server_version`
        : sql<{ v: string }>`select sqlite_version() as v`;
    const row = (await query.execute(store.db)).rows[0] as Record<string, string> | undefined;
    return { kind: store.kind, version: row?.v ?? row?.server_version };
  } catch (err) {
    return { kind: store.kind, error: (err as Error).message };
  }
}

async function clamd(settings: Settings): Promise<ComponentStatus> {
  const address = settings.antivirus.clamd;
  if (!address) return { name: 'clamd', configured: false };
  const status: ComponentStatus = { name: 'clamd', configured: true, address: formatClamdAddress(address) };
  try {
    const version = await clamdRequest(address, 'VERSION', {
      connectTimeout: Math.min(settings.antivirus.clamdConnectTimeout, PROBE_TIMEOUT_MS),
      timeout: PROBE_TIMEOUT_MS,
    });
    return { ...status, reachable: true, version: version.trim() };
  } catch (err) {
    return { ...status, reachable: false, error: (err as Error).message };
  }
}

async function probe(name: string, target: Target | undefined): Promise<ComponentStatus> {
  if (!target) return { name, configured: false };
  return { name, configured: true, address: targetText(target), reachable: await reachable(target) };
}

function redisTarget(settings: Settings): Target | undefined {
  const s = settings.senderFilter;
  if (!s.enabled || s.rateStore !== 'redis') return undefined;
  const url = new URL(s.redisUrl);
  return { kind: 'tcp', host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port || 6379) };
}

function rspamdTarget(settings: Settings): Target | undefined {
  const r = settings.spam.external.rspamd;
  if (!r) return undefined;
  const url = new URL(r.url);
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  return { kind: 'tcp', host: url.hostname.replace(/^\[|\]$/g, ''), port };
}

/** Every component probed at once (a few seconds at most). */
export async function probeComponents(store: Store, settings: Settings): Promise<Components> {
  const [storeStatus, clamdStatus, rspamd, spamd, redis] = await Promise.all([
    storeVersion(store),
    clamd(settings),
    probe('rspamd', rspamdTarget(settings)),
    probe('spamassassin', settings.spam.external.spamassassin?.address),
    probe('redis', redisTarget(settings)),
  ]);
  const resolvers = settings.dns.resolvers;
  return {
    store: storeStatus,
    // the built-in engine is part of Sekimori and always runs
    virus: [{ name: 'builtin', configured: true, reachable: true }, clamdStatus],
    spam: [rspamd, spamd],
    redis,
    dns: resolvers.length > 0 ? { resolvers, system: false } : { resolvers: getServers(), system: true },
  };
}
