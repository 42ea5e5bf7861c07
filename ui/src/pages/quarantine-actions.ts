// Release and delete of quarantined messages, shared by the list and the detail page.
import { api } from '../api';

export type QuarantineAction = 'release' | 'delete';

export interface ActionResult {
  id: string;
  ok?: boolean;
  error?: string;
  status?: string;
}

export async function quarantineAction(action: QuarantineAction, ids: string[]): Promise<ActionResult[]> {
  const r = await api.post<{ results?: ActionResult[] } | ActionResult[]>('/quarantine/actions', {
    action,
    ids,
  });
  return Array.isArray(r) ? r : (r?.results ?? []);
}

/** Failures among the results, as "id: error" lines. */
export function failures(results: ActionResult[]): string[] {
  return results.filter((r) => r.ok === false || r.error).map((r) => `${r.id}: ${r.error ?? r.status ?? ''}`);
}
