// Behind a trusted upstream relay (SPEC §1), in the running gateway: the relay itself is never
// looked up at connect; the client it recorded in its Received header is checked against the
// DNSBL zones after DATA (a listing that would have refused it adds relayedScores.reject, so
// the message is spam and goes to the spam quarantine) and is the IP that SPF is evaluated
// for. The same Received header from a client that is not a trusted relay is ignored.
// Real SMTP (swaks from 127.0.0.x source addresses) and a real DNS server (dnsmasq).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { startSink, type Sink } from '../helpers/sink.js';
import { startDnsServer, type DnsServer } from '../helpers/dns-server.js';
import { swaks } from '../helpers/swaks.js';
import { waitUntil } from '../helpers/tmp.js';

const RELAY = '127.0.0.2';
const STRANGER = '127.0.0.3';
/** Listed on bl.test with a reject code. */
const LISTED = '203.0.113.50';
/** Not listed; the only address shop.test's SPF record allows. */
const SHOP_SERVER = '203.0.113.60';

let dns: DnsServer;
let sink: Sink;
let gw: TestGateway;

before(async () => {
  dns = await startDnsServer({
    a: [{ name: '50.113.0.203.bl.test', address: '127.0.0.2' }],
    txt: [
      { name: 'shop.test', text: `v=spf1 ip4:${SHOP_SERVER} -all` },
      { name: 'spammer.test', text: 'v=spf1 ?all' },
    ],
    zones: ['test'],
  });
  sink = await startSink();
  gw = await startGateway({
    settings: {
      smtp: { hostname: 'gw.example.test' },
      domains: [{ name: 'example.com', nextHops: [`127.0.0.1:${sink.port}`] }],
      dns: { resolvers: [dns.address] },
      reputation: {
        trustedRelays: [`${RELAY}/32`],
        // the test addresses are documentation and loopback ranges
        skipPrivate: false,
        dnsbl: {
          zones: [{ zone: 'bl.test', codes: { '127.0.0.2': { action: 'reject', name: 'test list' } } }],
        },
        dnswl: [],
        uribl: { enabled: false },
      },
    },
  });
});
after(async () => {
  await gw?.stop();
  await sink?.close();
  await dns?.stop();
});

const server = () => `${gw.host}:${gw.port}`;

/** The Received header an upstream relay writes for the client it took the message from. */
const receivedFrom = (ip: string, helo: string) =>
  `Received: from ${helo} (${helo} [${ip}]) by relay.example.net (Postfix) with ESMTP id 4F1A2; Tue, 07 Jan 2025 09:05:01 +0000`;

async function spamQuarantine(): Promise<{ subject?: string }[]> {
  const r = await gw.cli(['quarantine', 'list', '--json', '--area', 'spam']);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as { subject?: string }[];
}

test('a listed client behind a trusted relay is checked after DATA: its message is spam, quarantined', async () => {
  const r = await swaks({
    server: server(),
    from: 'offers@spammer.test',
    to: 'bob@example.com',
    localAddress: RELAY,
    subject: 'relayed from a listed client',
    headers: [receivedFrom(LISTED, 'mail.spammer.test')],
  });
  assert.equal(r.code, 0, `the relay is never refused: ${r.output}`);
  await waitUntil(
    async () => (await spamQuarantine()).some((m) => m.subject === 'relayed from a listed client'),
    'the message is in the spam quarantine',
  );
  assert.equal(sink.messages.length, 0);
  assert.match(gw.output(), /relayed client 203\.0\.113\.50 checked after DATA \(reject\)/);
});

test('SPF is evaluated for the client the trusted relay recorded, not for the relay', async () => {
  const r = await swaks({
    server: server(),
    from: 'news@shop.test',
    to: 'bob@example.com',
    localAddress: RELAY,
    subject: 'relayed from the shop',
    headers: [receivedFrom(SHOP_SERVER, 'mail.shop.test')],
  });
  assert.equal(r.code, 0, r.output);
  const [m] = await sink.waitFor(1);
  const text = m?.raw.toString('latin1') ?? '';
  assert.match(text, /^Subject: relayed from the shop/m);
  assert.match(text, /spf=pass/, `SPF judged ${SHOP_SERVER}, which shop.test allows`);
  assert.doesNotMatch(text, /DNSBL/, 'the shop server is not listed');
});

test("an untrusted client's forged Received headers are ignored: no relayed lookup, SPF for the client", async () => {
  const before = sink.messages.length;
  const r = await swaks({
    server: server(),
    from: 'news@shop.test',
    to: 'bob@example.com',
    localAddress: STRANGER,
    subject: 'forged received headers',
    headers: [receivedFrom(SHOP_SERVER, 'mail.shop.test'), receivedFrom(LISTED, 'mail.spammer.test')],
  });
  assert.equal(r.code, 0, r.output);
  const all = await sink.waitFor(before + 1);
  const text = all[before]?.raw.toString('latin1') ?? '';
  assert.match(text, /^Subject: forged received headers/m);
  assert.match(text, /spf=fail/, `SPF judged ${STRANGER}, which shop.test does not allow`);
  assert.doesNotMatch(text, /DNSBL/, 'the listed address in a forged header was not looked up');
  assert.equal(
    gw.output().match(/checked after DATA/g)?.length,
    2,
    'only the two relayed messages were looked up after DATA',
  );
  assert.equal((await spamQuarantine()).length, 1, 'only the first test message');
});
