// The console's accounts, sessions, API tokens and audit log on both store back-ends; on
// PostgreSQL a session made through one connection pool (one node) is served by another.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { STORE_KINDS } from '../helpers/stores.js';
import { openStore } from '../../src/store/store.js';
import { AccountRepository } from '../../src/web/accounts-repo.js';
import { SessionRepository, digest } from '../../src/web/sessions-repo.js';
import { AuditLog } from '../../src/web/audit-log.js';
import { verifyPassword } from '../../src/web/passwords.js';
import { ADMINISTRATOR, READ_ONLY } from '../../src/web/roles.js';
import type { ConsoleDb } from '../../src/web/console-tables.js';

const LIMITS = { idleTimeout: 30 * 60_000, maxLifetime: 12 * 3_600_000 };

for (const kind of STORE_KINDS) {
  describe(`console store on ${kind.name}`, () => {
    test('accounts: created with an argon2id hash, changed, locked after failures, unlocked', async () => {
      const t = await kind.open();
      try {
        const accounts = new AccountRepository(t.store);
        assert.equal(await accounts.count(), 0);
        assert.equal(
          await accounts.create({ name: 'admin', password: 'secret password', role: ADMINISTRATOR }),
          true,
        );
        assert.equal(
          await accounts.create({ name: 'admin', password: 'other password', role: READ_ONLY }),
          false,
        );
        const a = await accounts.withHash('admin');
        assert.match(a?.passwordHash ?? '', /^\$argon2id\$/);
        assert.equal(await verifyPassword(a?.passwordHash ?? '', 'secret password'), true);
        assert.equal(await verifyPassword(a?.passwordHash ?? '', 'Secret password'), false);
        const listed = await accounts.list();
        assert.deepEqual(
          listed.map((x) => [x.name, x.role, x.language, x.disabled]),
          [['admin', ADMINISTRATOR, 'auto', false]],
        );
        assert.equal('passwordHash' in (listed[0] as object), false);

        assert.equal(await accounts.setPassword('admin', 'new secret password'), true);
        const changed = await accounts.withHash('admin');
        assert.equal(await verifyPassword(changed?.passwordHash ?? '', 'new secret password'), true);

        assert.deepEqual(await accounts.recordFailure('admin', 2, 60_000), { locked: false });
        assert.deepEqual(await accounts.recordFailure('admin', 2, 60_000), { locked: true });
        assert.ok(((await accounts.get('admin'))?.lockedUntil ?? 0) > Date.now());
        await accounts.unlock('admin');
        assert.equal((await accounts.get('admin'))?.lockedUntil, null);

        await accounts.update('admin', { language: 'ja', disabled: true });
        assert.deepEqual(
          [(await accounts.get('admin'))?.language, (await accounts.get('admin'))?.disabled],
          ['ja', true],
        );
        assert.equal(await accounts.countWithRole(ADMINISTRATOR, { enabledOnly: true }), 0);
        assert.equal(await accounts.delete('admin'), true);
        assert.equal(await accounts.get('admin'), undefined);
      } finally {
        await t.cleanup();
      }
    });

    test('custom roles are stored next to the built-in ones', async () => {
      const t = await kind.open();
      try {
        const accounts = new AccountRepository(t.store);
        await accounts.saveRole({
          name: 'queue operator',
          description: 'works the queue',
          permissions: { ...(await accounts.role(READ_ONLY))!.permissions, queue: 'write' },
        });
        const role = await accounts.role('queue operator');
        assert.equal(role?.permissions.queue, 'write');
        assert.equal(role?.permissions.accounts, 'none');
        assert.deepEqual(
          (await accounts.roles()).map((r) => [r.name, r.builtIn]),
          [
            [ADMINISTRATOR, true],
            [READ_ONLY, true],
            ['queue operator', false],
          ],
        );
        assert.equal(await accounts.deleteRole('queue operator'), true);
        assert.equal(await accounts.role('queue operator'), undefined);
      } finally {
        await t.cleanup();
      }
    });

    test('sessions: only a digest is stored; idle and too-old sessions end', async () => {
      const t = await kind.open();
      try {
        let now = 1_000_000;
        const sessions = new SessionRepository(t.store, () => now);
        const s = await sessions.create('admin', '192.0.2.1');
        const rows = await (t.store.db as unknown as ConsoleDb)
          .selectFrom('console_sessions')
          .selectAll()
          .execute();
        assert.equal(rows.length, 1);
        assert.equal(rows[0]?.id_hash, digest(s.id));
        assert.ok(!JSON.stringify(rows).includes(s.id));

        assert.equal((await sessions.use(s.id, LIMITS))?.csrfToken, s.csrfToken);
        assert.equal(await sessions.use('not-a-session', LIMITS), undefined);
        // used within the idle timeout, again and again: alive until the absolute lifetime
        for (let i = 0; i < 3; i++) {
          now += 20 * 60_000;
          assert.ok(await sessions.use(s.id, LIMITS));
        }
        now += LIMITS.idleTimeout + 1;
        assert.equal(await sessions.use(s.id, LIMITS), undefined);

        const old = await sessions.create('admin', '192.0.2.1');
        now += LIMITS.maxLifetime + 1;
        assert.equal(
          await sessions.use(old.id, { ...LIMITS, idleTimeout: LIMITS.maxLifetime * 2 }),
          undefined,
        );

        const a = await sessions.create('admin', '192.0.2.1');
        const b = await sessions.create('admin', '192.0.2.2');
        await sessions.deleteForAccount('admin', { except: a.id });
        assert.ok(await sessions.use(a.id, LIMITS));
        assert.equal(await sessions.use(b.id, LIMITS), undefined);
      } finally {
        await t.cleanup();
      }
    });

    test('API tokens: shown once, stored as a digest, expire, revoked', async () => {
      const t = await kind.open();
      try {
        const sessions = new SessionRepository(t.store);
        const { token, view } = await sessions.createToken('admin', 'ci', null);
        assert.match(token, /^skm_/);
        assert.equal(await sessions.useToken(token), 'admin');
        assert.equal(await sessions.useToken(`${token}x`), undefined);
        const listed = await sessions.tokens('admin');
        assert.equal(listed.length, 1);
        assert.ok(!JSON.stringify(listed).includes(token));
        assert.ok((listed[0]?.lastUsedAt ?? 0) > 0);
        const expired = await sessions.createToken('admin', 'old', Date.now() - 1);
        assert.equal(await sessions.useToken(expired.token), undefined);
        assert.equal(await sessions.revokeToken(view.id), true);
        assert.equal(await sessions.useToken(token), undefined);
      } finally {
        await t.cleanup();
      }
    });

    test('audit log: newest first, searchable, secrets removed', async () => {
      const t = await kind.open();
      try {
        const audit = new AuditLog(t.store);
        const base = Date.now();
        await audit.record({
          at: base,
          account: 'admin',
          ip: '192.0.2.1',
          action: 'logon',
          target: 'admin',
          outcome: 'ok',
        });
        await audit.record({
          at: base + 1,
          account: 'admin',
          ip: '192.0.2.1',
          action: 'accounts.create',
          target: '/accounts',
          outcome: 'ok',
          details: { body: { name: 'bob', password: 'bob secret pw', nested: [{ apiToken: 'x' }] } },
        });
        await audit.record({
          at: base + 2,
          account: 'bob',
          ip: '192.0.2.2',
          action: 'logon',
          target: 'bob',
          outcome: 'failed',
        });
        await audit.record({
          at: base + 3,
          account: 'admin',
          ip: '192.0.2.1',
          action: 'accountsx',
          target: '-',
          outcome: 'ok',
        });

        assert.deepEqual(
          (await audit.search()).map((e) => e.at - base),
          [3, 2, 1, 0],
        );
        assert.deepEqual(
          (await audit.search({ account: 'bob' })).map((e) => e.outcome),
          ['failed'],
        );
        // an action finds itself and its sub-actions, not a longer name
        assert.deepEqual(
          (await audit.search({ action: 'accounts' })).map((e) => e.action),
          ['accounts.create'],
        );
        assert.deepEqual(
          (await audit.search({ since: base + 1, until: base + 2 })).map((e) => e.at - base),
          [2, 1],
        );
        assert.equal((await audit.search({ limit: 1 })).length, 1);
        const created = (await audit.search({ action: 'accounts.create' }))[0];
        assert.deepEqual(created?.details, { body: { name: 'bob', nested: [{}] } });
      } finally {
        await t.cleanup();
      }
    });
  });
}

describe('console sessions in a group', () => {
  test('a session made on one node is served by another node sharing the PostgreSQL store', async () => {
    const pg = STORE_KINDS.find((k) => k.name === 'PostgreSQL');
    assert.ok(pg);
    const t = await pg.open();
    const other = await openStore(t.url);
    try {
      const s = await new SessionRepository(t.store).create('admin', '192.0.2.1');
      assert.equal((await new SessionRepository(other).use(s.id, LIMITS))?.account, 'admin');
      await new SessionRepository(other).delete(s.id);
      assert.equal(await new SessionRepository(t.store).use(s.id, LIMITS), undefined);
    } finally {
      await other.close();
      await t.cleanup();
    }
  });
});
