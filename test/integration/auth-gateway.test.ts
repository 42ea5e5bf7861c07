// Sender authentication and DKIM signing in the running gateway: a forged sender of a
// p=reject domain is refused in the SMTP session (never bounced), other outside mail carries
// our Authentication-Results (and no forged one), and outbound mail is signed so that an
// independent verifier (dkimpy) accepts it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { startSink, type Sink } from '../helpers/sink.js';
import { startDnsServer, type DnsServer } from '../helpers/dns-server.js';
import { swaks } from '../helpers/swaks.js';
import { dkimpyVerify, haveDkimpy } from '../helpers/dkimpy.js';

let dns: DnsServer;
let sink: Sink;
let gw: TestGateway;

const ZONE = {
  txt: [
    { name: 'bank.test', text: 'v=spf1 ip4:192.0.2.10 -all' },
    { name: '_dmarc.bank.test', text: 'v=DMARC1; p=reject' },
    { name: 'shop.test', text: 'v=spf1 ip4:192.0.2.20 -all' },
    { name: '_dmarc.shop.test', text: 'v=DMARC1; p=none' },
  ],
  zones: ['test'],
};

before(async () => {
  dns = await startDnsServer(ZONE);
  sink = await startSink();
  gw = await startGateway({
    settings: {
      smtp: { hostname: 'gw.example.test' },
      domains: [{ name: 'example.com', nextHops: [`127.0.0.1:${sink.port}`] }],
      trustedNetworks: ['127.0.0.1/32'],
      dns: { resolvers: [dns.address] },
      delivery: { default: `127.0.0.1:${sink.port}` },
      auth: { dkimSigning: { enabled: true, domains: [{ domain: 'example.com' }] } },
    },
  });
});
after(async () => {
  await gw?.stop();
  await sink?.close();
  await dns?.stop();
});

const server = () => `${gw.host}:${gw.port}`;

test('a forged sender of a p=reject domain is refused with 550 during the session', async () => {
  const r = await swaks({
    server: server(),
    from: 'ceo@bank.test',
    to: 'bob@example.com',
    localAddress: '127.0.0.2',
  });
  assert.notEqual(r.code, 0);
  assert.match(r.output, /<\*\* +550 5\.7\.1 .*DMARC/);
  assert.equal(sink.messages.length, 0);
  const q = await gw.cli(['queue', 'list', '--json']);
  assert.deepEqual(JSON.parse(q.stdout), [], 'nothing queued, so nothing to bounce');
});

test('outside mail gets our Authentication-Results, and a forged one claiming our name is removed', async () => {
  const r = await swaks({
    server: server(),
    from: 'news@shop.test',
    to: 'bob@example.com',
    localAddress: '127.0.0.2',
    headers: ['Authentication-Results: gw.example.test; dmarc=pass header.from=shop.test'],
    subject: 'weekly offers',
  });
  assert.equal(r.code, 0, r.output);
  const [m] = await sink.waitFor(1);
  const text = m?.raw.toString('latin1') ?? '';
  assert.match(text, /^Authentication-Results: gw\.example\.test;/m);
  assert.match(text, /spf=fail/);
  assert.match(text, /dmarc=fail/);
  assert.equal(text.match(/^Authentication-Results:/gm)?.length, 1, 'only ours');
});

test(
  'outbound mail is DKIM-signed with a generated key, and dkimpy verifies it',
  { skip: haveDkimpy ? false : 'python3-dkim missing' },
  async () => {
    const generated = await gw.cli(['dkim', 'generate', 'example.com', '--selector', 'gw1']);
    assert.equal(generated.code, 0, generated.stderr);
    const record = await gw.cli(['dkim', 'dns', 'example.com', '--json']);
    assert.equal(record.code, 0, record.stderr);
    const [rec] = JSON.parse(record.stdout) as { name: string; strings: string[] }[];
    assert.ok(rec, record.stdout);
    await dns.update({
      ...ZONE,
      txt: [...ZONE.txt, { name: rec.name.replace(/\.$/, ''), text: rec.strings }],
    });

    const before = sink.messages.length;
    const r = await swaks({
      server: server(),
      from: 'alice@example.com',
      to: 'partner@outside.test',
      subject: 'contract',
    });
    assert.equal(r.code, 0, r.output);
    const m = (await sink.waitFor(before + 1))[before];
    const raw = m?.raw ?? Buffer.alloc(0);
    assert.match(raw.toString('latin1'), /^DKIM-Signature: .*d=example\.com/m);
    assert.equal(await dkimpyVerify(raw, dns.port), 'pass');
  },
);
