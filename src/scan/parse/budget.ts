// One parse's limits and running totals, shared by the MIME walk and the archive expansion, and
// the scan exceptions they raise. A limit that is reached records an exception once per kind and
// place; callers then stop descending, so a hostile message costs at most what the limits allow.
import type { ScanException, ScanExceptionKind } from '../facts.js';
import type { ScanSettings } from '../scan-settings.js';

/** Enough to show every limit hit; past it more of the same adds nothing for the action. */
const MAX_EXCEPTIONS = 200;

export class Budget {
  readonly exceptions: ScanException[] = [];
  private readonly seen = new Set<string>();
  private readonly deadline: number;
  mimeParts = 0;
  archiveFiles = 0;
  expandedBytes = 0;
  textBytes = 0;
  timedOut = false;

  constructor(
    readonly limits: ScanSettings,
    now = Date.now(),
  ) {
    this.deadline = now + limits.timeout;
  }

  /** Records an exception, once per kind, attachment and detail (and at most MAX_EXCEPTIONS). */
  raise(kind: ScanExceptionKind, detail: string, attachment?: string): void {
    const key = `${kind}\0${attachment ?? ''}\0${detail}`;
    if (this.seen.has(key) || this.exceptions.length >= MAX_EXCEPTIONS) return;
    this.seen.add(key);
    this.exceptions.push(attachment === undefined ? { kind, detail } : { kind, detail, attachment });
  }

  /** True (and the timeout exception recorded) once the time budget is spent. */
  expired(): boolean {
    if (this.timedOut) return true;
    if (Date.now() <= this.deadline) return false;
    this.timedOut = true;
    this.raise('timeout', `parse took longer than ${this.limits.timeout} ms; the rest was not read`);
    return true;
  }

  /** Milliseconds left of the time budget (for waits on asynchronous work). */
  remaining(): number {
    return Math.max(0, this.deadline - Date.now());
  }
}
