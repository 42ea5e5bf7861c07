// The queue through the console, end to end: with the next hop down a message is deferred and
// listed with its last error; it is held, released (tried again, still down), and once the
// next hop is up "deliver now" sends it at once; another is deleted. Bulk actions need ids,
// a filter or all: true, and every named message gets its own answer.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { startSink, type Sink } from '../helpers/sink.js';
import { sendRaw } from '../helpers/send.js';
import { freePort } from '../helpers/ports.js';
import { waitUntil } from '../helpers/tmp.js';
import { firstLogon, type ConsoleClient, type Json } from '../helpers/console.js';

function plain(subject: string): Buffer {
  return Buffer.from(
    ['From: alice@outside.test', 'To: bob@example.com', `Subject: ${subject}`, '', 'hello', ''].join('\r\n'),
  );
}

describe('console queue', () => {
  let nextHopPort: number;
  let sink: Sink | undefined;
  let gw: TestGateway;
  let admin: ConsoleClient;

  before(async () => {
    nextHopPort = await freePort();
    gw = await startGateway({
      settings: {
        smtp: { hostname: 'gw.example.test' },
        domains: [{ name: 'example.com', nextHops: [`127.0.0.1:${nextHopPort}`] }],
        // no retry on its own during the test: only the administrator's actions move the message
        delivery: { minRetryInterval: '1h', maxRetryInterval: '2h', connectTimeout: '2s' },
      },
    });
    admin = await firstLogon(gw, 'queue-password-1');
  });
  after(async () => {
    await gw?.stop();
    await sink?.close();
  });

  async function entry(id: string): Promise<Json> {
    return (await admin.get(`/queue/${id}`)).json;
  }

  async function waitForQueue(id: string, queue: string, attempts: number): Promise<Json> {
    let e: Json;
    await waitUntil(async () => {
      e = await entry(id);
      return e.queue === queue && e.attempts >= attempts;
    }, `${id} is in ${queue} after ${attempts} attempt(s)`);
    return e;
  }

  test('deferred, held, released, then delivered at once when the next hop is back', async () => {
    const sent = await sendRaw(gw, 'alice@outside.test', ['bob@example.com'], plain('stuck 1'));
    const id = sent.queueId as string;
    const deferred = await waitForQueue(id, 'deferred', 1);
    assert.match(deferred.lastError, /ECONNREFUSED|connect/i);
    assert.match(deferred.headers, /^Subject: stuck 1$/m);
    assert.deepEqual(deferred.pendingRecipients, ['bob@example.com']);

    const list = await admin.get('/queue?queue=deferred&sender=alice@*');
    assert.equal(list.status, 200, list.text);
    assert.ok(list.json.messages.some((m: Json) => m.id === id));
    assert.ok(list.json.counts.deferred >= 1);
    assert.equal((await admin.get('/queue?queue=nowhere')).status, 400);
    assert.equal((await admin.get('/queue?olderThan=soon')).status, 400);

    const held = await admin.post('/queue/actions', { action: 'hold', ids: [id, 'NOSUCHID'] });
    assert.equal(held.status, 200, held.text);
    assert.deepEqual(held.json.results, [
      { id, ok: true },
      { id: 'NOSUCHID', ok: false, error: 'not in the queue' },
    ]);
    assert.equal((await entry(id)).queue, 'hold');
    const holdAgain = await admin.post('/queue/actions', { action: 'hold', ids: [id] });
    assert.deepEqual(holdAgain.json.results, [{ id, ok: false, error: 'already on hold' }]);

    // released: tried again at once, and deferred again while the next hop is still down
    const released = await admin.post('/queue/actions', { action: 'release', ids: [id] });
    assert.deepEqual(released.json.results, [{ id, ok: true }]);
    await waitForQueue(id, 'deferred', 2);

    sink = await startSink({ port: nextHopPort });
    const now = await admin.post('/queue/actions', {
      action: 'deliver-now',
      filter: { sender: 'alice@outside.test' },
    });
    assert.equal(now.status, 200, now.text);
    assert.ok(now.json.results.some((r: Json) => r.id === id && r.ok));
    const [m] = await sink.waitFor(1);
    assert.match(m?.raw.toString() ?? '', /Subject: stuck 1/);
    await waitUntil(
      async () => (await admin.get(`/queue/${id}`)).status === 404,
      'the message left the queue',
    );

    // the attempt history stays in tracking
    const story = (await admin.get(`/tracking/${id}`)).json;
    assert.ok(story.deliveries.filter((d: Json) => d.result === 'deferred').length >= 2);
  });

  test('a held message is deleted; a bulk action needs ids, a filter or all', async () => {
    await sink?.close(); // the next hop is down again
    sink = undefined;
    const sent = await sendRaw(gw, 'carol@outside.test', ['bob@example.com'], plain('to delete'));
    const id = sent.queueId as string;
    await waitForQueue(id, 'deferred', 1);
    const held = await admin.post('/queue/actions', {
      action: 'hold',
      filter: { sender: 'carol@*', queue: 'deferred' },
    });
    assert.deepEqual(held.json.results, [{ id, ok: true }]);
    const del = await admin.post('/queue/actions', { action: 'delete', ids: [id] });
    assert.deepEqual(del.json.results, [{ id, ok: true }]);
    assert.equal((await admin.get(`/queue/${id}`)).status, 404);
    await waitUntil(
      async () => (await admin.get(`/tracking/${id}`)).json.status === 'deleted',
      'tracking says deleted',
    );

    const none = await admin.post('/queue/actions', { action: 'release' });
    assert.equal(none.status, 400);
    assert.match(none.json.error, /give ids, a filter, or all: true/);
    const all = await admin.post('/queue/actions', { action: 'deliver-now', all: true });
    assert.equal(all.status, 200, all.text);
    const badAction = await admin.post('/queue/actions', { action: 'explode', all: true });
    assert.equal(badAction.status, 400);

    const audit = await admin.get('/audit?action=queue');
    const actions = new Set((audit.json.entries as Json[]).map((e) => e.action));
    for (const a of ['queue.hold', 'queue.release', 'queue.deliver-now', 'queue.delete'])
      assert.ok(actions.has(a), a);
  });
});
