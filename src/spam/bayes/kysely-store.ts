// The classifier's counts in the store (SQLite or PostgreSQL), shared by every node of a group.
// Learning writes a batch in one transaction (multi-row upserts); scoring reads through an
// in-memory cache that is dropped when another node has learned (bayes_meta.version moved) and
// updated in place when this node learned.
import { sql, type Kysely, type Migration, type Transaction } from 'kysely';
import type { StoreKind } from '../../store/store.js';
import type { Database } from '../../store/schema.js';
import type { SpamTextModelTable } from '../text-model/migration.js';
import { TextModel } from '../text-model/model.js';
import type {
  BayesStats,
  BayesTotals,
  Label,
  LearnBatch,
  StoredExample,
  TokenCounts,
  TokenStore,
} from './token-store.js';

export interface BayesTokensTable {
  /** 48-bit token hash (tokenHash). */
  token: number;
  spam_count: number;
  ham_count: number;
  /** Epoch ms of the last learning that touched the token. */
  last_seen: number;
}

export interface BayesMetaTable {
  /** Always 1: one row. */
  id: number;
  nspam: number;
  nham: number;
  /** Incremented by every learning batch; nodes compare it to know their cache is stale. */
  version: number;
  updated_at: number;
}

export interface BayesSeenTable {
  /** messageKey(): what was learned, so nothing is counted twice and a label can be moved. */
  msg_key: string;
  label: string;
  learned_at: number;
  /** The text model's features (encodeFeatures); null for messages learned before it existed. */
  features: Buffer | null;
}

export interface BayesTables {
  bayes_tokens: BayesTokensTable;
  bayes_meta: BayesMetaTable;
  bayes_seen: BayesSeenTable;
  spam_text_model: SpamTextModelTable;
}

type Db = Kysely<BayesTables>;

/** Migration for src/store/migrations.ts (the lead adds it under the next free number). */
export function bayesMigration(kind: StoreKind): Migration {
  const big = kind === 'postgres' ? 'bigint' : 'integer';
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('bayes_tokens')
        .addColumn('token', big, (c) => c.primaryKey())
        .addColumn('spam_count', 'integer', (c) => c.notNull())
        .addColumn('ham_count', 'integer', (c) => c.notNull())
        .addColumn('last_seen', big, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('bayes_tokens_last_seen').on('bayes_tokens').column('last_seen').execute();
      await db.schema
        .createTable('bayes_meta')
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('nspam', 'integer', (c) => c.notNull())
        .addColumn('nham', 'integer', (c) => c.notNull())
        .addColumn('version', big, (c) => c.notNull())
        .addColumn('updated_at', big, (c) => c.notNull())
        .execute();
      await (db as unknown as Db)
        .insertInto('bayes_meta')
        .values({ id: 1, nspam: 0, nham: 0, version: 0, updated_at: 0 })
        .execute();
      await db.schema
        .createTable('bayes_seen')
        .addColumn('msg_key', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('label', 'varchar(4)', (c) => c.notNull())
        .addColumn('learned_at', big, (c) => c.notNull())
        .execute();
    },
    async down(db: Kysely<unknown>) {
      for (const t of ['bayes_seen', 'bayes_meta', 'bayes_tokens']) await db.schema.dropTable(t).execute();
    },
  };
}

/** Rows per statement: 4 parameters each stays far below SQLite's and PostgreSQL's limits. */
const CHUNK = 500;

function chunks<T>(items: readonly T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export interface KyselyTokenStoreOptions {
  /** How long cached counts are trusted before the version is checked again (ms). */
  cacheTtl?: number;
  /** Cached tokens kept at most; past it the cache starts over. */
  cacheSize?: number;
}

export class KyselyTokenStore implements TokenStore {
  private readonly db: Db;
  private readonly cacheTtl: number;
  private readonly cacheSize: number;
  private cache = new Map<number, TokenCounts | null>();
  private meta: (BayesTotals & { version: number; checkedAt: number }) | undefined;
  private model: { model: TextModel | undefined; version: number; checkedAt: number } | undefined;

  constructor(db: Kysely<Database>, opts: KyselyTokenStoreOptions = {}) {
    this.db = db as unknown as Db;
    this.cacheTtl = opts.cacheTtl ?? 60_000;
    this.cacheSize = opts.cacheSize ?? 500_000;
  }

  /** Drops the cache (after local learning; tests). */
  invalidate(): void {
    this.cache.clear();
    this.meta = undefined;
  }

  private async readMeta(): Promise<BayesTotals & { version: number }> {
    const row = await this.db
      .selectFrom('bayes_meta')
      .select(['nspam', 'nham', 'version'])
      .where('id', '=', 1)
      .executeTakeFirst();
    return {
      nspam: Number(row?.nspam ?? 0),
      nham: Number(row?.nham ?? 0),
      version: Number(row?.version ?? 0),
    };
  }

  async totals(): Promise<BayesTotals> {
    const now = Date.now();
    if (!this.meta || now - this.meta.checkedAt >= this.cacheTtl) {
      const m = await this.readMeta();
      if (!this.meta || m.version !== this.meta.version) this.cache.clear();
      this.meta = { ...m, checkedAt: now };
    }
    return { nspam: this.meta.nspam, nham: this.meta.nham };
  }

  async counts(hashes: readonly number[]): Promise<Map<number, TokenCounts>> {
    await this.totals();
    const out = new Map<number, TokenCounts>();
    const missing: number[] = [];
    for (const h of hashes) {
      const c = this.cache.get(h);
      if (c === undefined) missing.push(h);
      else if (c !== null) out.set(h, c);
    }
    if (missing.length > 0) {
      if (this.cache.size + missing.length > this.cacheSize) this.cache.clear();
      for (const part of chunks(missing)) {
        const rows = await this.db
          .selectFrom('bayes_tokens')
          .select(['token', 'spam_count', 'ham_count'])
          .where('token', 'in', part)
          .execute();
        for (const h of part) this.cache.set(h, null);
        for (const r of rows) {
          const c = { spam: Number(r.spam_count), ham: Number(r.ham_count) };
          this.cache.set(Number(r.token), c);
          out.set(Number(r.token), c);
        }
      }
    }
    return out;
  }

  async seen(keys: readonly string[]): Promise<Map<string, Label>> {
    const out = new Map<string, Label>();
    for (const part of chunks([...new Set(keys)])) {
      const rows = await this.db
        .selectFrom('bayes_seen')
        .select(['msg_key', 'label'])
        .where('msg_key', 'in', part)
        .execute();
      for (const r of rows) out.set(r.msg_key, r.label === 'spam' ? 'spam' : 'ham');
    }
    return out;
  }

  async apply(batch: LearnBatch): Promise<void> {
    const meta = await this.db.transaction().execute(async (trx) => {
      await this.applyTokens(trx, batch);
      const updated = await trx
        .updateTable('bayes_meta')
        .set({
          nspam: sql<number>`case when nspam + ${batch.nspam} < 0 then 0 else nspam + ${batch.nspam} end`,
          nham: sql<number>`case when nham + ${batch.nham} < 0 then 0 else nham + ${batch.nham} end`,
          version: sql<number>`version + 1`,
          updated_at: batch.at,
        })
        .where('id', '=', 1)
        .returning(['nspam', 'nham', 'version'])
        .executeTakeFirst();
      const learned = [...batch.seen].filter((e): e is [string, Label] => e[1] !== null);
      const forgotten = [...batch.seen].filter(([, l]) => l === null).map(([k]) => k);
      for (const part of chunks(learned)) {
        await trx
          .insertInto('bayes_seen')
          .values(
            part.map(([msg_key, label]) => ({
              msg_key,
              label,
              learned_at: batch.at,
              features: batch.features.get(msg_key) ?? null,
            })),
          )
          .onConflict((oc) =>
            oc.column('msg_key').doUpdateSet({
              label: sql<string>`excluded.label`,
              learned_at: sql<number>`excluded.learned_at`,
              features: sql<Buffer | null>`excluded.features`,
            }),
          )
          .execute();
      }
      for (const part of chunks(forgotten)) {
        await trx.deleteFrom('bayes_seen').where('msg_key', 'in', part).execute();
      }
      for (const [key, features] of batch.features) {
        if (batch.seen.has(key)) continue;
        await trx
          .updateTable('bayes_seen')
          .set({ features })
          .where('msg_key', '=', key)
          .where('features', 'is', null)
          .execute();
      }
      return updated;
    });
    this.keepCacheAfter(batch, meta);
  }

  /**
   * Learning on this node (a report, a release) keeps the token cache warm: when nobody else
   * learned since the cache was filled (the version moved by exactly this batch), the batch's
   * changes are applied to the cached counts; otherwise the cache starts over.
   */
  private keepCacheAfter(
    batch: LearnBatch,
    meta: { nspam: number; nham: number; version: number } | undefined,
  ): void {
    if (!meta || !this.meta || Number(meta.version) !== this.meta.version + 1) {
      this.invalidate();
      return;
    }
    for (const [h, d] of batch.tokens) {
      const c = this.cache.get(h);
      if (c === undefined) continue;
      const spam = Math.max(0, (c?.spam ?? 0) + d.spam);
      const ham = Math.max(0, (c?.ham ?? 0) + d.ham);
      this.cache.set(h, spam === 0 && ham === 0 ? null : { spam, ham });
    }
    this.meta = {
      nspam: Number(meta.nspam),
      nham: Number(meta.nham),
      version: Number(meta.version),
      checkedAt: this.meta.checkedAt,
    };
  }

  /**
   * Increments go through one upsert per chunk. Decrements (unlearning) update existing rows
   * only, grouped by their amount, never below zero; rows left at zero are deleted.
   */
  private async applyTokens(trx: Transaction<BayesTables>, batch: LearnBatch): Promise<void> {
    const up: BayesTokensTable[] = [];
    const down = new Map<string, number[]>();
    for (const [token, d] of batch.tokens) {
      const addSpam = Math.max(0, d.spam);
      const addHam = Math.max(0, d.ham);
      if (addSpam > 0 || addHam > 0)
        up.push({ token, spam_count: addSpam, ham_count: addHam, last_seen: batch.at });
      if (d.spam < 0 || d.ham < 0) {
        const key = `${Math.min(0, d.spam)},${Math.min(0, d.ham)}`;
        const list = down.get(key) ?? [];
        list.push(token);
        down.set(key, list);
      }
    }
    for (const part of chunks(up)) {
      await trx
        .insertInto('bayes_tokens')
        .values(part)
        .onConflict((oc) =>
          oc.column('token').doUpdateSet({
            spam_count: sql<number>`bayes_tokens.spam_count + excluded.spam_count`,
            ham_count: sql<number>`bayes_tokens.ham_count + excluded.ham_count`,
            last_seen: sql<number>`excluded.last_seen`,
          }),
        )
        .execute();
    }
    for (const [key, tokens] of down) {
      const [ds, dh] = key.split(',').map(Number) as [number, number];
      for (const part of chunks(tokens)) {
        await trx
          .updateTable('bayes_tokens')
          .set({
            spam_count: sql<number>`case when spam_count + ${ds} < 0 then 0 else spam_count + ${ds} end`,
            ham_count: sql<number>`case when ham_count + ${dh} < 0 then 0 else ham_count + ${dh} end`,
          })
          .where('token', 'in', part)
          .execute();
        await trx
          .deleteFrom('bayes_tokens')
          .where('token', 'in', part)
          .where('spam_count', '=', 0)
          .where('ham_count', '=', 0)
          .execute();
      }
    }
  }

  async stats(): Promise<BayesStats> {
    const meta = await this.db
      .selectFrom('bayes_meta')
      .select(['nspam', 'nham', 'updated_at'])
      .where('id', '=', 1)
      .executeTakeFirst();
    const count = await this.db
      .selectFrom('bayes_tokens')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirst();
    const model = await this.db
      .selectFrom('spam_text_model')
      .select(['nspam', 'nham', 'trained_at'])
      .where('id', '=', 1)
      .executeTakeFirst();
    const updated = Number(meta?.updated_at ?? 0);
    return {
      nspam: Number(meta?.nspam ?? 0),
      nham: Number(meta?.nham ?? 0),
      tokens: Number(count?.n ?? 0),
      ...(updated > 0 ? { lastLearned: updated } : {}),
      ...(model
        ? {
            textModel: {
              nspam: Number(model.nspam),
              nham: Number(model.nham),
              trainedAt: Number(model.trained_at),
            },
          }
        : {}),
    };
  }

  async clear(): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('bayes_tokens').execute();
      await trx.deleteFrom('bayes_seen').execute();
      await trx.deleteFrom('spam_text_model').execute();
      await trx
        .updateTable('bayes_meta')
        .set({ nspam: 0, nham: 0, version: sql<number>`version + 1`, updated_at: Date.now() })
        .where('id', '=', 1)
        .execute();
    });
    this.invalidate();
  }

  async expire(before: number): Promise<number> {
    const r = await this.db
      .deleteFrom('bayes_tokens')
      .where('last_seen', '<', before)
      .where(sql<boolean>`spam_count + ham_count <= 1`)
      .executeTakeFirst();
    await this.db
      .updateTable('bayes_meta')
      .set({ version: sql<number>`version + 1` })
      .where('id', '=', 1)
      .execute();
    this.invalidate();
    return Number(r.numDeletedRows);
  }

  async examples(limit: number): Promise<StoredExample[]> {
    const rows = await this.db
      .selectFrom('bayes_seen')
      .select(['msg_key', 'label', 'features'])
      .where('features', 'is not', null)
      .orderBy('learned_at', 'desc')
      .limit(limit)
      .execute();
    return rows.map((r) => ({
      key: r.msg_key,
      label: r.label === 'spam' ? 'spam' : 'ham',
      features: r.features as Buffer,
    }));
  }

  async textModel(): Promise<TextModel | undefined> {
    const now = Date.now();
    if (this.model && now - this.model.checkedAt < this.cacheTtl) return this.model.model;
    const row = await this.db
      .selectFrom('spam_text_model')
      .select(['version'])
      .where('id', '=', 1)
      .executeTakeFirst();
    const version = Number(row?.version ?? 0);
    if (!this.model || this.model.version !== version) {
      const full = row
        ? await this.db
            .selectFrom('spam_text_model')
            .select(['weights', 'nspam', 'nham'])
            .where('id', '=', 1)
            .executeTakeFirst()
        : undefined;
      const model = full ? TextModel.decode(full.weights, Number(full.nspam), Number(full.nham)) : undefined;
      this.model = { model, version, checkedAt: now };
    } else this.model.checkedAt = now;
    return this.model.model;
  }

  async saveTextModel(model: TextModel, trainedAt = Date.now()): Promise<void> {
    const values = {
      trained_at: trainedAt,
      nspam: model.nspam,
      nham: model.nham,
      weights: model.encodeWeights(),
    };
    const row = await this.db
      .insertInto('spam_text_model')
      .values({ id: 1, version: 1, ...values })
      .onConflict((oc) =>
        oc.column('id').doUpdateSet({ ...values, version: sql<number>`spam_text_model.version + 1` }),
      )
      .returning(['version'])
      .executeTakeFirst();
    this.model = { model, version: Number(row?.version ?? 0), checkedAt: Date.now() };
  }
}
