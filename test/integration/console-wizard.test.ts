// The setup wizard over the console API: every step shows its values, takes new ones (saved as
// a settings version and applied at once), refuses bad ones with the key named, can be skipped,
// never returns a secret, and can be run again.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { startSink, type Sink } from '../helpers/sink.js';
import { sendRaw } from '../helpers/send.js';
import { firstLogon, type ConsoleClient, type Json } from '../helpers/console.js';
import { message } from '../fixtures/mime/builders.js';

let sink: Sink;
let gw: TestGateway;
let admin: ConsoleClient;

before(async () => {
  sink = await startSink();
  gw = await startGateway();
  admin = await firstLogon(gw, 'wizard test password 1');
});
after(async () => {
  await gw?.stop();
  await sink?.close();
});

const step = (w: Json, name: string): Json => (w.steps as Json[]).find((s) => s.step === name);

async function wizard(): Promise<Json> {
  const r = await admin.get('/wizard');
  assert.equal(r.status, 200, r.text);
  return r.json;
}

test('a fresh node: every step with its current values, none done', async () => {
  const w = await wizard();
  assert.deepEqual(
    (w.steps as Json[]).map((s) => s.step),
    ['system', 'deployment', 'routing', 'notifications', 'updates', 'ldap', 'internal', 'review'],
  );
  assert.ok((w.steps as Json[]).every((s) => !s.done && !s.skipped));
  assert.equal(w.completedAt, undefined);
  assert.deepEqual(step(w, 'system').values, {
    hostname: 'localhost',
    timezone: 'UTC',
    dnsResolvers: ['127.0.0.1:9'],
  });
  assert.deepEqual(step(w, 'deployment').values, { role: 'standalone', parent: null });
  assert.deepEqual(step(w, 'ldap').values.bindPassword, { set: false });
});

test('steps round-trip, routing applies at once, secrets never come back', async () => {
  const system = await admin.put('/wizard/system', {
    hostname: 'gw1.example.com',
    timezone: 'Asia/Tokyo',
    dnsResolvers: ['127.0.0.1:9'],
  });
  assert.equal(system.status, 200, system.text);
  assert.deepEqual(step(system.json, 'system'), {
    step: 'system',
    done: true,
    skipped: false,
    values: { hostname: 'gw1.example.com', timezone: 'Asia/Tokyo', dnsResolvers: ['127.0.0.1:9'] },
  });

  const routing = await admin.put('/wizard/routing', {
    domains: [{ name: 'example.com', nextHops: [`127.0.0.1:${sink.port}`] }],
    delivery: { maxQueueLifetime: '2d' },
  });
  assert.equal(routing.status, 200, routing.text);
  assert.equal(step(routing.json, 'routing').values.delivery.maxQueueLifetime, '2d');
  // the gateway takes mail for the new domain right away
  await sendRaw(
    gw,
    'a@sender.test',
    ['bob@example.com'],
    message([], { headers: ['Content-Type: text/plain'], body: 'hi\r\n' }),
  );
  await sink.waitFor(1);

  const deployment = await admin.put('/wizard/deployment', {
    role: 'child',
    parent: { address: 'parent.example.com:8445', credentials: 'parent-secret-1' },
  });
  assert.equal(deployment.status, 200, deployment.text);
  assert.deepEqual(step(deployment.json, 'deployment').values, {
    role: 'child',
    parent: { address: 'parent.example.com:8445', credentials: { set: true } },
  });
  assert.doesNotMatch(deployment.text, /parent-secret-1/);

  const ldap = await admin.put('/wizard/ldap', {
    servers: ['ldaps://dc1.example.com:636'],
    baseDn: 'dc=example,dc=com',
    bindDn: 'cn=sekimori,dc=example,dc=com',
    bindPassword: 'ldap-secret-1',
  });
  assert.equal(ldap.status, 200, ldap.text);
  assert.deepEqual(step(ldap.json, 'ldap').values.bindPassword, { set: true });
  assert.doesNotMatch(ldap.text, /ldap-secret-1/);
  // sent back as shown ({ set: true }): the stored password stays
  const again = await admin.put('/wizard/ldap', {
    ...step(ldap.json, 'ldap').values,
    baseDn: 'dc=example,dc=org',
  });
  assert.equal(again.status, 200, again.text);
  assert.deepEqual(step(again.json, 'ldap').values.bindPassword, { set: true });
  const exported = await admin.get('/settings/export');
  assert.match(exported.text, /bindPassword: ldap-secret-1/, 'the export keeps secrets, as the CLI does');
  assert.doesNotMatch((await admin.get('/wizard')).text, /secret-1/);

  const notifications = await admin.put('/wizard/notifications', {
    smtpServer: 'mail.example.com:25',
    from: 'sekimori@example.com',
    adminAddresses: ['admin@example.com'],
    snmpTrapReceivers: [{ address: '192.0.2.10:162', community: 'private' }],
  });
  assert.equal(notifications.status, 200, notifications.text);
  const updates = await admin.put('/wizard/updates', { source: 'https://updates.example.com/sekimori' });
  assert.equal(updates.status, 200, updates.text);
  const internal = await admin.put('/wizard/internal', {
    domains: ['example.net'],
    ldapGroups: ['cn=staff'],
  });
  assert.equal(internal.status, 200, internal.text);

  const audit = (await admin.get('/audit?action=wizard')).json.entries as Json[];
  const actions = audit.map((e) => e.action);
  for (const a of ['wizard.system', 'wizard.routing', 'wizard.deployment', 'wizard.ldap'])
    assert.ok(actions.includes(a), a);
  assert.doesNotMatch(JSON.stringify(audit), /secret-1/, 'the audit log holds no secret');
});

test('bad values are refused with the key named, and nothing is saved', async () => {
  const before = (await wizard()).version;
  const tz = await admin.put('/wizard/system', { timezone: 'Mars/Olympus' });
  assert.equal(tz.status, 400);
  assert.match((tz.json.details as string[]).join(), /system\.timezone: not an IANA time zone/);
  const child = await admin.put('/wizard/deployment', { role: 'child', parent: null });
  assert.equal(child.status, 400);
  assert.match((child.json.details as string[]).join(), /deployment\.parent/);
  const notices = await admin.put('/wizard/notifications', {
    adminAddresses: ['not-an-address'],
    snmpTrapReceivers: [{ address: 'bad host:x' }],
  });
  assert.equal(notices.status, 400);
  const problems = (notices.json.details as string[]).join('\n');
  assert.match(problems, /notifications\.adminAddresses\[0\]/);
  assert.match(problems, /notifications\.snmpTrapReceivers\[0\]\.address/);
  const ldap = await admin.put('/wizard/ldap', { servers: ['http://dc1.example.com'] });
  assert.match((ldap.json.details as string[]).join(), /ldap\.servers\[0\]: not a ldap or ldaps URL/);
  const unknown = await admin.put('/wizard/updates', { sorce: 'https://x.example' });
  assert.equal(unknown.status, 400);
  assert.match((unknown.json.details as string[]).join(), /updates\.sorce: unknown setting/);
  assert.equal((await wizard()).version, before);
});

test('skip, complete, and run again', async () => {
  const skipped = await admin.post('/wizard/updates/skip');
  assert.equal(skipped.status, 200, skipped.text);
  assert.deepEqual(
    [step(skipped.json, 'updates').done, step(skipped.json, 'updates').skipped],
    [false, true],
  );
  const done = await admin.post('/wizard/complete');
  assert.equal(done.status, 200);
  const first = done.json.completedAt as number;
  assert.ok(first > 0);
  assert.equal(step(done.json, 'review').done, true);
  assert.equal(step(done.json, 'review').values.system.timezone, 'Asia/Tokyo');
  // run again: a step applied after a skip is done, and completing updates the time
  const updates = await admin.put('/wizard/updates', { proxy: 'http://proxy.example.com:3128' });
  assert.deepEqual(
    [step(updates.json, 'updates').done, step(updates.json, 'updates').skipped],
    [true, false],
  );
  const second = await admin.post('/wizard/complete');
  assert.ok((second.json.completedAt as number) >= first);
  const w = await wizard();
  assert.equal(step(w, 'system').values.timezone, 'Asia/Tokyo');
});
