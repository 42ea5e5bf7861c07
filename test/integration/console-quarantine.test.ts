// The quarantine through the console, end to end: EICAR sent over SMTP is quarantined; the
// console finds it, shows its reason, headers and a text preview, downloads the original
// bytes, releases it to the next hop (once only) and deletes another.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { type TestGateway } from '../helpers/gateway.js';
import type { Sink } from '../helpers/sink.js';
import { EICAR } from '../fixtures/eicar.js';
import { startConsoleGateway, type ConsoleGateway } from '../helpers/console-gateway.js';
import { sendRaw } from '../helpers/send.js';
import { waitUntil } from '../helpers/tmp.js';
import type { ConsoleClient, Json } from '../helpers/console.js';

function infected(subject: string): Buffer {
  return Buffer.from(
    [
      'From: Mallory <mallory@outside.test>',
      'To: bob@example.com',
      `Subject: ${subject}`,
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="B"',
      '',
      '--B',
      'Content-Type: text/html; charset=utf-8',
      '',
      '<p>Please open the <b>invoice</b></p><script>alert(1)</script>',
      '--B',
      'Content-Type: application/octet-stream; name="invoice.com"',
      'Content-Disposition: attachment; filename="invoice.com"',
      'Content-Transfer-Encoding: base64',
      '',
      Buffer.from(EICAR, 'latin1').toString('base64'),
      '--B--',
      '',
    ].join('\r\n'),
  );
}

describe('console quarantine', () => {
  let setup: ConsoleGateway;
  let sink: Sink;
  let gw: TestGateway;
  let admin: ConsoleClient;

  before(async () => {
    setup = await startConsoleGateway('quarantine-password-1', {
      settings: () => ({ smtp: { hostname: 'gw.example.test' } }),
    });
    ({ sink, gw, admin } = setup);
  });
  after(async () => {
    await setup?.stop();
  });

  /** Sends an infected message; resolves with its quarantine entry once it is there. */
  async function quarantine(subject: string): Promise<{ entry: Json; sent: Buffer }> {
    const sent = infected(subject);
    await sendRaw(gw, 'mallory@outside.test', ['bob@example.com'], sent);
    let entry: Json;
    await waitUntil(async () => {
      const r = await admin.get(`/quarantine?area=virus&subject=${encodeURIComponent(subject)}`);
      entry = r.json.messages?.[0];
      return entry !== undefined;
    }, `"${subject}" is quarantined`);
    return { entry, sent };
  }

  test('EICAR is quarantined, shown, downloaded as sent, released once to the next hop', async () => {
    const { entry, sent } = await quarantine('Invoice 1001');
    assert.equal(entry.area, 'virus');
    assert.equal(entry.ruleId, 'global-antivirus');
    assert.deepEqual(entry.recipients, ['bob@example.com']);

    const shown = await admin.get(`/quarantine/${entry.id}`);
    assert.equal(shown.status, 200, shown.text);
    assert.match(shown.json.reason, /Eicar/i);
    assert.equal(shown.json.envelope.sender, 'mallory@outside.test');
    assert.match(shown.json.headers, /^Subject: Invoice 1001$/m);
    assert.ok(!/\r?\n\r?\n/.test(shown.json.headers), 'headers only');
    assert.match(shown.json.preview.text, /Please open the invoice/);
    assert.ok(!/<script>|<p>/.test(shown.json.preview.text), 'the preview is text, never HTML');
    assert.ok(shown.json.facts.virus.some((v: Json) => /eicar/i.test(v.name)));
    assert.equal(shown.json.matched[0].ruleId, 'global-antivirus');

    const download = await admin.get(`/quarantine/${entry.id}/download`);
    assert.equal(download.status, 200);
    assert.match(download.headers['content-type'] ?? '', /^message\/rfc822/);
    assert.match(download.headers['content-disposition'] ?? '', new RegExp(`filename="${entry.id}\\.eml"`));
    // what was sent, after the trace headers the gateway put on top
    assert.ok(download.bytes.subarray(download.bytes.length - sent.length).equals(sent), 'original bytes');

    const released = await admin.post('/quarantine/actions', {
      action: 'release',
      ids: [entry.id, 'QNOSUCH'],
    });
    assert.equal(released.status, 200, released.text);
    const [ok, missing] = released.json.results;
    assert.equal(ok.id, entry.id);
    assert.ok(ok.queueId, JSON.stringify(ok));
    assert.equal(ok.error, undefined);
    assert.equal(missing.error, 'no such quarantined message');
    const [out] = await sink.waitFor((m) => m.some((x) => x.raw.toString().includes('Invoice 1001')));
    assert.deepEqual(out?.to, ['bob@example.com']);

    const again = await admin.post('/quarantine/actions', { action: 'release', ids: [entry.id] });
    assert.equal(again.json.results[0].error, 'already released');
    const listed = await admin.get('/quarantine?status=released');
    assert.ok(listed.json.messages.some((m: Json) => m.id === entry.id));
    assert.equal((await admin.get('/quarantine?status=bogus')).status, 400);
  });

  test('a quarantined message is deleted; unknown ids are answered one by one', async () => {
    const { entry } = await quarantine('Invoice 2002');
    const r = await admin.post('/quarantine/actions', { action: 'delete', ids: [entry.id] });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json.results, [{ id: entry.id }]);
    const again = await admin.post('/quarantine/actions', { action: 'delete', ids: [entry.id] });
    assert.equal(again.json.results[0].error, 'already deleted');
    const waiting = await admin.get('/quarantine?subject=Invoice%202002');
    assert.deepEqual(waiting.json.messages, []);
    const deleted = await admin.get('/quarantine?status=deleted&subject=invoice*2002');
    assert.equal(deleted.json.messages[0].id, entry.id);
    assert.equal((await admin.get('/quarantine/QNOSUCH')).status, 404);
    assert.equal((await admin.get('/quarantine/QNOSUCH/download')).status, 404);
    const empty = await admin.post('/quarantine/actions', { action: 'delete', ids: [] });
    assert.equal(empty.status, 400);
  });

  test('downloads, releases and deletes are in the audit log', async () => {
    const r = await admin.get('/audit?action=quarantine');
    assert.equal(r.status, 200, r.text);
    const actions = new Set((r.json.entries as Json[]).map((e) => e.action));
    for (const a of ['quarantine.download', 'quarantine.release', 'quarantine.delete'])
      assert.ok(actions.has(a), a);
  });

  test('the story of a quarantined message names the quarantine entry and the rule', async () => {
    const { entry } = await quarantine('Invoice 3003');
    let story: Json;
    await waitUntil(async () => {
      story = (await admin.get(`/tracking/${entry.queueId}`)).json;
      // tracking and the policy events are written in their own batches
      return story.status === 'quarantined' && story.rules.length > 0;
    }, 'tracking says quarantined, with the rule');
    assert.deepEqual(
      story.quarantine.map((q: Json) => [q.id, q.area]),
      [[entry.id, 'virus']],
    );
    assert.ok(story.facts.viruses.length > 0);
    assert.equal(story.rules[0].ruleId, 'global-antivirus');
    assert.ok(story.timeline.some((s: Json) => s.stage === 'quarantined'));
  });
});
