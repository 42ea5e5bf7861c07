// The nodes of a group, as the store knows them: every node writes a heartbeat row (version,
// start time, last seen, a status summary) every few seconds, so any node's console can show
// all of them. An administrator's start/stop of a service on another node is written to that
// node's row as a request; the node carries it out on its next heartbeat.
import { readFileSync } from 'node:fs';
import type { Kysely, Migration } from 'kysely';
import type { Store, StoreKind } from '../store/store.js';
import type { Logger } from '../util/log.js';
import type { NodeServiceControl, NodeServiceName } from '../web/services.js';
import type { GatewayStatus } from '../gateway.js';

export const HEARTBEAT_INTERVAL_MS = 10_000;
/** A node whose last heartbeat is older than this is shown as not connected. */
export const CONNECTED_WITHIN_MS = 30_000;

export type ServiceState = 'running' | 'stopped';
export type ServiceAction = 'start' | 'stop';

/** What a node tells the group about itself. */
export interface NodeStatus {
  settingsVersion: number;
  queue: Record<string, number>;
  smtpConnections: number;
  services: Record<string, ServiceState>;
  warnings: string[];
}

export interface ServiceRequest {
  service: NodeServiceName;
  action: ServiceAction;
  at: number;
}

/** Table cluster_nodes (times epoch ms; status and requests JSON text). */
export interface ClusterNodesTable {
  node: string;
  version: string;
  started_at: number;
  last_seen: number;
  status: string;
  requests: string;
}

type Db = Kysely<{ cluster_nodes: ClusterNodesTable }>;

const nodesDb = (store: Store): Db =>
  store.db.withTables<{ cluster_nodes: ClusterNodesTable }>() as unknown as Db;

/** Migration '0009_cluster_nodes' of src/store/migrations.ts. */
export function clusterNodesMigration(kind: StoreKind): Migration {
  const time = kind === 'postgres' ? 'bigint' : 'integer';
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('cluster_nodes')
        .addColumn('node', 'varchar(255)', (c) => c.primaryKey())
        .addColumn('version', 'varchar(64)', (c) => c.notNull())
        .addColumn('started_at', time, (c) => c.notNull())
        .addColumn('last_seen', time, (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('requests', 'text', (c) => c.notNull())
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('cluster_nodes').execute();
    },
  };
}

let cachedVersion: string | undefined;

/** Sekimori's version, from the package.json above this module (in src/ or dist/src/). */
export function sekimoriVersion(): string {
  if (cachedVersion) return cachedVersion;
  for (const up of ['../../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(up, import.meta.url), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === 'sekimori' && pkg.version) return (cachedVersion = pkg.version);
    } catch {
      // not there: try one level up
    }
  }
  return (cachedVersion = 'unknown');
}

export interface HeartbeatOptions {
  store: Store;
  node: string;
  log: Logger;
  status: () => NodeStatus;
  /** This node's services, to carry out requests from other nodes' consoles. */
  services?: NodeServiceControl;
  intervalMs?: number;
}

/** Writes this node's row now and every interval, and carries out the requests found there. */
export class NodeHeartbeat {
  private timer: NodeJS.Timeout | undefined;
  private readonly startedAt = Date.now();
  private beating: Promise<void> = Promise.resolve();

  constructor(private readonly o: HeartbeatOptions) {}

  start(): void {
    void this.beat();
    this.timer = setInterval(() => void this.beat(), this.o.intervalMs ?? HEARTBEAT_INTERVAL_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.beating;
  }

  /** One heartbeat; never throws (a store that is down only makes the node look disconnected). */
  beat(): Promise<void> {
    this.beating = this.beating.then(() =>
      this.write()
        .then(() => this.applyRequests())
        .catch((err: unknown) => this.o.log.warn({ err }, 'cannot write the node heartbeat')),
    );
    return this.beating;
  }

  private async write(): Promise<void> {
    const now = Date.now();
    const row = {
      version: sekimoriVersion(),
      started_at: this.startedAt,
      last_seen: now,
      status: JSON.stringify(this.o.status()),
    };
    await nodesDb(this.o.store)
      .insertInto('cluster_nodes')
      .values({ node: this.o.node, ...row, requests: '[]' })
      .onConflict((oc) => oc.column('node').doUpdateSet(row))
      .execute();
  }

  private async applyRequests(): Promise<void> {
    const services = this.o.services;
    if (!services) return;
    const requests = await takeServiceRequests(this.o.store, this.o.node);
    for (const r of requests) {
      this.o.log.info({ service: r.service, action: r.action }, 'service request from the console');
      await (r.action === 'start' ? services.start(r.service) : services.stop(r.service));
    }
  }
}

/** Reads and clears a node's pending requests (compare-and-set, so a request added meanwhile stays). */
export async function takeServiceRequests(store: Store, node: string): Promise<ServiceRequest[]> {
  const db = nodesDb(store);
  const row = await db
    .selectFrom('cluster_nodes')
    .select('requests')
    .where('node', '=', node)
    .executeTakeFirst();
  if (!row || row.requests === '[]') return [];
  const r = await db
    .updateTable('cluster_nodes')
    .set({ requests: '[]' })
    .where('node', '=', node)
    .where('requests', '=', row.requests)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1 ? (JSON.parse(row.requests) as ServiceRequest[]) : [];
}

/** Asks another node to start or stop a service; false when the store knows no such node. */
export async function requestService(
  store: Store,
  node: string,
  service: NodeServiceName,
  action: ServiceAction,
): Promise<boolean> {
  return store.db.transaction().execute(async (trx) => {
    const db = trx.withTables<{ cluster_nodes: ClusterNodesTable }>() as unknown as Db;
    const row = await db
      .selectFrom('cluster_nodes')
      .select('requests')
      .where('node', '=', node)
      .executeTakeFirst();
    if (!row) return false;
    // the latest request for a service replaces an earlier one
    const requests = (JSON.parse(row.requests) as ServiceRequest[]).filter((r) => r.service !== service);
    requests.push({ service, action, at: Date.now() });
    await db
      .updateTable('cluster_nodes')
      .set({ requests: JSON.stringify(requests) })
      .where('node', '=', node)
      .execute();
    return true;
  });
}

export interface GroupNode {
  node: string;
  version: string;
  startedAt: number;
  lastSeen: number;
  connected: boolean;
  /** Milliseconds since the node started (as of its last heartbeat). */
  uptimeMs: number;
  status: NodeStatus;
  pendingRequests: ServiceRequest[];
}

/** Every node that ever wrote a heartbeat, sorted by name. */
export async function listNodes(store: Store, now = Date.now()): Promise<GroupNode[]> {
  const rows = await nodesDb(store).selectFrom('cluster_nodes').selectAll().orderBy('node').execute();
  return rows.map((r) => ({
    node: r.node,
    version: r.version,
    startedAt: Number(r.started_at),
    lastSeen: Number(r.last_seen),
    connected: now - Number(r.last_seen) < CONNECTED_WITHIN_MS,
    uptimeMs: Number(r.last_seen) - Number(r.started_at),
    status: JSON.parse(r.status) as NodeStatus,
    pendingRequests: JSON.parse(r.requests) as ServiceRequest[],
  }));
}

/** What a node's heartbeat says about it, from the gateway's status and its services' states. */
export function heartbeatStatus(
  status: GatewayStatus,
  services: Record<NodeServiceName, ServiceState>,
  consoleRunning: boolean,
): NodeStatus {
  return {
    settingsVersion: status.settingsVersion,
    queue: status.queue,
    smtpConnections: status.smtp.connections,
    services: { ...services, console: consoleRunning ? 'running' : 'stopped' },
    warnings: status.warnings,
  };
}
