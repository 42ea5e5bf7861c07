// Settings export and import over the console API: the same YAML as the CLI's, a round trip
// that changes nothing, a dry run, every problem of a bad file listed, and an import that the
// running gateway applies at once.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { parse, stringify } from 'yaml';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { firstLogon, type ConsoleClient, type Json } from '../helpers/console.js';
import { RawSmtp } from '../helpers/smtp-client.js';

let gw: TestGateway;
let admin: ConsoleClient;

before(async () => {
  gw = await startGateway({
    settings: {
      domains: [{ name: 'example.com', nextHops: ['127.0.0.1:2525'] }],
      spam: { external: { rspamd: { url: 'http://127.0.0.1:11333', password: 'rspamd-secret-1' } } },
    },
  });
  admin = await firstLogon(gw, 'settings io password 1');
});
after(async () => {
  await gw?.stop();
});

async function exported(): Promise<{ version: number; text: string; filename: string }> {
  const r = await admin.get('/settings/export');
  assert.equal(r.status, 200, r.text);
  assert.match(String(r.headers['content-type']), /^application\/yaml/);
  const filename = /filename="([^"]+)"/.exec(String(r.headers['content-disposition']))?.[1] ?? '';
  const version = Number(/version (\d+)/.exec(r.text)?.[1]);
  return { version, text: r.text, filename };
}

test('export: the CLI’s YAML, named with the version, secrets as the CLI writes them', async () => {
  const e = await exported();
  assert.equal(e.filename, `sekimori-settings-v${e.version}.yaml`);
  const cli = await gw.cli(['settings', 'export']);
  assert.equal(cli.code, 0, cli.stderr);
  assert.equal(e.text, cli.stdout, 'the same YAML as `sekimori settings export`');
  const doc = parse(e.text) as Json;
  assert.equal(doc.domains[0].name, 'example.com');
  assert.equal(doc.spam.external.rspamd.password, 'rspamd-secret-1');
});

test('export → import round trip: a new version, nothing changed; the audit has no secret', async () => {
  const e = await exported();
  const r = await admin.post('/settings/import', { yaml: e.text });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json, { dryRun: false, version: e.version + 1, changed: [] });
  const again = await exported();
  assert.equal(again.text.replace(/^#.*\n/, ''), e.text.replace(/^#.*\n/, ''));
  const audit = (await admin.get('/audit?action=settings.import')).json.entries as Json[];
  assert.equal(audit.length, 1);
  assert.doesNotMatch(JSON.stringify(audit), /rspamd-secret-1/);
});

test('import applies at once and names the changed keys; a dry run saves nothing', async () => {
  const doc = parse((await exported()).text) as Json;
  doc.smtp.banner = 'ESMTP imported';
  doc.trustedNetworks = ['127.0.0.1/32'];
  const yaml = stringify(doc);

  const before = (await exported()).version;
  const dry = await admin.post('/settings/import', { yaml, dryRun: true });
  assert.equal(dry.status, 200, dry.text);
  assert.deepEqual(dry.json, { dryRun: true, version: before, changed: ['smtp', 'trustedNetworks'] });
  assert.equal((await exported()).version, before, 'a dry run saves nothing');

  const real = await admin.post('/settings/import', { yaml });
  assert.deepEqual(real.json, { dryRun: false, version: before + 1, changed: ['smtp', 'trustedNetworks'] });
  const { c, greeting } = await RawSmtp.open(gw.port);
  c.destroy();
  assert.match(greeting.text, /ESMTP imported/, 'the listener greets with the imported banner at once');
});

test('a bad file: 400 with every problem, or the YAML error with its line', async () => {
  const before = (await exported()).version;
  const bad = await admin.post('/settings/import', {
    yaml: 'smtp:\n  maxMessageSize: lots\n  hostnme: x\ndelivery:\n  tls: sometimes\nsystem:\n  timezone: Nowhere/City\n',
  });
  assert.equal(bad.status, 400);
  const problems = (bad.json.details as string[]).join('\n');
  assert.match(problems, /smtp\.maxMessageSize: not a size/);
  assert.match(problems, /smtp\.hostnme: unknown setting/);
  assert.match(problems, /delivery\.tls/);
  assert.match(problems, /system\.timezone/);
  const broken = await admin.post('/settings/import', { yaml: 'smtp:\n  banner: [unclosed\n' });
  assert.equal(broken.status, 400);
  assert.match(broken.json.error, /not valid YAML \(line \d+\)/);
  const empty = await admin.post('/settings/import', {});
  assert.equal(empty.status, 400);
  assert.match(JSON.stringify(empty.json.details), /yaml/);
  assert.equal((await exported()).version, before);
});
