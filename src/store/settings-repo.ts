// Group-wide settings live in one versioned row; every node reads the same document.
import type { Store } from './store.js';
import { defaultSettingsDocument, validateSettings, type SettingsDocument } from '../config/settings.js';

export interface StoredSettings {
  version: number;
  document: SettingsDocument;
}

export class SettingsRepository {
  constructor(private readonly store: Store) {}

  /** The stored settings, or the embedded defaults (version 0) when none were saved yet. */
  async load(): Promise<StoredSettings> {
    const row = await this.store.db.selectFrom('settings').selectAll().where('id', '=', 1).executeTakeFirst();
    if (!row) return { version: 0, document: defaultSettingsDocument() };
    return { version: row.version, document: validateSettings(JSON.parse(row.document)) };
  }

  async version(): Promise<number> {
    const row = await this.store.db
      .selectFrom('settings')
      .select('version')
      .where('id', '=', 1)
      .executeTakeFirst();
    return row?.version ?? 0;
  }

  /** Validates and saves a whole document; returns the new version. */
  async save(input: unknown): Promise<StoredSettings> {
    const document = validateSettings(input);
    const json = JSON.stringify(document);
    const now = Date.now();
    return this.store.db.transaction().execute(async (trx) => {
      const row = await trx.selectFrom('settings').select('version').where('id', '=', 1).executeTakeFirst();
      const version = (row?.version ?? 0) + 1;
      if (row) {
        await trx
          .updateTable('settings')
          .set({ version, document: json, updated_at: now })
          .where('id', '=', 1)
          .execute();
      } else {
        await trx
          .insertInto('settings')
          .values({ id: 1, version, document: json, updated_at: now })
          .execute();
      }
      return { version, document };
    });
  }
}
