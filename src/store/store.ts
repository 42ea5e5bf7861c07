// Opens the store: SQLite in the data directory by default, PostgreSQL for a group. The same
// Kysely queries and migrations serve both.
import { Kysely, Migrator, PostgresDialect, SqliteDialect, type MigrationResultSet } from 'kysely';
import SqliteDatabase from 'better-sqlite3';
import pg from 'pg';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Database } from './schema.js';
import { migrations } from './migrations.js';

export type StoreKind = 'sqlite' | 'postgres';

export interface Store {
  kind: StoreKind;
  db: Kysely<Database>;
  close(): Promise<void>;
}

// PostgreSQL returns int8 as text; every bigint we keep is an epoch-ms time or a byte count.
pg.types.setTypeParser(20, (v) => Number(v));

/** "postgres://…" / "postgresql://…" or "sqlite:PATH" (also a bare path). */
export function parseDatabaseUrl(url: string): { kind: StoreKind; target: string } {
  if (/^postgres(ql)?:\/\//i.test(url)) return { kind: 'postgres', target: url };
  const path = url.replace(/^sqlite:(\/\/)?/i, '');
  if (!path) throw new Error(`database URL "${url}" names no file`);
  return { kind: 'sqlite', target: path };
}

export async function openStore(url: string, opts: { migrate?: boolean } = {}): Promise<Store> {
  const { kind, target } = parseDatabaseUrl(url);
  let db: Kysely<Database>;
  if (kind === 'postgres') {
    const pool = new pg.Pool({ connectionString: target, max: 10 });
    // A failed pooled connection must not crash the node; queries report their own errors.
    pool.on('error', () => undefined);
    db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  } else {
    if (target !== ':memory:') mkdirSync(dirname(target), { recursive: true });
    const sqlite = new SqliteDatabase(target);
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = NORMAL');
    sqlite.pragma('busy_timeout = 5000');
    // SQLite's own lower() folds ASCII only; searches must fold "Ü" as PostgreSQL does.
    sqlite.function('lower', { deterministic: true }, (v: unknown) =>
      typeof v === 'string' ? v.toLowerCase() : v,
    );
    db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  }
  const store: Store = { kind, db, close: () => db.destroy() };
  if (opts.migrate !== false) await migrate(store);
  return store;
}

export async function migrate(store: Store): Promise<MigrationResultSet> {
  const migrator = new Migrator({
    db: store.db,
    provider: { getMigrations: async () => migrations(store.kind) },
  });
  const result = await migrator.migrateToLatest();
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`database migration ${failed} failed: ${String(result.error)}`);
  }
  return result;
}
