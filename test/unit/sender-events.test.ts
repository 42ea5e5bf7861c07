import { test } from 'node:test';
import assert from 'node:assert/strict';
import { querySenderEvents, StoreSenderEventLog } from '../../src/sender/events.js';
import type { Block } from '../../src/sender/rate-store.js';
import { silentLogger } from '../../src/util/log.js';
import { STORE_KINDS } from '../helpers/stores.js';

const block: Block = {
  scope: 'ip',
  subject: '2001:db8::7',
  reason: 'dha',
  code: 450,
  refuseAt: 'connect',
  node: 'node-a',
  counts: { recipients: 12, unknownRecipients: 9 },
  since: 1_700_000_000_000,
  until: 1_700_003_600_000,
};

for (const kind of STORE_KINDS) {
  test(`sender filtering log on ${kind.name}: migrated with the store, written and queried`, async () => {
    const t = await kind.open();
    try {
      const log = new StoreSenderEventLog(t.store, silentLogger());
      log.record({ at: 1_700_000_000_000, node: 'node-a', action: 'block', block });
      log.record({ at: 1_700_000_100_000, node: 'node-b', action: 'unblock', block, by: 'cli' });
      const { until: _until, ...permanent } = block;
      log.record({
        at: 1_700_000_200_000,
        node: 'node-a',
        action: 'block',
        block: { ...permanent, subject: 'x@y.test', scope: 'sender', reason: 'manual', code: 550 },
      });
      await log.flush();
      const all = await querySenderEvents(t.store);
      assert.deepEqual(
        all.map((e) => [e.action, e.subject, e.by, e.until ?? 'permanent']),
        [
          ['block', 'x@y.test', 'node-a', 'permanent'],
          ['unblock', '2001:db8::7', 'cli', 1_700_003_600_000],
          ['block', '2001:db8::7', 'node-a', 1_700_003_600_000],
        ],
      );
      assert.deepEqual(all[2], {
        at: 1_700_000_000_000,
        node: 'node-a',
        action: 'block',
        scope: 'ip',
        subject: '2001:db8::7',
        reason: 'dha',
        code: 450,
        since: 1_700_000_000_000,
        until: 1_700_003_600_000,
        counts: { recipients: 12, unknownRecipients: 9 },
        by: 'node-a',
      });
      assert.equal((await querySenderEvents(t.store, { subject: '2001:DB8::7' })).length, 2);
      assert.equal((await querySenderEvents(t.store, { since: 1_700_000_150_000 })).length, 1);
      assert.equal((await querySenderEvents(t.store, { limit: 1 })).length, 1);
    } finally {
      await t.cleanup();
    }
  });
}
