// What a node gives its console: the store and the running stages. Routes use only this, so the
// console never reaches into the gateway's internals.
import type { Store } from '../store/store.js';
import type { SettingsProvider } from '../config/settings-provider.js';
import type { SettingsRepository } from '../store/settings-repo.js';
import type { QueueManager } from '../queue/manager.js';
import type { QuarantineRepository } from '../quarantine/repository.js';
import type { ReleaseResult } from '../quarantine/release.js';
import type { Scanner } from '../scan/scanner.js';
import type { Logger } from '../util/log.js';
import type { GatewayStatus } from '../gateway.js';

/** A service of this node an administrator can stop and start from the console. */
export type NodeServiceName = 'smtp' | 'delivery';

export interface NodeServiceControl {
  /** Current state of each service on this node. */
  states(): Record<NodeServiceName, 'running' | 'stopped'>;
  start(name: NodeServiceName): Promise<void>;
  stop(name: NodeServiceName): Promise<void>;
}

export interface ConsoleServices {
  node: string;
  dataDir: string;
  log: Logger;
  store: Store;
  settings: SettingsProvider;
  settingsRepo: SettingsRepository;
  queue: QueueManager;
  quarantine: QuarantineRepository;
  /** Releases quarantined messages through delivery (a released spam teaches the classifier). */
  releaseQuarantined(ids: string[], o: { rescan?: boolean }): Promise<ReleaseResult[]>;
  /** The gateway's scanner, for the policy editor's test button. */
  scanner: Scanner;
  status(): GatewayStatus;
  services: NodeServiceControl;
}
