// Sekimori as the relay under test: settings imported with the CLI into a throw-away data
// directory, then `sekimori start` listening on 127.0.0.1:PORT. Its resident memory is sampled
// while it runs and its peak (VmHWM) read just before it is stopped.
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BenchError, runSync, spawnTracked, treeHwmKb, treeRssKb, type Tracked } from './processes.js';
import { HOST, waitForSmtp } from './smtp.js';

export function benchSettingsYaml(sinkPort: number): string {
  return [
    '# Sekimori relay benchmark settings (generated; throw-away).',
    'smtp:',
    '  hostname: bench.test',
    'domains:',
    '  - name: bench.test',
    `    nextHops: ["${HOST}:${sinkPort}"]`,
    'trustedNetworks: ["127.0.0.1/32"]',
    'delivery:',
    '  default: mx',
    '',
  ].join('\n');
}

export class SekimoriRelay {
  readonly bin: string;
  readonly dataDir: string;
  readonly settingsFile: string;
  readonly logFile: string;
  private proc: Tracked | undefined;
  private sampler: NodeJS.Timeout | undefined;
  private peakKb = 0;

  constructor(
    private readonly repoRoot: string,
    baseDir: string,
    readonly port: number,
    private readonly sinkPort: number,
  ) {
    this.bin = join(repoRoot, 'bin', 'sekimori.js');
    this.dataDir = join(baseDir, 'data');
    this.settingsFile = join(baseDir, 'settings.yaml');
    this.logFile = join(baseDir, 'sekimori.log');
    mkdirSync(baseDir, { recursive: true });
  }

  /** Throws a BenchError saying what to do when Sekimori has not been built. */
  static checkBuilt(repoRoot: string): void {
    const main = join(repoRoot, 'dist', 'src', 'cli', 'main.js');
    if (!existsSync(main)) {
      throw new BenchError(
        `Sekimori is not built: ${main} is missing (run "npm run build"; "npm run bench" builds first)`,
        2,
      );
    }
  }

  /** `sekimori settings import FILE --data-dir DIR`. */
  importSettings(timeoutMs: number, extraYaml = ''): void {
    mkdirSync(this.dataDir, { recursive: true });
    writeFileSync(this.settingsFile, benchSettingsYaml(this.sinkPort) + extraYaml);
    const r = runSync(
      process.execPath,
      [this.bin, 'settings', 'import', this.settingsFile, '--data-dir', this.dataDir],
      {
        cwd: this.repoRoot,
        timeoutMs,
      },
    );
    if (r.status !== 0) {
      throw new BenchError(
        `sekimori settings import failed (status ${r.status}):\n  ${r.output.split('\n').join('\n  ')}`,
      );
    }
  }

  /** `sekimori start --data-dir DIR --smtp-listen 127.0.0.1:PORT`, then waits for the 220 greeting. */
  async start(timeoutMs: number): Promise<void> {
    const log = openSync(this.logFile, 'a');
    try {
      this.proc = spawnTracked(
        'Sekimori',
        process.execPath,
        // the console is not part of what is measured, and 8445 may be taken
        [
          this.bin,
          'start',
          '--data-dir',
          this.dataDir,
          '--smtp-listen',
          `${HOST}:${this.port}`,
          '--console-listen',
          'off',
        ],
        { cwd: this.repoRoot, stdio: ['ignore', log, log] },
      );
    } finally {
      closeSync(log);
    }
    const pid = this.proc.pid;
    this.sampler = setInterval(() => {
      this.peakKb = Math.max(this.peakKb, treeRssKb(pid));
    }, 200);
    this.sampler.unref();
    await waitForSmtp(this.port, 'Sekimori', timeoutMs, () => this.assertRunning());
  }

  /** Throws (with the end of its log) when the Sekimori process has exited. */
  assertRunning(): void {
    const code = this.proc?.exitCode();
    if (code !== undefined) throw new BenchError(`Sekimori exited (status ${code})\n${this.logTail()}`);
  }

  /** Peak resident memory in kB: the larger of the sampled RSS and the kernel's high-water mark. */
  peakRssKb(): number {
    if (this.proc && this.proc.exitCode() === undefined) {
      this.peakKb = Math.max(this.peakKb, treeRssKb(this.proc.pid), treeHwmKb(this.proc.pid));
    }
    return this.peakKb;
  }

  async stop(): Promise<void> {
    if (this.sampler) clearInterval(this.sampler);
    this.peakRssKb();
    await this.proc?.stop(15_000);
  }

  logTail(lines = 20): string {
    try {
      const all = readFileSync(this.logFile, 'utf8').trimEnd().split('\n');
      return `last lines of ${this.logFile}:\n  ${all.slice(-lines).join('\n  ')}`;
    } catch {
      return `(no Sekimori log at ${this.logFile})`;
    }
  }
}
