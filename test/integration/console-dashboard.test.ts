// The dashboard counts real mail sent through the running gateway: inbound and outbound,
// delivered, a virus quarantined, a blocked sender; per node and for the group, over HTTPS.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import nodemailer from 'nodemailer';
import { type TestGateway } from '../helpers/gateway.js';
import type { Sink } from '../helpers/sink.js';
import { EICAR } from '../fixtures/eicar.js';
import { startConsoleGateway, type ConsoleGateway } from '../helpers/console-gateway.js';
import { sendRaw } from '../helpers/send.js';
import { waitUntil } from '../helpers/tmp.js';
import type { ConsoleClient, Json } from '../helpers/console.js';
import { message } from '../fixtures/mime/builders.js';

const NODE = 'dash-node';

let setup: ConsoleGateway;
let sink: Sink;
let gw: TestGateway;
let admin: ConsoleClient;

before(async () => {
  setup = await startConsoleGateway('dashboard test password 1', {
    env: { SEKIMORI_NODE_NAME: NODE },
    settings: (sinkPort) => ({
      // only 127.0.0.1 relays; 127.0.0.2 is a client from outside
      trustedNetworks: ['127.0.0.1/32'],
      delivery: { default: `127.0.0.1:${sinkPort}`, minRetryInterval: '1h' },
      senderFilter: { blocked: ['spammer@bad.test'] },
    }),
  });
  ({ sink, gw, admin } = setup);
});
after(async () => {
  await setup?.stop();
});

const text = (body: string) => message([], { headers: ['Content-Type: text/plain'], body: `${body}\r\n` });

async function dashboard(query = ''): Promise<Json> {
  const r = await admin.get(`/dashboard${query}`);
  assert.equal(r.status, 200, r.text);
  return r.json;
}

test('mail through the gateway shows on the dashboard: in/out, delivered, virus quarantined, blocked sender', async () => {
  await sendRaw(gw, 'a@sender.test', ['bob@example.com'], text('inbound one'));
  await sendRaw(gw, 'a@sender.test', ['carol@example.com'], text('inbound two'));
  await sendRaw(gw, 'alice@example.com', ['dave@remote.test'], text('outbound'));
  await sendRaw(gw, 'a@sender.test', ['bob@example.com'], text(EICAR));
  // a blocked sender from an outside address is refused at MAIL FROM
  const outside = nodemailer.createTransport({
    host: gw.host,
    port: gw.port,
    ignoreTLS: true,
    localAddress: '127.0.0.2',
  });
  await assert.rejects(
    outside.sendMail({ envelope: { from: 'spammer@bad.test', to: ['bob@example.com'] }, raw: text('spam') }),
    /blocked list/,
  );
  outside.close();
  await sink.waitFor(3);

  let d: Json;
  await waitUntil(async () => {
    d = await dashboard();
    return d.totals.delivered === 3 && d.totals.quarantined === 1 && d.totals.blockedSender === 1;
  }, 'the dashboard counts the mail');
  assert.equal(d.range, '1h');
  assert.equal(d.node, 'all');
  assert.equal(d.totals.received, 4);
  assert.equal(d.totals.inbound, 3);
  assert.equal(d.totals.outbound, 1);
  assert.equal(d.totals.virus, 1);
  assert.equal(d.totals.spam, 0);
  assert.equal(d.series.length, 60, 'one point per minute');
  const sum = (d.series as Json[]).reduce((n, p) => n + (p.received as number), 0);
  assert.equal(sum, 4, 'the series adds up to the totals');
  assert.ok(d.throughput > 0, 'messages per minute over the last 5 minutes');
  assert.deepEqual(Object.keys(d.queue).sort(), ['active', 'deferred', 'hold', 'incoming']);
  assert.ok((d.nodes as string[]).includes(NODE));

  const node = await dashboard(`?range=24h&node=${NODE}`);
  assert.equal(node.series.length, 96, '15-minute buckets over a day');
  assert.equal(node.totals.received, 4);
  const week = await dashboard('?range=7d');
  assert.equal(week.series.length, 168, 'hourly buckets over a week');
  assert.equal(week.totals.virus, 1);
});

test('dashboard: an unknown node is a 404 and an unknown range a 400 naming it', async () => {
  const unknown = await admin.get('/dashboard?node=nowhere');
  assert.equal(unknown.status, 404);
  assert.match(unknown.json.error, /nowhere/);
  const range = await admin.get('/dashboard?range=2d');
  assert.equal(range.status, 400);
  assert.match(JSON.stringify(range.json.details), /range/);
});
