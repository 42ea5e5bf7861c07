// Deleting quarantined messages by hand (CLI and console): each id answered on its own, so one
// already released or unknown id does not stop the rest.
import type { QuarantineRepository } from './repository.js';
import type { ReleaseResult } from './release.js';

export async function deleteFromQuarantine(
  repo: QuarantineRepository,
  ids: string[],
): Promise<ReleaseResult[]> {
  const out: ReleaseResult[] = [];
  for (const id of ids) {
    if (await repo.setStatus(id, 'deleted')) {
      out.push({ id });
      continue;
    }
    const entry = await repo.get(id);
    out.push({ id, error: entry ? `already ${entry.status}` : 'no such quarantined message' });
  }
  return out;
}
