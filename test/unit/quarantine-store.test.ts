import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { STORE_KINDS } from '../helpers/stores.js';
import { QuarantineRepository } from '../../src/quarantine/repository.js';
import { releaseFromQuarantine } from '../../src/quarantine/release.js';
import type { Envelope } from '../../src/queue/types.js';

const envelope: Envelope = {
  id: 'QID0000000000001',
  sender: 'alice@sender.test',
  recipients: [{ address: 'bob@example.com', notify: ['FAILURE'] }, { address: 'carol@example.com' }],
  receivedAt: Date.now(),
  client: { ip: '192.0.2.1', helo: 'mx.sender.test', tls: true },
  size: 20,
  origin: 'smtp',
};

for (const kind of STORE_KINDS) {
  describe(`quarantine on ${kind.name}`, () => {
    test('add, search, show, release once, delete, purge by retention', async () => {
      const t = await kind.open();
      try {
        const repo = new QuarantineRepository(t.store);
        const message = Buffer.from('Subject: Ünïcode\r\n\r\n\x00\xff binary-safe\r\n', 'latin1');
        const id = await repo.add({
          queueId: envelope.id,
          node: 'n1',
          area: 'virus',
          retentionMs: 60_000,
          envelope,
          recipients: ['bob@example.com'],
          subject: 'Ünïcode',
          ruleId: 'global-antivirus',
          reason: 'Global antivirus: Eicar-Test-Signature',
          details: { facts: { virus: [{ name: 'Eicar-Test-Signature' }] } },
          message,
        });
        const old = await repo.add({
          queueId: 'QID0000000000002',
          node: 'n1',
          area: 'policy',
          retentionMs: 1,
          envelope,
          recipients: ['carol@example.com'],
          reason: 'r',
          details: {},
          message,
        });
        assert.deepEqual(
          (await repo.list({ area: 'virus' })).map((e) => e.id),
          [id],
        );
        assert.deepEqual(
          (await repo.list({ recipient: 'BOB@example.com' })).map((e) => e.id),
          [id],
        );
        assert.deepEqual(
          (await repo.list({ subject: 'ünï' })).map((e) => e.id),
          [id],
        );
        const entry = await repo.get(id);
        assert.ok(entry?.message.equals(message), 'message bytes kept exactly');
        assert.deepEqual(entry?.envelope.recipients[0]?.notify, ['FAILURE']);

        const queued: { recipients: string[]; scanned?: boolean }[] = [];
        const enqueue = async (env: Omit<Envelope, 'id' | 'size'>) => {
          queued.push({ recipients: env.recipients.map((r) => r.address), scanned: env.scanned });
          return 'NEWQUEUEID000001';
        };
        const [first] = await releaseFromQuarantine(repo, enqueue, [id]);
        assert.equal(first?.queueId, 'NEWQUEUEID000001');
        assert.deepEqual(queued, [{ recipients: ['bob@example.com'], scanned: true }]);
        const [second] = await releaseFromQuarantine(repo, enqueue, [id]);
        assert.match(second?.error ?? '', /released/);
        assert.equal(queued.length, 1, 'released once');

        // a failed enqueue leaves the message in quarantine
        const [failed] = await releaseFromQuarantine(
          repo,
          async () => Promise.reject(new Error('disk full')),
          [old],
        );
        assert.match(failed?.error ?? '', /disk full/);
        assert.equal((await repo.get(old))?.status, 'quarantined');

        await new Promise((r) => setTimeout(r, 5));
        assert.equal(await repo.purgeExpired(), 1);
        assert.equal(await repo.get(old), undefined);
        assert.equal(
          await repo.setStatus(id, 'deleted'),
          false,
          'a released message cannot be deleted from quarantine',
        );
      } finally {
        await t.cleanup();
      }
    });
  });
}
