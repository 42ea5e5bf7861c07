// Administrator accounts and custom roles in the store. Password hashes never leave this
// module: callers get AccountView.
import type { Store } from '../store/store.js';
import type { ConsoleAccountsTable, ConsoleDb } from './console-tables.js';
import { hashPassword } from './passwords.js';
import { BUILT_IN_ROLES, builtInRole, completePermissions, type Permissions, type Role } from './roles.js';

export type Language = 'auto' | 'ja' | 'en';
export const LANGUAGES = ['auto', 'ja', 'en'] as const;

export interface AccountView {
  name: string;
  role: string;
  language: Language;
  disabled: boolean;
  failedLogons: number;
  /** Epoch ms while the account is locked, else null. */
  lockedUntil: number | null;
  createdAt: number;
  lastLogonAt: number | null;
  passwordChangedAt: number;
}

export interface NewAccount {
  name: string;
  password: string;
  role: string;
  language?: Language;
}

function view(r: ConsoleAccountsTable, now = Date.now()): AccountView {
  return {
    name: r.name,
    role: r.role,
    language: r.language as Language,
    disabled: r.disabled === 1,
    failedLogons: r.failed_logons,
    lockedUntil: r.locked_until !== null && r.locked_until > now ? r.locked_until : null,
    createdAt: r.created_at,
    lastLogonAt: r.last_logon_at,
    passwordChangedAt: r.password_changed_at,
  };
}

export class AccountRepository {
  private readonly db: ConsoleDb;

  constructor(store: Store) {
    this.db = store.db as unknown as ConsoleDb;
  }

  async count(): Promise<number> {
    const r = await this.db
      .selectFrom('console_accounts')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirst();
    return Number(r?.n ?? 0);
  }

  async list(): Promise<AccountView[]> {
    const rows = await this.db.selectFrom('console_accounts').selectAll().orderBy('name').execute();
    return rows.map((r) => view(r));
  }

  async get(name: string): Promise<AccountView | undefined> {
    const r = await this.row(name);
    return r && view(r);
  }

  /** The account with its password hash, for logon only. */
  async withHash(name: string): Promise<(AccountView & { passwordHash: string }) | undefined> {
    const r = await this.row(name);
    return r && { ...view(r), passwordHash: r.password_hash };
  }

  private row(name: string) {
    return this.db.selectFrom('console_accounts').selectAll().where('name', '=', name).executeTakeFirst();
  }

  /** False when an account of that name exists already. */
  async create(a: NewAccount): Promise<boolean> {
    if (await this.row(a.name)) return false;
    const now = Date.now();
    try {
      await this.db
        .insertInto('console_accounts')
        .values({
          name: a.name,
          password_hash: await hashPassword(a.password),
          role: a.role,
          language: a.language ?? 'auto',
          disabled: 0,
          failed_logons: 0,
          locked_until: null,
          created_at: now,
          last_logon_at: null,
          password_changed_at: now,
        })
        .execute();
      return true;
    } catch (err) {
      if (await this.row(a.name)) return false; // created concurrently
      throw err;
    }
  }

  async setPassword(name: string, password: string): Promise<boolean> {
    const r = await this.db
      .updateTable('console_accounts')
      .set({ password_hash: await hashPassword(password), password_changed_at: Date.now() })
      .where('name', '=', name)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async update(
    name: string,
    change: { role?: string; language?: Language; disabled?: boolean },
  ): Promise<boolean> {
    const set: Partial<ConsoleAccountsTable> = {};
    if (change.role !== undefined) set.role = change.role;
    if (change.language !== undefined) set.language = change.language;
    if (change.disabled !== undefined) set.disabled = change.disabled ? 1 : 0;
    if (Object.keys(set).length === 0) return (await this.row(name)) !== undefined;
    const r = await this.db
      .updateTable('console_accounts')
      .set(set)
      .where('name', '=', name)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async delete(name: string): Promise<boolean> {
    const r = await this.db.deleteFrom('console_accounts').where('name', '=', name).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  /** Counts a failed logon; locks the account once `threshold` failures follow each other. */
  async recordFailure(name: string, threshold: number, lockFor: number): Promise<{ locked: boolean }> {
    const r = await this.row(name);
    if (!r) return { locked: false };
    const failures = r.failed_logons + 1;
    const locked = failures >= threshold;
    await this.db
      .updateTable('console_accounts')
      .set({
        failed_logons: locked ? 0 : failures,
        locked_until: locked ? Date.now() + lockFor : r.locked_until,
      })
      .where('name', '=', name)
      .execute();
    return { locked };
  }

  async recordLogon(name: string): Promise<void> {
    await this.db
      .updateTable('console_accounts')
      .set({ failed_logons: 0, locked_until: null, last_logon_at: Date.now() })
      .where('name', '=', name)
      .execute();
  }

  async unlock(name: string): Promise<boolean> {
    const r = await this.db
      .updateTable('console_accounts')
      .set({ failed_logons: 0, locked_until: null })
      .where('name', '=', name)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async countWithRole(role: string, o: { enabledOnly?: boolean } = {}): Promise<number> {
    let q = this.db
      .selectFrom('console_accounts')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('role', '=', role);
    if (o.enabledOnly) q = q.where('disabled', '=', 0);
    const r = await q.executeTakeFirst();
    return Number(r?.n ?? 0);
  }

  // --- roles ---

  async roles(): Promise<Role[]> {
    const rows = await this.db.selectFrom('console_roles').selectAll().orderBy('name').execute();
    return [...BUILT_IN_ROLES, ...rows.map(toRole)];
  }

  async role(name: string): Promise<Role | undefined> {
    const builtIn = builtInRole(name);
    if (builtIn) return builtIn;
    const r = await this.db
      .selectFrom('console_roles')
      .selectAll()
      .where('name', '=', name)
      .executeTakeFirst();
    return r && toRole(r);
  }

  /** Creates or replaces a custom role. */
  async saveRole(r: { name: string; description: string; permissions: Permissions }): Promise<void> {
    const values = { name: r.name, description: r.description, permissions: JSON.stringify(r.permissions) };
    const updated = await this.db
      .updateTable('console_roles')
      .set(values)
      .where('name', '=', r.name)
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) === 0)
      await this.db.insertInto('console_roles').values(values).execute();
  }

  async deleteRole(name: string): Promise<boolean> {
    const r = await this.db.deleteFrom('console_roles').where('name', '=', name).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }
}

function toRole(r: { name: string; description: string; permissions: string }): Role {
  return {
    name: r.name,
    description: r.description,
    permissions: completePermissions(JSON.parse(r.permissions) as Record<string, never>),
    builtIn: false,
  };
}
