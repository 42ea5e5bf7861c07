// Store tables of the text model: the features of every learned message (a column of
// bayes_seen, so forgetting or moving a message changes its example too) and the trained
// weights, one row shared by the group.
import type { Kysely, Migration } from 'kysely';
import type { StoreKind } from '../../store/store.js';

export interface SpamTextModelTable {
  /** Always 1: one model. */
  id: number;
  /** Incremented by every training; nodes compare it to know their copy is stale. */
  version: number;
  trained_at: number;
  nspam: number;
  nham: number;
  /** TextModel.encodeWeights(). */
  weights: Buffer;
}

export function textModelMigration(kind: StoreKind): Migration {
  const big = kind === 'postgres' ? 'bigint' : 'integer';
  const bytes = kind === 'postgres' ? 'bytea' : 'blob';
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('bayes_seen').addColumn('features', bytes).execute();
      await db.schema
        .createTable('spam_text_model')
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('version', big, (c) => c.notNull())
        .addColumn('trained_at', big, (c) => c.notNull())
        .addColumn('nspam', 'integer', (c) => c.notNull())
        .addColumn('nham', 'integer', (c) => c.notNull())
        .addColumn('weights', bytes, (c) => c.notNull())
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('spam_text_model').execute();
      await db.schema.alterTable('bayes_seen').dropColumn('features').execute();
    },
  };
}
