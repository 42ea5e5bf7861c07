// DMARC results are kept for a month: the hourly purge removes older days and keeps the rest,
// on SQLite and PostgreSQL.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { STORE_KINDS } from '../helpers/stores.js';
import {
  DMARC_RETENTION_DAYS,
  dmarcResultRows,
  DmarcResultLog,
  purgeDmarcResults,
} from '../../src/auth/dmarc-reports.js';
import type { AuthResults } from '../../src/auth/types.js';
import { silentLogger } from '../../src/util/log.js';

const DAY = 86_400_000;

const auth: AuthResults = {
  header: '',
  authservId: 'gw.example.com',
  dkim: [],
  suspicious: [],
  forgedAuthResults: 0,
  spf: { result: 'pass', domain: 'partner.test' } as AuthResults['spf'],
  dmarc: {
    result: 'pass',
    domain: 'partner.test',
    record: 'v=DMARC1; p=reject; rua=mailto:dmarc@partner.test',
    p: 'reject',
    pct: 100,
    sampled: true,
    alignment: {
      spf: { mode: 'relaxed', aligned: true, domain: 'partner.test' },
      dkim: { mode: 'relaxed', aligned: false },
    },
    action: 'none',
    actionReason: 'pass',
  },
};

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

for (const kind of STORE_KINDS) {
  describe(`DMARC results on ${kind.name}`, () => {
    test(`days older than ${DMARC_RETENTION_DAYS} are purged, newer ones kept`, async () => {
      const t = await kind.open();
      try {
        const now = Date.now();
        const log = new DmarcResultLog(t.store.db, silentLogger(), 60_000);
        log.record(auth, '192.0.2.1', now - (DMARC_RETENTION_DAYS + 5) * DAY);
        log.record(auth, '192.0.2.1', now - 2 * DAY);
        log.record(auth, '192.0.2.1', now);
        await log.flush();
        const all = async () =>
          (await dmarcResultRows(t.store.db, day(now - 60 * DAY), day(now))).map((r) => r.day).sort();
        assert.equal((await all()).length, 3);

        assert.equal(await purgeDmarcResults(t.store.db, now - DMARC_RETENTION_DAYS * DAY), 1);
        assert.deepEqual(await all(), [day(now - 2 * DAY), day(now)]);
        await log.close();
      } finally {
        await t.cleanup();
      }
    });
  });
}
