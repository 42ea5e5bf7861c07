// The console's tables: administrator accounts, custom roles, sessions, API tokens and the
// audit log. Times are epoch ms as in the other tables; permissions and details JSON text.
import type { Generated, Kysely, Migration } from 'kysely';
import type { StoreKind } from '../store/store.js';

export interface ConsoleAccountsTable {
  name: string;
  password_hash: string;
  role: string;
  language: string;
  /** 0 or 1 (SQLite has no boolean). */
  disabled: number;
  failed_logons: number;
  locked_until: number | null;
  created_at: number;
  last_logon_at: number | null;
  password_changed_at: number;
}

export interface ConsoleRolesTable {
  name: string;
  description: string;
  permissions: string;
}

export interface ConsoleSessionsTable {
  /** SHA-256 (hex) of the session id: a copy of the store never yields a usable cookie. */
  id_hash: string;
  account: string;
  csrf_token: string;
  ip: string;
  created_at: number;
  last_seen_at: number;
}

export interface ConsoleTokensTable {
  id: string;
  name: string;
  account: string;
  /** SHA-256 (hex) of the token. */
  token_hash: string;
  created_at: number;
  expires_at: number | null;
  last_used_at: number | null;
}

export interface AuditLogTable {
  id: Generated<number>;
  at: number;
  account: string;
  ip: string;
  action: string;
  target: string;
  outcome: string;
  details: string | null;
}

export interface ConsoleDatabase {
  console_accounts: ConsoleAccountsTable;
  console_roles: ConsoleRolesTable;
  console_sessions: ConsoleSessionsTable;
  console_tokens: ConsoleTokensTable;
  audit_log: AuditLogTable;
}

export type ConsoleDb = Kysely<ConsoleDatabase>;

/** Migration '0007_console' for src/store/migrations.ts. */
export function consoleMigration(kind: StoreKind): Migration {
  const serial = kind === 'postgres' ? 'bigserial' : 'integer';
  const time = kind === 'postgres' ? 'bigint' : 'integer';
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('console_accounts')
        .addColumn('name', 'varchar(100)', (c) => c.primaryKey())
        .addColumn('password_hash', 'text', (c) => c.notNull())
        .addColumn('role', 'varchar(100)', (c) => c.notNull())
        .addColumn('language', 'varchar(8)', (c) => c.notNull())
        .addColumn('disabled', 'integer', (c) => c.notNull())
        .addColumn('failed_logons', 'integer', (c) => c.notNull())
        .addColumn('locked_until', time)
        .addColumn('created_at', time, (c) => c.notNull())
        .addColumn('last_logon_at', time)
        .addColumn('password_changed_at', time, (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('console_roles')
        .addColumn('name', 'varchar(100)', (c) => c.primaryKey())
        .addColumn('description', 'text', (c) => c.notNull())
        .addColumn('permissions', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('console_sessions')
        .addColumn('id_hash', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('account', 'varchar(100)', (c) => c.notNull())
        .addColumn('csrf_token', 'varchar(64)', (c) => c.notNull())
        .addColumn('ip', 'varchar(64)', (c) => c.notNull())
        .addColumn('created_at', time, (c) => c.notNull())
        .addColumn('last_seen_at', time, (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('console_sessions_account')
        .on('console_sessions')
        .column('account')
        .execute();
      await db.schema
        .createTable('console_tokens')
        .addColumn('id', 'varchar(32)', (c) => c.primaryKey())
        .addColumn('name', 'varchar(100)', (c) => c.notNull())
        .addColumn('account', 'varchar(100)', (c) => c.notNull())
        .addColumn('token_hash', 'varchar(64)', (c) => c.notNull().unique())
        .addColumn('created_at', time, (c) => c.notNull())
        .addColumn('expires_at', time)
        .addColumn('last_used_at', time)
        .execute();
      await db.schema
        .createTable('audit_log')
        .addColumn('id', serial, (c) =>
          kind === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement(),
        )
        .addColumn('at', time, (c) => c.notNull())
        .addColumn('account', 'varchar(100)', (c) => c.notNull())
        .addColumn('ip', 'varchar(64)', (c) => c.notNull())
        .addColumn('action', 'varchar(100)', (c) => c.notNull())
        .addColumn('target', 'text', (c) => c.notNull())
        .addColumn('outcome', 'varchar(16)', (c) => c.notNull())
        .addColumn('details', 'text')
        .execute();
      await db.schema.createIndex('audit_log_at').on('audit_log').column('at').execute();
      await db.schema.createIndex('audit_log_account').on('audit_log').column('account').execute();
    },
    async down(db: Kysely<unknown>) {
      for (const t of [
        'audit_log',
        'console_tokens',
        'console_sessions',
        'console_roles',
        'console_accounts',
      ])
        await db.schema.dropTable(t).execute();
    },
  };
}
