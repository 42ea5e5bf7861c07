// A virus engine looks at the message and its extracted files and reports findings.
import type { ExtractedFile, Facts, ScanException, VirusFinding } from './facts.js';

export interface VirusScanResult {
  findings: VirusFinding[];
  exceptions: ScanException[];
  /** Engine name → version or state, shown in facts and status. */
  engines: Record<string, string>;
}

export interface VirusEngine {
  readonly name: string;
  /**
   * Scans the raw message and each extracted file. Throws EngineUnavailableError when the
   * engine cannot be reached (the message is then deferred, never passed unscanned).
   */
  scan(raw: Buffer, facts: Facts, files: ExtractedFile[]): Promise<VirusScanResult>;
  close?(): Promise<void>;
}

export class EngineUnavailableError extends Error {
  constructor(
    readonly engine: string,
    message: string,
  ) {
    super(message);
    this.name = 'EngineUnavailableError';
  }
}
