// Releasing a quarantined message: the original goes through delivery to the recipients it
// was held for, marked as already scanned unless a rescan is asked for.
import type { Envelope } from '../queue/types.js';
import type { QuarantineRepository } from './repository.js';

export type Enqueue = (envelope: Omit<Envelope, 'id' | 'size'>, message: Buffer) => Promise<string>;

export interface ReleaseResult {
  id: string;
  queueId?: string;
  error?: string;
}

export async function releaseFromQuarantine(
  repo: QuarantineRepository,
  enqueue: Enqueue,
  ids: string[],
  o: { rescan?: boolean; onReleased?: (area: string, message: Buffer) => Promise<void> } = {},
): Promise<ReleaseResult[]> {
  const results: ReleaseResult[] = [];
  for (const id of ids) {
    const entry = await repo.get(id);
    if (!entry || entry.status !== 'quarantined') {
      results.push({ id, error: entry ? `already ${entry.status}` : 'no such quarantined message' });
      continue;
    }
    // Claim it first, so that two administrators (or nodes) cannot both release it.
    if (!(await repo.setStatus(id, 'released'))) {
      results.push({ id, error: 'released or deleted meanwhile' });
      continue;
    }
    const { id: _id, size: _size, ...original } = entry.envelope;
    let queueId: string;
    try {
      queueId = await enqueue(
        {
          ...original,
          recipients: entry.recipients.map(
            (address) => entry.envelope.recipients.find((r) => r.address === address) ?? { address },
          ),
          receivedAt: Date.now(),
          origin: 'local',
          scanned: !o.rescan,
          parentId: entry.queueId,
        },
        entry.message,
      );
    } catch (err) {
      await repo.unclaim(id);
      results.push({ id, error: `could not queue it: ${err instanceof Error ? err.message : String(err)}` });
      continue;
    }
    results.push({ id, queueId });
    // e.g. the Bayesian classifier learns a released spam-quarantine message as ham
    await o.onReleased?.(entry.area, entry.message).catch(() => undefined);
  }
  return results;
}
