// The first-start setup code: while no console account exists, setting the first password
// needs a random code that only someone with access to the data directory can read. The log
// says where the file is, never the code.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../util/log.js';

export const SETUP_CODE_FILE = 'console-setup-code';

export function setupCodePath(dataDir: string): string {
  return join(dataDir, SETUP_CODE_FILE);
}

export class SetupCode {
  private code: string | undefined;

  constructor(private readonly dataDir: string) {}

  /** Makes a new code and writes it (mode 0600) for the administrator to read. */
  async create(log: Logger): Promise<void> {
    this.code = randomBytes(18).toString('base64url');
    const path = setupCodePath(this.dataDir);
    await rm(path, { force: true }); // a leftover file may have other permissions
    await writeFile(path, `${this.code}\n`, { mode: 0o600 });
    log.warn(
      { file: path },
      `no console account exists yet: set the first administrator password with the setup code in ${path} (or run "sekimori admin passwd")`,
    );
  }

  matches(given: string): boolean {
    if (!this.code) return false;
    const a = Buffer.from(given.trim());
    const b = Buffer.from(this.code);
    return a.length === b.length && timingSafeEqual(a, b);
  }

  /**
   * Takes the code for one use: true only for the first caller with the right code, so that two
   * requests racing with it cannot both create a first account. `giveBack` undoes a claim whose
   * use failed.
   */
  claim(given: string): { giveBack(): void } | undefined {
    const code = this.code;
    if (!code || !this.matches(given)) return undefined;
    this.code = undefined;
    return {
      giveBack: () => {
        this.code ??= code;
      },
    };
  }

  /** Forgets the code and removes its file (it has been used, or is no longer needed). */
  async discard(): Promise<void> {
    this.code = undefined;
    await rm(setupCodePath(this.dataDir), { force: true });
  }
}
