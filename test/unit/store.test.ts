import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { STORE_KINDS } from '../helpers/stores.js';
import { SettingsRepository } from '../../src/store/settings-repo.js';
import { SettingsError } from '../../src/config/settings.js';
import { TrackingLog, queryTracking } from '../../src/log/tracking.js';
import { silentLogger } from '../../src/util/log.js';
import type { Envelope } from '../../src/queue/types.js';

function envelope(id: string, sender: string, rcpts: string[], receivedAt: number): Envelope {
  return {
    id,
    sender,
    recipients: rcpts.map((address) => ({ address })),
    receivedAt,
    client: { ip: '192.0.2.7', helo: 'client.test', tls: false },
    size: 1234,
    messageId: `<${id}@client.test>`,
    subject: `subject ${id}`,
    origin: 'smtp',
  };
}

for (const kind of STORE_KINDS) {
  describe(`store on ${kind.name}`, () => {
    test('settings: defaults, save, version, validation', async () => {
      const t = await kind.open();
      try {
        const repo = new SettingsRepository(t.store);
        const initial = await repo.load();
        assert.equal(initial.version, 0);
        const saved = await repo.save({
          smtp: { hostname: 'gw.example.test' },
          domains: [{ name: 'example.com' }],
        });
        assert.equal(saved.version, 1);
        assert.equal((await repo.load()).document.smtp.hostname, 'gw.example.test');
        await repo.save({ smtp: { hostname: 'gw2.example.test' } });
        assert.equal(await repo.version(), 2);
        await assert.rejects(repo.save({ smtp: { hostname: 'bad host' } }), SettingsError);
        assert.equal(await repo.version(), 2, 'a bad document changes nothing');
      } finally {
        await t.cleanup();
      }
    });

    test('tracking: batched writes and queries by sender, recipient, time and result', async () => {
      const t = await kind.open();
      try {
        const tracking = new TrackingLog(t.store, 'node-a', silentLogger(), 10);
        const now = Date.now();
        tracking.received(
          envelope('A1', 'alice@sender.test', ['bob@example.com', 'carol_x@example.com'], now - 3_600_000),
        );
        tracking.received(envelope('B2', 'dave@other.test', ['erin@example.com'], now));
        tracking.attempt('A1', [
          { address: 'bob@example.com', outcome: 'delivered', reply: '250 ok', host: '127.0.0.1:2626' },
          { address: 'carol_x@example.com', outcome: 'deferred', reply: '451 later', host: '127.0.0.1:2626' },
        ]);
        tracking.status('A1', 'deferred');
        tracking.attempt('B2', [
          { address: 'erin@example.com', outcome: 'bounced', reply: '550 no such user' },
        ]);
        tracking.status('B2', 'bounced');
        await tracking.close();

        const all = await queryTracking(t.store, {});
        assert.deepEqual(
          all.map((m) => m.queueId),
          ['B2', 'A1'],
          'newest first',
        );
        const a1 = all.find((m) => m.queueId === 'A1');
        assert.equal(a1?.status, 'deferred');
        assert.equal(a1?.deliveries.length, 2);
        assert.equal(a1?.subject, 'subject A1');
        assert.deepEqual(
          (await queryTracking(t.store, { sender: 'ALICE@sender.test' })).map((m) => m.queueId),
          ['A1'],
        );
        assert.deepEqual(
          (await queryTracking(t.store, { recipient: 'carol_x@example.com' })).map((m) => m.queueId),
          ['A1'],
        );
        assert.deepEqual(
          (await queryTracking(t.store, { recipient: 'carolxx@example.com' })).map((m) => m.queueId),
          [],
          '_ is not a wildcard',
        );
        assert.deepEqual(
          (await queryTracking(t.store, { recipient: '*@example.com', since: now - 60_000 })).map(
            (m) => m.queueId,
          ),
          ['B2'],
        );
        assert.deepEqual(
          (await queryTracking(t.store, { result: 'bounced' })).map((m) => m.queueId),
          ['B2'],
        );
        assert.deepEqual(
          (await queryTracking(t.store, { result: 'delivered' })).map((m) => m.queueId),
          ['A1'],
        );
      } finally {
        await t.cleanup();
      }
    });
  });
}
