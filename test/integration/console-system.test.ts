// The system page over HTTPS: nodes and components as they really are (clamd's version, Redis
// up, rspamd down), and services that really stop and start: SMTP refuses connections, delivery
// leaves mail in the queue; in a group, one node's console stops another node's SMTP.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { startSink, type Sink } from '../helpers/sink.js';
import { startClamd, type TestClamd } from '../helpers/clamd.js';
import { sendRaw } from '../helpers/send.js';
import { freePort } from '../helpers/ports.js';
import { waitUntil } from '../helpers/tmp.js';
import { createPostgresDatabase } from '../helpers/stores.js';
import { firstLogon, logon, type ConsoleClient, type Json } from '../helpers/console.js';
import { message } from '../fixtures/mime/builders.js';

const PASSWORD = 'system test password 1';

let sink: Sink;
let clamd: TestClamd;
let gw: TestGateway;
let admin: ConsoleClient;
let rspamdPort: number;

before(async () => {
  [sink, clamd, rspamdPort] = await Promise.all([startSink(), startClamd(), freePort()]);
  gw = await startGateway({
    env: { SEKIMORI_NODE_NAME: 'sys-a' },
    settings: {
      domains: [{ name: 'example.com', nextHops: [`127.0.0.1:${sink.port}`] }],
      antivirus: { clamd: clamd.unixAddress },
      spam: { external: { rspamd: { url: `http://127.0.0.1:${rspamdPort}` } } },
      senderFilter: {
        rateStore: 'redis',
        redisUrl: 'redis://127.0.0.1:6379',
        redisKeyPrefix: `sekimori-test-${process.pid}:`,
      },
      delivery: { minRetryInterval: '1h' },
    },
  });
  admin = await firstLogon(gw, PASSWORD);
});
after(async () => {
  await gw?.stop();
  await sink?.close();
  await clamd?.close();
});

/** True when the SMTP port greets; false when the connection is refused. */
const smtpAnswers = (g: TestGateway) =>
  new Promise<boolean>((resolve) => {
    const s = connect({ host: g.host, port: g.port });
    s.once('data', (d) => {
      s.destroy();
      resolve(d.toString().startsWith('220'));
    });
    s.once('error', () => resolve(false));
  });

const text = (body: string) => message([], { headers: ['Content-Type: text/plain'], body: `${body}\r\n` });

test('system status: this node, its services, the store, clamd with its version, Redis up, rspamd down', async () => {
  const r = await admin.get('/system/status');
  assert.equal(r.status, 200, r.text);
  const s: Json = r.json;
  assert.equal(s.node, 'sys-a');
  const self = (s.nodes as Json[]).find((n) => n.node === 'sys-a');
  assert.equal(self.connected, true);
  assert.equal(self.self, true);
  assert.match(self.version, /^\d+\.\d+\.\d+/);
  assert.deepEqual(self.services, { smtp: 'running', delivery: 'running', console: 'running' });
  assert.ok(self.uptimeMs >= 0);
  assert.equal(s.components.store.kind, 'sqlite');
  assert.match(s.components.store.version, /^3\.\d+/);
  const [builtin, clamdStatus] = s.components.virus as Json[];
  assert.equal(builtin.name, 'builtin');
  assert.equal(clamdStatus.configured, true);
  assert.equal(clamdStatus.reachable, true);
  assert.match(clamdStatus.version, /^ClamAV \d+\.\d+/, 'the engine and signature version from VERSION');
  const rspamd = (s.components.spam as Json[]).find((c) => c.name === 'rspamd');
  assert.deepEqual([rspamd.configured, rspamd.reachable], [true, false]);
  const spamd = (s.components.spam as Json[]).find((c) => c.name === 'spamassassin');
  assert.equal(spamd.configured, false);
  assert.deepEqual([s.components.redis.configured, s.components.redis.reachable], [true, true]);
  // the test gateway's resolver (a port nothing answers on, so no test reaches the real DNS)
  assert.deepEqual(s.components.dns, { resolvers: ['127.0.0.1:9'], system: false });
  assert.deepEqual(s.warnings, [], 'clamd is configured: no signature warning');

  await clamd.stop();
  try {
    const down = (await admin.get('/system/status')).json;
    const c = (down.components.virus as Json[])[1];
    assert.equal(c.reachable, false);
    assert.ok(c.error);
  } finally {
    await clamd.start();
  }
});

test('stopping SMTP from the system page refuses connections; starting it accepts them again', async () => {
  const stop = await admin.post('/system/nodes/sys-a/services/smtp/stop');
  assert.equal(stop.status, 200, stop.text);
  assert.deepEqual(stop.json, { node: 'sys-a', service: 'smtp', state: 'stopped', pending: false });
  assert.equal(await smtpAnswers(gw), false);
  const status = (await admin.get('/system/status')).json;
  assert.equal((status.nodes as Json[])[0].services.smtp, 'stopped');
  const start = await admin.post('/system/nodes/sys-a/services/smtp/start');
  assert.equal(start.json.state, 'running');
  assert.equal(await smtpAnswers(gw), true);
  const audit = await admin.get('/audit?action=system.service');
  const actions = (audit.json.entries as Json[]).map((e) => e.action);
  assert.ok(
    actions.includes('system.service.stop') && actions.includes('system.service.start'),
    actions.join(),
  );
});

test('pausing delivery keeps mail in the queue; resuming delivers it', async () => {
  assert.equal((await admin.post('/system/nodes/sys-a/services/delivery/stop')).status, 200);
  const before = sink.messages.length;
  await sendRaw(gw, 'a@sender.test', ['bob@example.com'], text('while delivery is paused'));
  await waitUntil(async () => {
    const d = (await admin.get('/dashboard?node=sys-a')).json;
    return Object.values(d.queue as Record<string, number>).reduce((a, b) => a + b, 0) >= 1;
  }, 'the message waits in the queue');
  assert.equal(sink.messages.length, before, 'nothing delivered while paused');
  assert.equal((await admin.post('/system/nodes/sys-a/services/delivery/start')).status, 200);
  await sink.waitFor(before + 1);
});

test('bad service requests: unknown service is a 400, unknown node a 404', async () => {
  const bad = await admin.post('/system/nodes/sys-a/services/console/stop');
  assert.equal(bad.status, 400);
  assert.match(JSON.stringify(bad.json.details), /service/);
  const unknown = await admin.post('/system/nodes/nowhere/services/smtp/stop');
  assert.equal(unknown.status, 404);
});

test('a group on PostgreSQL: each node sees the other; one console stops the other node’s SMTP', async () => {
  const db = await createPostgresDatabase();
  const a = await startGateway({ databaseUrl: db.url, env: { SEKIMORI_NODE_NAME: 'grp-a' } });
  const b = await startGateway({ databaseUrl: db.url, env: { SEKIMORI_NODE_NAME: 'grp-b' } });
  try {
    const consoleA = await firstLogon(a, PASSWORD);
    await waitUntil(async () => {
      const nodes = (await consoleA.get('/system/status')).json.nodes as Json[];
      return nodes.some((n) => n.node === 'grp-b' && n.connected);
    }, 'node A sees node B');
    const stop = await consoleA.post('/system/nodes/grp-b/services/smtp/stop');
    assert.deepEqual(stop.json, { node: 'grp-b', service: 'smtp', pending: true });
    // B carries it out on its next heartbeat (every 10 s)
    await waitUntil(async () => !(await smtpAnswers(b)), 'node B stops listening', 30_000);
    assert.equal(await smtpAnswers(a), true, 'node A still takes mail');
    // B's own console (same accounts: the store is shared) sees itself stopped
    const consoleB = await logon(b, 'admin', PASSWORD);
    await waitUntil(
      async () => {
        const nodes = (await consoleA.get('/system/status')).json.nodes as Json[];
        return nodes.find((n) => n.node === 'grp-b')?.services.smtp === 'stopped';
      },
      'node A shows B stopped',
      30_000,
    );
    assert.equal((await consoleB.post('/system/nodes/grp-b/services/smtp/start')).json.state, 'running');
    assert.equal(await smtpAnswers(b), true);
  } finally {
    await Promise.all([a.stop(), b.stop()]);
    await db.drop();
  }
});
