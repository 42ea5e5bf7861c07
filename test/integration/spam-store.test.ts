// The classifier's token store and the C&C list in the real store, on SQLite and PostgreSQL:
// migrations, batched learning, unlearning, the scoring cache across "nodes", and the
// `spam` / `cnc` commands against a database.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Command } from 'commander';
import { sql } from 'kysely';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { STORE_KINDS, type TestStore } from '../helpers/stores.js';
import { tempDir } from '../helpers/tmp.js';
import { openStore } from '../../src/store/store.js';
import { parseMessage } from '../../src/scan/parse/index.js';
import { defaultScanSettings } from '../../src/scan/scan-settings.js';
import { Bayes } from '../../src/spam/bayes/classifier.js';
import { KyselyTokenStore } from '../../src/spam/bayes/kysely-store.js';
import { emptyBatch } from '../../src/spam/bayes/token-store.js';
import { CncRepository, parseCncCsv } from '../../src/spam/cnc.js';
import { registerCnc, registerSpam } from '../../src/spam/cli.js';
import { SpamStage } from '../../src/spam/stage.js';
import { tokenize } from '../../src/spam/bayes/tokenizer.js';
import { textFeatures } from '../../src/spam/text-model/features.js';
import { retrainTextModel } from '../../src/spam/text-model/trainer.js';
import { resolveSpamSettings, spamSettingsSchema } from '../../src/spam/spam-settings.js';

async function parse(subject: string, body: string, id: string) {
  const raw = `From: a@sender.test\r\nTo: user@example.com\r\nSubject: ${subject}\r\nMessage-ID: <${id}@sender.test>\r\nDate: Tue, 3 Jun 2025 09:00:00 +0900\r\n\r\n${body}\r\n`;
  return parseMessage(
    Buffer.from(raw),
    {
      sender: 'a@sender.test',
      recipients: ['user@example.com'],
      clientIp: '192.0.2.1',
      helo: 'h',
      acceptedDomains: ['example.com'],
    },
    defaultScanSettings(),
  );
}

const SPAM = [
  'cheap replica watches discount',
  'replica handbags luxury discount',
  'rolex replica cheap luxury',
];
const HAM = [
  'meeting notes attached review',
  'nightly build failed parser tests',
  'team lunch friday station',
];

/** The three spam and three ham samples learned in one batch through a store without cache time. */
async function learnSamples(t: TestStore) {
  const tokens = new KyselyTokenStore(t.store.db, { cacheTtl: 0 });
  const bayes = new Bayes(tokens, { minSpam: 3, minHam: 3 });
  const q = bayes.queue();
  for (let i = 0; i < 3; i++) {
    q.learn(await parse(`offer ${i}`, SPAM[i] as string, `s${i}`), 'spam');
    q.learn(await parse(`work ${i}`, HAM[i] as string, `h${i}`), 'ham');
  }
  return { tokens, bayes, learned: await q.flush() };
}

for (const kind of STORE_KINDS) {
  describe(`spam store on ${kind.name}`, () => {
    test('learning in batches, scoring through the cache, unlearning, another node sees it', async () => {
      const t: TestStore = await kind.open();
      try {
        const { tokens, bayes, learned } = await learnSamples(t);
        assert.deepEqual(learned, { learned: 6, skipped: 0, relearned: 0, forgotten: 0 });
        const stats = await tokens.stats();
        assert.equal(stats.nspam, 3);
        assert.equal(stats.nham, 3);
        assert.ok(stats.tokens > 20 && stats.lastLearned !== undefined, JSON.stringify(stats));

        const probe = (await parse('replica', 'cheap rolex replica watches luxury discount', 'p1')).facts;
        const p = await bayes.classify(probe);
        assert.ok(p.ready && p.probability > 0.9, JSON.stringify(p));

        // A second node with its own cache: sees what the first learned after its TTL.
        const other = new KyselyTokenStore(t.store.db, { cacheTtl: 60_000 });
        const otherBayes = new Bayes(other, { minSpam: 3, minHam: 3 });
        assert.ok((await otherBayes.classify(probe)).probability > 0.9);

        // Moving a message to the other label and forgetting it keep the counts exact.
        const first = (await parse('offer 0', SPAM[0] as string, 's0')).facts;
        assert.deepEqual(await bayes.learn({ facts: first }, 'spam'), {
          learned: 0,
          skipped: 1,
          relearned: 0,
          forgotten: 0,
        });
        assert.equal((await bayes.learn({ facts: first }, 'ham')).relearned, 1);
        assert.deepEqual(await tokens.totals(), { nspam: 2, nham: 4 });
        assert.equal((await bayes.forget(first)).forgotten, 1);
        assert.deepEqual(await tokens.totals(), { nspam: 2, nham: 3 });

        // Counts never go below zero, rows at zero disappear, large batches are chunked.
        const batch = emptyBatch();
        for (let h = 1; h <= 1200; h++) batch.tokens.set(h, { spam: 2, ham: 1 });
        batch.nspam = 1;
        await tokens.apply(batch);
        assert.deepEqual((await tokens.counts([7])).get(7), { spam: 2, ham: 1 });
        const down = emptyBatch();
        for (let h = 1; h <= 1200; h++) down.tokens.set(h, { spam: -5, ham: -1 });
        down.nspam = -10;
        await tokens.apply(down);
        assert.equal((await tokens.counts([7, 8, 1199])).size, 0);
        assert.equal((await tokens.totals()).nspam, 0);

        assert.ok((await tokens.expire(Date.now() + 1000)) > 0, 'hapaxes expire');
        await tokens.clear();
        const cleared = await tokens.stats();
        assert.deepEqual([cleared.nspam, cleared.nham, cleared.tokens], [0, 0, 0]);
      } finally {
        await t.cleanup();
      }
    });

    test('learning on this node updates the warm cache in place; learning elsewhere drops it', async () => {
      const t: TestStore = await kind.open();
      try {
        const hashes = Array.from({ length: 20 }, (_, i) => i + 1);
        const batch = (
          counts: Record<number, { spam: number; ham: number }>,
          nspam: number,
          nham: number,
        ) => {
          const b = emptyBatch();
          for (const [h, c] of Object.entries(counts)) b.tokens.set(Number(h), c);
          return Object.assign(b, { nspam, nham });
        };
        const tokens = new KyselyTokenStore(t.store.db, { cacheTtl: 60_000 });
        await tokens.apply(
          batch(Object.fromEntries(hashes.slice(0, 10).map((h) => [h, { spam: 1, ham: 0 }])), 1, 0),
        );
        await tokens.counts(hashes); // warm: 10 known tokens, 10 known to be absent
        await tokens.apply(
          batch(Object.fromEntries(hashes.slice(4, 15).map((h) => [h, { spam: 0, ham: 2 }])), 0, 1),
        );
        const fresh = new KyselyTokenStore(t.store.db);
        assert.deepEqual(await tokens.counts(hashes), await fresh.counts(hashes));
        assert.deepEqual(await tokens.totals(), { nspam: 1, nham: 1 });

        // Another node learns, then this one: the version moved by two, the cache starts over.
        await new KyselyTokenStore(t.store.db).apply(batch({ 1: { spam: 0, ham: 5 } }, 0, 1));
        await tokens.apply(batch({ 2: { spam: 1, ham: 0 } }, 1, 0));
        assert.deepEqual((await tokens.counts([1])).get(1), { spam: 1, ham: 5 });
        assert.deepEqual(await tokens.totals(), { nspam: 2, nham: 2 });
      } finally {
        await t.cleanup();
      }
    });

    test('text model: trained from the learned messages, shared with another node, follows forgetting', async () => {
      const t: TestStore = await kind.open();
      try {
        const { tokens, bayes } = await learnSamples(t);
        assert.equal((await tokens.examples(100)).length, 6);
        assert.equal(await tokens.textModel(), undefined);
        assert.equal((await tokens.stats()).textModel, undefined);

        const trained = await retrainTextModel(tokens);
        assert.deepEqual([trained.nspam, trained.nham], [3, 3]);
        const stats = await tokens.stats();
        assert.deepEqual([stats.textModel?.nspam, stats.textModel?.nham], [3, 3]);

        const probe = await parse('replica', 'cheap rolex replica watches luxury discount', 'p1');
        const features = textFeatures(probe.head ?? '', tokenize(probe.facts));
        const here = (await tokens.textModel())?.margin(features) ?? 0;
        assert.ok(here > 0, String(here));
        // Another node reads the same weights from the store.
        const other = new KyselyTokenStore(t.store.db, { cacheTtl: 0 });
        assert.equal((await other.textModel())?.margin(features), here);

        // Forgetting removes the example; the next training has one spam fewer, and the other
        // node (no cache time) sees the new model.
        assert.equal(
          (await bayes.forget((await parse('offer 0', SPAM[0] as string, 's0')).facts)).forgotten,
          1,
        );
        assert.equal((await tokens.examples(100)).length, 5);
        await retrainTextModel(tokens);
        assert.equal((await other.textModel())?.nspam, 2);

        // A message learned before the text model existed gets its features when learned again.
        await sql`update bayes_seen set features = null`.execute(t.store.db);
        assert.equal((await tokens.examples(100)).length, 0);
        const again = bayes.queue();
        again.learn(await parse(`offer 1`, SPAM[1] as string, `s1`), 'spam');
        assert.equal((await again.flush()).skipped, 1);
        assert.deepEqual(
          (await tokens.examples(100)).map((e) => e.label),
          ['spam'],
        );
      } finally {
        await t.cleanup();
      }
    });

    test('C&C list: import, replace, list, remove, and the stage matches it', async () => {
      const t: TestStore = await kind.open();
      try {
        const repo = new CncRepository(t.store.db);
        const csv = parseCncCsv(
          'domain,cnc.example,controller\nip,203.0.113.0/24,net\naddress,x@bad.example,\n',
        );
        assert.equal(await repo.import(csv.entries, { source: 'feed.csv' }), 3);
        assert.equal(
          await repo.import(parseCncCsv('domain,cnc.example,renamed').entries, { source: 'b.csv' }),
          1,
        );
        const rows = await repo.list();
        assert.equal(rows.length, 3);
        assert.equal(rows.find((r) => r.value === 'cnc.example')?.description, 'renamed');
        assert.equal(await repo.remove('address', 'x@bad.example'), true);
        assert.equal(await repo.remove('address', 'x@bad.example'), false);
        assert.equal(
          await repo.import(parseCncCsv('url,http://gate.example/p').entries, { source: 'c', replace: true }),
          1,
        );
        assert.deepEqual(
          (await repo.list()).map((r) => r.value),
          ['http://gate.example/p'],
        );
        await repo.import(csv.entries, { source: 'feed.csv' });

        const settings = resolveSpamSettings(spamSettingsSchema.parse({ bayes: { minSpam: 1, minHam: 1 } }));
        const stage = new SpamStage({
          settings: () => settings,
          acceptedDomains: () => ['example.com'],
          scanSettings: defaultScanSettings,
          db: t.store.db,
        });
        const parsed = await parse('hi', 'go to http://www.cnc.example/a now', 'c1');
        const facts = await stage.analyze(parsed, {});
        assert.deepEqual(
          facts.cnc.map((m) => `${m.where}:${m.value}`),
          ['url:cnc.example'],
        );
        assert.equal(facts.spam.isSpam, false);
        assert.equal(facts.graymail.graymail, false);

        // Feedback: a release is learned as ham, a report as spam, through the same tables.
        const raw = Buffer.from(
          'From: a@x.test\r\nSubject: win money\r\nMessage-ID: <f1@x.test>\r\n\r\nwin money now\r\n',
        );
        assert.equal((await stage.feedback?.onReportSpam(raw))?.learned, 1);
        assert.equal((await stage.feedback?.onRelease(raw))?.relearned, 1);
        assert.deepEqual(await stage.tokens?.totals(), { nspam: 0, nham: 1 });
        await stage.feedback?.close();
      } finally {
        await t.cleanup();
      }
    });
  });
}

describe('spam and cnc commands (SQLite)', () => {
  async function run(args: string[]): Promise<{ out: string; err: string; code: number }> {
    const program = new Command('sekimori').exitOverride();
    registerSpam(program);
    registerCnc(program);
    let out = '';
    let err = '';
    const w1 = process.stdout.write.bind(process.stdout);
    const w2 = process.stderr.write.bind(process.stderr);
    process.stdout.write = ((s: string) => ((out += s), true)) as typeof process.stdout.write;
    process.stderr.write = ((s: string) => ((err += s), true)) as typeof process.stderr.write;
    try {
      await program.parseAsync(['node', 'sekimori', ...args]);
      return { out, err, code: 0 };
    } catch (e) {
      return { out, err: `${err}${(e as Error).message}`, code: (e as { exitCode?: number }).exitCode ?? 1 };
    } finally {
      process.stdout.write = w1;
      process.stderr.write = w2;
    }
  }

  test('learn from a file, a directory and an mbox; stats; forget; cnc import/list', async () => {
    const d = await tempDir();
    try {
      const url = `sqlite:${join(d.dir, 'db.sqlite')}`;
      const store = await openStore(url);
      await store.close();
      const db = ['--database-url', url];

      await mkdir(join(d.dir, 'ham'));
      for (let i = 0; i < 3; i++) {
        await writeFile(
          join(d.dir, 'ham', `${i}.eml`),
          `Subject: notes ${i}\nMessage-ID: <h${i}@x>\n\n${HAM[i]}\n`,
        );
      }
      const mbox = SPAM.map(
        (b, i) =>
          `From spammer@x.test Mon Jun  2 10:00:0${i} 2025\nSubject: offer ${i}\nMessage-ID: <s${i}@x>\n\n${b}\n`,
      ).join('\n');
      await writeFile(join(d.dir, 'spam.mbox'), mbox);

      const usage = await run(['spam', 'learn', ...db, join(d.dir, 'ham')]);
      assert.equal(usage.code, 2, 'neither --spam nor --ham');
      const missing = await run(['spam', 'learn', '--ham', ...db, join(d.dir, 'nope')]);
      assert.equal(missing.code, 2);

      const ham = await run(['spam', 'learn', '--ham', ...db, join(d.dir, 'ham')]);
      assert.equal(ham.code, 0, ham.err);
      assert.match(ham.out, /learned 3 messages as ham from 3 files/);
      assert.match(ham.out, /text model trained on 0 spam and 3 ham/);
      assert.match(ham.err, /read 3 messages/);
      const spam = await run(['spam', 'learn', '--spam', '--json', ...db, join(d.dir, 'spam.mbox')]);
      assert.equal(spam.code, 0, spam.err);
      assert.equal(JSON.parse(spam.out).learned, 3);
      const again = await run(['spam', 'learn', '--spam', '-q', ...db, join(d.dir, 'spam.mbox')]);
      assert.match(again.out, /learned 0 messages as spam from 1 files, 3 already learned/);

      const stats = JSON.parse((await run(['spam', 'stats', '--json', ...db])).out);
      assert.equal(stats.nspam, 3);
      assert.equal(stats.nham, 3);
      assert.equal(stats.ready, false, 'defaults need 200 of each');
      assert.deepEqual([stats.textModel.nspam, stats.textModel.nham], [3, 3]);
      const statsText = (await run(['spam', 'stats', ...db])).out;
      assert.match(statsText, /not in use until 200 spam and 200 ham/);
      assert.match(statsText, /text model: +trained on 3 spam and 3 ham at \d{4}-/);

      const forget = await run(['spam', 'forget', '-q', ...db, join(d.dir, 'ham', '0.eml')]);
      assert.match(forget.out, /forgot 1 of 1 messages\ntext model trained on 3 spam and 2 ham/);
      const retrain = await run(['spam', 'retrain', '--json', ...db]);
      assert.equal(retrain.code, 0, retrain.err);
      assert.deepEqual([JSON.parse(retrain.out).nspam, JSON.parse(retrain.out).nham], [3, 2]);
      assert.equal((await run(['spam', 'clear', ...db])).code, 2);
      assert.equal((await run(['spam', 'clear', '--yes', ...db])).code, 0);
      assert.equal(JSON.parse((await run(['spam', 'stats', '--json', ...db])).out).textModel, null);
      const nothing = await run(['spam', 'retrain', ...db]);
      assert.equal(nothing.code, 3, 'nothing learned: not found');
      assert.match(nothing.err, /nothing learned yet/);

      await writeFile(join(d.dir, 'cnc.csv'), 'type,value,description\ndomain,cnc.example,c2\nbogus,x,y\n');
      const bad = await run(['cnc', 'import', ...db, join(d.dir, 'cnc.csv')]);
      assert.equal(bad.code, 2);
      assert.match(bad.err, /cnc\.csv:3: unknown type "bogus"/);
      await writeFile(
        join(d.dir, 'cnc.csv'),
        'domain,cnc.example,c2\nsha256,' + 'a'.repeat(64) + ',payload\n',
      );
      assert.match((await run(['cnc', 'import', ...db, join(d.dir, 'cnc.csv')])).out, /imported 2 entries/);
      const list = JSON.parse((await run(['cnc', 'list', '--json', ...db])).out);
      assert.deepEqual(
        list.map((r: { type: string }) => r.type),
        ['domain', 'sha256'],
      );
      assert.equal((await run(['cnc', 'remove', ...db, 'domain', 'nothere.example'])).code, 3);
      assert.equal((await run(['cnc', 'remove', ...db, 'domain', 'CNC.example'])).code, 0);
    } finally {
      await d.cleanup();
    }
  });
});
