// Stopping and starting this node's services from the console, with real mail: stopped SMTP
// refuses connections; stopped delivery still accepts and queues mail but hands nothing on
// until it is started again.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { waitForSmtp, type TestGateway } from '../helpers/gateway.js';
import type { Sink } from '../helpers/sink.js';
import { startConsoleGateway, type ConsoleGateway } from '../helpers/console-gateway.js';
import { sendRaw } from '../helpers/send.js';
import type { ConsoleClient } from '../helpers/console.js';
import { waitUntil } from '../helpers/tmp.js';

const NODE = 'services-node';
let gw: TestGateway;
let sink: Sink;
let admin: ConsoleClient;

const service = (name: string, action: 'start' | 'stop') =>
  admin.post(`/system/nodes/${NODE}/services/${name}/${action}`);

const refused = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', () => resolve(true));
  });

const MESSAGE = Buffer.from('From: a@sender.test\r\nTo: b@example.com\r\nSubject: held\r\n\r\nwaiting\r\n');

let setup: ConsoleGateway;
before(async () => {
  setup = await startConsoleGateway('services test password', { env: { SEKIMORI_NODE_NAME: NODE } });
  ({ sink, gw, admin } = setup);
});
after(async () => {
  await setup?.stop();
});

test('stopped SMTP refuses connections; started again it answers', async () => {
  const stop = await service('smtp', 'stop');
  assert.equal(stop.status, 200, stop.text);
  assert.equal(stop.json.state, 'stopped');
  assert.equal(await refused(gw.port), true);
  const start = await service('smtp', 'start');
  assert.equal(start.json.state, 'running');
  await waitForSmtp(gw.host, gw.port);
});

test('stopped delivery queues mail and hands it on once started', async () => {
  assert.equal((await service('delivery', 'stop')).json.state, 'stopped');
  const sent = await sendRaw(gw, 'a@sender.test', ['b@example.com'], MESSAGE);
  assert.match(sent.response, /^250/);
  await waitUntil(async () => {
    const status = await gw.cli(['status', '--json']);
    if (status.code !== 0) return false;
    const queue = JSON.parse(status.stdout).queue as Record<string, number>;
    return Object.values(queue).reduce((a, b) => a + b, 0) === 1;
  }, 'the message is queued');
  assert.equal(sink.messages.length, 0);
  assert.equal((await service('delivery', 'start')).json.state, 'running');
  await sink.waitFor(1);
  const audit = await admin.get('/audit?action=system.service');
  assert.deepEqual(
    audit.json.entries.map((e: { action: string }) => e.action),
    ['system.service.start', 'system.service.stop', 'system.service.start', 'system.service.stop'],
  );
});
