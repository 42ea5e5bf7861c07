// The audit log: every logon, logoff, refused call and change an administrator makes, newest
// first when searched.
import { sql } from 'kysely';
import type { Store } from '../store/store.js';
import type { ConsoleDb } from './console-tables.js';

export type AuditOutcome = 'ok' | 'failed' | 'locked' | 'denied';

export interface AuditEntry {
  at: number;
  account: string;
  ip: string;
  action: string;
  target: string;
  outcome: AuditOutcome;
  details?: Record<string, unknown>;
}

export interface AuditFilter {
  account?: string;
  action?: string;
  since?: number;
  until?: number;
  limit?: number;
}

/** Keys whose values are secrets (current/new: the own-password change). */
const SECRET_KEY =
  /password|passphrase|passwd|token|secret|api.?key|private.?key|credential|setupcode|^current$|^new$/i;

/** A copy of a request body fit for the log: every value under a secret-looking key removed. */
export function withoutSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutSecrets);
  if (value && typeof value === 'object' && !Buffer.isBuffer(value)) {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .filter(([k]) => !SECRET_KEY.test(k))
        .map(([k, v]) => [k, withoutSecrets(v)]),
    );
  }
  if (Buffer.isBuffer(value)) return `(${value.length} bytes)`;
  return value;
}

/** Details are for people to read: a huge body (a settings import) is noted, not copied. */
const MAX_DETAILS_CHARS = 64 * 1024;

function recordedDetails(details: Record<string, unknown>): string {
  const text = JSON.stringify(withoutSecrets(details));
  if (text.length <= MAX_DETAILS_CHARS) return text;
  const { body: _body, ...rest } = details;
  return JSON.stringify({
    ...(withoutSecrets(rest) as object),
    body: `(${text.length} characters, not recorded)`,
  });
}

export class AuditLog {
  private readonly db: ConsoleDb;

  constructor(store: Store) {
    this.db = store.db as unknown as ConsoleDb;
  }

  async record(e: Omit<AuditEntry, 'at'> & { at?: number }): Promise<void> {
    await this.db
      .insertInto('audit_log')
      .values({
        at: e.at ?? Date.now(),
        account: e.account,
        ip: e.ip,
        action: e.action,
        target: e.target,
        outcome: e.outcome,
        details: e.details ? recordedDetails(e.details) : null,
      })
      .execute();
  }

  async search(f: AuditFilter = {}): Promise<AuditEntry[]> {
    let q = this.db.selectFrom('audit_log').selectAll();
    if (f.account) q = q.where('account', '=', f.account);
    const action = f.action;
    // "policy" finds "policy" and "policy.rule.update" (substr: no LIKE wildcards to escape)
    if (action)
      q = q.where((eb) =>
        eb.or([
          eb('action', '=', action),
          eb(sql<string>`substr(action, 1, ${action.length + 1})`, '=', `${action}.`),
        ]),
      );
    if (f.since !== undefined) q = q.where('at', '>=', f.since);
    if (f.until !== undefined) q = q.where('at', '<=', f.until);
    const rows = await q
      .orderBy('at', 'desc')
      .orderBy('id', 'desc')
      .limit(f.limit ?? 100)
      .execute();
    return rows.map((r) => ({
      at: r.at,
      account: r.account,
      ip: r.ip,
      action: r.action,
      target: r.target,
      outcome: r.outcome as AuditOutcome,
      ...(r.details ? { details: JSON.parse(r.details) as Record<string, unknown> } : {}),
    }));
  }
}
