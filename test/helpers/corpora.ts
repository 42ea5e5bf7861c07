// The shared corpora of real messages written by others (shared/corpora/README.md). They sit
// beside the checkout (../shared/corpora); a clone made elsewhere finds them through
// SEKIMORI_CORPORA or the workplace's fixed location.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

const CANDIDATES = [process.env.SEKIMORI_CORPORA, resolve('..', 'shared', 'corpora'), '/work/shared/corpora'];

/** A path inside the corpora; throws naming every place looked at when they are nowhere. */
export function corpusPath(...parts: string[]): string {
  for (const dir of CANDIDATES) if (dir && existsSync(dir)) return join(dir, ...parts);
  throw new Error(
    `the shared corpora are not at ${CANDIDATES.filter(Boolean).join(' or ')}: set SEKIMORI_CORPORA`,
  );
}
