// rspamd and SpamAssassin (the real daemons from Debian) used by the gateway when configured:
// their opinion shows in the spam report and adds to the score; a message only they call spam
// is caught.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { startRspamd, rspamdInstalled, type TestRspamd } from '../helpers/rspamd.js';
import { startSpamd, spamdInstalled, type TestSpamd } from '../helpers/spamd.js';

const skip = rspamdInstalled() && spamdInstalled() ? false : 'rspamd or spamd not installed';
let rspamd: TestRspamd | undefined;
let spamd: TestSpamd | undefined;
let gw: TestGateway | undefined;

before(async () => {
  if (skip) return;
  [rspamd, spamd] = await Promise.all([startRspamd(), startSpamd()]);
  gw = await startGateway({
    settings: {
      domains: [{ name: 'example.com' }],
      spam: { external: { rspamd: { url: rspamd.url }, spamassassin: { host: spamd.address } } },
    },
  });
});
after(async () => {
  await gw?.stop();
  await rspamd?.close();
  await spamd?.close();
});

test('both engines are asked and their opinion counts', { skip }, async () => {
  const file = join(gw?.dataDir ?? '', 'gtube.eml');
  // GTUBE is known to both daemons; the built-in rule is switched off so only they can catch it.
  const gtube = 'XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X';
  await writeFile(
    file,
    `From: a@shop.test\r\nTo: user@example.com\r\nSubject: hi\r\nDate: Sat, 28 Nov 2026 10:00:00 +0000\r\nMessage-ID: <x@shop.test>\r\n\r\n${gtube}\r\n`,
  );
  const imported = await gw?.cli(['settings', 'export']);
  assert.equal(imported?.code, 0);
  const settingsFile = join(gw?.dataDir ?? '', 'settings-off.yaml');
  await writeFile(
    settingsFile,
    (imported?.stdout ?? '').replace(/ruleScores: \{\}/, 'ruleScores: { GTUBE: 0 }'),
  );
  assert.equal((await gw?.cli(['settings', 'import', settingsFile]))?.code, 0);
  const r = await gw?.cli(['scan', file, '--json']);
  assert.equal(r?.code, 0, r?.stderr);
  const out = JSON.parse(r?.stdout ?? '{}') as {
    facts: { spam: { isSpam: boolean; reasons: { rule: string; score: number }[] } };
  };
  const rules = out.facts.spam.reasons.map((x) => x.rule);
  assert.ok(rules.includes('ENGINE_RSPAMD'), rules.join(','));
  assert.ok(rules.includes('ENGINE_SPAMASSASSIN'), rules.join(','));
  assert.ok(
    !out.facts.spam.reasons.some((x) => x.rule === 'GTUBE' && x.score > 0),
    'the built-in GTUBE rule is off',
  );
  assert.equal(out.facts.spam.isSpam, true);
});
