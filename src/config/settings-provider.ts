// Holds the settings a node runs with and picks up changes: at once when told (the CLI's
// import pokes the control socket), and by polling the store's version for changes made
// on another node of the group.
import { EventEmitter } from 'node:events';
import type { SettingsRepository } from '../store/settings-repo.js';
import type { Logger } from '../util/log.js';
import { toRuntimeSettings, type Settings, type SettingsDocument } from './settings.js';

export class SettingsProvider extends EventEmitter {
  private settings: Settings;
  private version: number;
  private timer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly repo: SettingsRepository,
    private readonly log: Logger,
    version: number,
    document: SettingsDocument,
  ) {
    super();
    this.version = version;
    this.settings = toRuntimeSettings(document);
  }

  static async load(repo: SettingsRepository, log: Logger): Promise<SettingsProvider> {
    const { version, document } = await repo.load();
    return new SettingsProvider(repo, log, version, document);
  }

  /** The current settings; read it each time rather than keeping a copy. */
  readonly current = (): Settings => this.settings;

  currentVersion(): number {
    return this.version;
  }

  /** Re-reads the store; emits "change" when the version moved. */
  async refresh(): Promise<boolean> {
    const version = await this.repo.version();
    if (version === this.version) return false;
    const loaded = await this.repo.load();
    this.version = loaded.version;
    this.settings = toRuntimeSettings(loaded.document);
    this.log.info({ version: this.version }, 'settings changed');
    this.emit('change', this.settings);
    return true;
  }

  watch(intervalMs = 5000): void {
    this.timer = setInterval(() => {
      this.refresh().catch((err: unknown) =>
        this.log.warn({ err }, 'cannot re-read settings; keeping the current ones'),
      );
    }, intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
