// Console sessions and API tokens in the store, so that every node sharing a PostgreSQL store
// serves them. Only SHA-256 digests of session ids and tokens are kept.
import { createHash, randomBytes } from 'node:crypto';
import type { Store } from '../store/store.js';
import type { ConsoleDb } from './console-tables.js';

export const TOKEN_PREFIX = 'skm_';

export function digest(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

function randomText(bytes: number): string {
  return randomBytes(bytes).toString('base64url');
}

export interface Session {
  account: string;
  csrfToken: string;
  createdAt: number;
  lastSeenAt: number;
}

export interface SessionLimits {
  idleTimeout: number;
  maxLifetime: number;
}

export interface ApiTokenView {
  id: string;
  name: string;
  account: string;
  createdAt: number;
  expiresAt: number | null;
  lastUsedAt: number | null;
}

/** How long a session's last-seen time may lag before a request writes it again. */
const TOUCH_INTERVAL_MS = 1000;

export class SessionRepository {
  private readonly db: ConsoleDb;

  constructor(
    store: Store,
    private readonly now: () => number = Date.now,
  ) {
    this.db = store.db as unknown as ConsoleDb;
  }

  /** A new session; the returned id goes into the cookie and nowhere else. */
  async create(account: string, ip: string): Promise<{ id: string; csrfToken: string }> {
    const id = randomText(32);
    const csrfToken = randomText(24);
    const now = this.now();
    await this.db
      .insertInto('console_sessions')
      .values({ id_hash: digest(id), account, csrf_token: csrfToken, ip, created_at: now, last_seen_at: now })
      .execute();
    return { id, csrfToken };
  }

  /** The live session with this id (and marks it used), or undefined; expired ones are removed. */
  async use(id: string, limits: SessionLimits): Promise<Session | undefined> {
    const idHash = digest(id);
    const r = await this.db
      .selectFrom('console_sessions')
      .selectAll()
      .where('id_hash', '=', idHash)
      .executeTakeFirst();
    if (!r) return undefined;
    const now = this.now();
    if (now - r.last_seen_at > limits.idleTimeout || now - r.created_at > limits.maxLifetime) {
      await this.db.deleteFrom('console_sessions').where('id_hash', '=', idHash).execute();
      return undefined;
    }
    if (now - r.last_seen_at >= TOUCH_INTERVAL_MS)
      await this.db
        .updateTable('console_sessions')
        .set({ last_seen_at: now })
        .where('id_hash', '=', idHash)
        .execute();
    return { account: r.account, csrfToken: r.csrf_token, createdAt: r.created_at, lastSeenAt: now };
  }

  async delete(id: string): Promise<void> {
    await this.db.deleteFrom('console_sessions').where('id_hash', '=', digest(id)).execute();
  }

  /** Ends an account's sessions (password reset, account disabled or deleted). */
  async deleteForAccount(account: string, o: { except?: string } = {}): Promise<void> {
    let q = this.db.deleteFrom('console_sessions').where('account', '=', account);
    if (o.except) q = q.where('id_hash', '!=', digest(o.except));
    await q.execute();
  }

  async purgeExpired(limits: SessionLimits): Promise<void> {
    const now = this.now();
    await this.db
      .deleteFrom('console_sessions')
      .where((eb) =>
        eb.or([
          eb('last_seen_at', '<', now - limits.idleTimeout),
          eb('created_at', '<', now - limits.maxLifetime),
        ]),
      )
      .execute();
  }

  // --- API tokens ---

  /** A new token for the account; the token text is returned once and never stored. */
  async createToken(
    account: string,
    name: string,
    expiresAt: number | null,
  ): Promise<{ token: string; view: ApiTokenView }> {
    const token = `${TOKEN_PREFIX}${randomText(32)}`;
    const row = {
      id: randomText(12),
      name,
      account,
      token_hash: digest(token),
      created_at: this.now(),
      expires_at: expiresAt,
      last_used_at: null,
    };
    await this.db.insertInto('console_tokens').values(row).execute();
    return { token, view: tokenView(row) };
  }

  /** The account a live token acts for, or undefined. */
  async useToken(token: string): Promise<string | undefined> {
    const r = await this.db
      .selectFrom('console_tokens')
      .selectAll()
      .where('token_hash', '=', digest(token))
      .executeTakeFirst();
    const now = this.now();
    if (!r || (r.expires_at !== null && r.expires_at <= now)) return undefined;
    if (r.last_used_at === null || now - r.last_used_at >= TOUCH_INTERVAL_MS)
      await this.db.updateTable('console_tokens').set({ last_used_at: now }).where('id', '=', r.id).execute();
    return r.account;
  }

  async tokens(account?: string): Promise<ApiTokenView[]> {
    let q = this.db.selectFrom('console_tokens').selectAll().orderBy('created_at');
    if (account !== undefined) q = q.where('account', '=', account);
    return (await q.execute()).map(tokenView);
  }

  async token(id: string): Promise<ApiTokenView | undefined> {
    const r = await this.db.selectFrom('console_tokens').selectAll().where('id', '=', id).executeTakeFirst();
    return r && tokenView(r);
  }

  async revokeToken(id: string): Promise<boolean> {
    const r = await this.db.deleteFrom('console_tokens').where('id', '=', id).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  async revokeTokensOf(account: string): Promise<void> {
    await this.db.deleteFrom('console_tokens').where('account', '=', account).execute();
  }
}

function tokenView(r: {
  id: string;
  name: string;
  account: string;
  created_at: number;
  expires_at: number | null;
  last_used_at: number | null;
}): ApiTokenView {
  return {
    id: r.id,
    name: r.name,
    account: r.account,
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    lastUsedAt: r.last_used_at,
  };
}
