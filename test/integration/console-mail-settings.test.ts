// Mail settings over the console API: read in the settings document's form, changed in part,
// validated with every bad key named, and applied at once by the running SMTP listener.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { type TestGateway } from '../helpers/gateway.js';
import type { Sink } from '../helpers/sink.js';
import { startConsoleGateway, type ConsoleGateway } from '../helpers/console-gateway.js';
import { sendRaw } from '../helpers/send.js';
import { RawSmtp } from '../helpers/smtp-client.js';
import type { ConsoleClient, Json } from '../helpers/console.js';
import { message } from '../fixtures/mime/builders.js';

let setup: ConsoleGateway;
let sink: Sink;
let gw: TestGateway;
let admin: ConsoleClient;

before(async () => {
  setup = await startConsoleGateway('mail settings password 1');
  ({ sink, gw, admin } = setup);
});
after(async () => {
  await setup?.stop();
});

/** The SIZE the listener announces in its EHLO reply. */
async function announcedSize(): Promise<number> {
  const { c } = await RawSmtp.open(gw.port);
  try {
    const ehlo = await c.cmd('EHLO client.test');
    const line = ehlo.lines.find((l) => l.startsWith('SIZE'));
    return Number(line?.split(' ')[1]);
  } finally {
    c.destroy();
  }
}

test('mail settings read back in the document form: sizes, durations, domains, trusted networks', async () => {
  const r = await admin.get('/mail/settings');
  assert.equal(r.status, 200, r.text);
  const s: Json = r.json;
  assert.equal(s.smtp.maxMessageSize, '20MB');
  assert.equal(s.smtp.idleTimeout, '5m');
  assert.deepEqual(s.domains, [
    { name: 'example.com', nextHops: [`127.0.0.1:${sink.port}`], recipients: [] },
  ]);
  assert.deepEqual(s.trustedNetworks, ['127.0.0.1/32', '::1/128']);
  assert.equal(s.delivery.default, 'mx');
  assert.deepEqual(s.dns.resolvers, ['127.0.0.1:9']);
  assert.equal(typeof s.version, 'number');
  assert.equal(Object.keys(s).sort().join(), 'delivery,dns,domains,smtp,trustedNetworks,version');
});

test('a smaller maxMessageSize applies at once: SIZE changes and a bigger message is refused', async () => {
  assert.equal(await announcedSize(), 20 * 1024 * 1024);
  const before = (await admin.get('/mail/settings')).json;
  const r = await admin.put('/mail/settings', { smtp: { maxMessageSize: '10KB' } });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.version, before.version + 1);
  assert.deepEqual(r.json.changed, ['smtp']);
  assert.equal(r.json.smtp.maxMessageSize, '10KB');
  assert.equal(r.json.smtp.idleTimeout, '5m', 'other smtp keys keep their values');
  assert.equal(await announcedSize(), 10 * 1024);

  const big = message([], {
    headers: ['Content-Type: text/plain'],
    body: `${'x'.repeat(76)}\r\n`.repeat(300),
  });
  await assert.rejects(sendRaw(gw, 'a@sender.test', ['bob@example.com'], big), /552|size/i);
  const small = message([], { headers: ['Content-Type: text/plain'], body: 'small\r\n' });
  await sendRaw(gw, 'a@sender.test', ['bob@example.com'], small);
  await sink.waitFor(1);

  const audit = (await admin.get('/audit?action=mail.settings.update')).json.entries as Json[];
  assert.equal(audit.length, 1);
  await admin.put('/mail/settings', { smtp: { maxMessageSize: '20MB' } });
  assert.equal(await announcedSize(), 20 * 1024 * 1024);
});

test('a new accepted domain is taken at once; bad values are refused with each key named', async () => {
  const domains = [
    { name: 'example.com', nextHops: [`127.0.0.1:${sink.port}`] },
    { name: 'example.org', nextHops: [`127.0.0.1:${sink.port}`] },
  ];
  const ok = await admin.put('/mail/settings', { domains });
  assert.equal(ok.status, 200, ok.text);
  await sendRaw(
    gw,
    'a@sender.test',
    ['eve@example.org'],
    message([], { headers: ['Content-Type: text/plain'], body: 'to the new domain\r\n' }),
  );
  await sink.waitFor((n) => n.some((m) => m.to.includes('eve@example.org')));

  const version = (await admin.get('/mail/settings')).json.version;
  const bad = await admin.put('/mail/settings', {
    smtp: { maxMessageSize: 'huge', banner: 'fine' },
    trustedNetworks: ['10.0.0.0/33'],
    delivery: { tls: 'sometimes' },
  });
  assert.equal(bad.status, 400);
  const problems = (bad.json.details as string[]).join('\n');
  assert.match(problems, /smtp\.maxMessageSize: not a size/);
  assert.match(problems, /trustedNetworks\[0\]/);
  assert.match(problems, /delivery\.tls/);
  assert.equal((await admin.get('/mail/settings')).json.version, version, 'nothing saved');

  const unknown = await admin.put('/mail/settings', { smtp: { maxMesageSize: '1MB' } });
  assert.equal(unknown.status, 400);
  assert.match((unknown.json.details as string[]).join(), /smtp\.maxMesageSize: unknown setting/);
  const other = await admin.put('/mail/settings', { spam: {} });
  assert.equal(other.status, 400, 'only the mail keys');
});
