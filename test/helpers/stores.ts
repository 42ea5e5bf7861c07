// Both store back-ends for tests: SQLite in a temp dir, and a fresh PostgreSQL database on
// the local server (127.0.0.1:5432), dropped afterwards.
import pg from 'pg';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { openStore, type Store } from '../../src/store/store.js';
import { tempDir } from './tmp.js';

export const POSTGRES_ADMIN_URL =
  process.env.SEKIMORI_TEST_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TestStore {
  url: string;
  store: Store;
  cleanup: () => Promise<void>;
}

export async function createPostgresDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `sekimori_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = POSTGRES_ADMIN_URL.replace(/\/[^/]*$/, `/${name}`);
  return {
    url,
    drop: async () => {
      const c = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

export async function sqliteStore(): Promise<TestStore> {
  const t = await tempDir();
  const url = `sqlite:${join(t.dir, 'test.db')}`;
  const store = await openStore(url);
  return {
    url,
    store,
    cleanup: async () => {
      await store.close();
      await t.cleanup();
    },
  };
}

export async function postgresStore(): Promise<TestStore> {
  const db = await createPostgresDatabase();
  const store = await openStore(db.url);
  return {
    url: db.url,
    store,
    cleanup: async () => {
      await store.close();
      await db.drop();
    },
  };
}

/** Runs the same test body on each back-end. */
export const STORE_KINDS: { name: string; open: () => Promise<TestStore> }[] = [
  { name: 'SQLite', open: sqliteStore },
  { name: 'PostgreSQL', open: postgresStore },
];
