// Delivery by MX against a real DNS server (dnsmasq) and real SMTP servers (the sink). MX
// records carry no port, so the agent's mxPort points MX delivery at the sink.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { toRuntimeSettings, validateSettings } from '../../src/config/settings.js';
import type { Envelope } from '../../src/queue/types.js';
import { silentLogger } from '../../src/util/log.js';
import { DeliveryAgent } from '../../src/delivery/agent.js';
import { MxResolver } from '../../src/delivery/mx.js';
import { statusFromReply } from '../../src/delivery/dsn.js';
import { startDnsServer, type DnsServer } from '../helpers/dns-server.js';
import { startSink, type Sink } from '../helpers/sink.js';

let dns: DnsServer;
let sink: Sink;
let agent: DeliveryAgent;

// 127.0.0.2 is loopback too, but nothing listens there: connections to it are refused.
const records = {
  mx: [
    { name: 'plain.test', exchange: 'mx.plain.test', preference: 10 },
    // the preferred MX refuses connections, the backup takes the mail
    { name: 'backup.test', exchange: 'mx1.backup.test', preference: 10 },
    { name: 'backup.test', exchange: 'mx2.backup.test', preference: 20 },
    { name: 'nullmx.test', exchange: '.', preference: 0 },
    { name: 'dangling.test', exchange: 'nowhere.dangling.test', preference: 10 },
    { name: 'random.test', exchange: 'a.random.test', preference: 5 },
    { name: 'random.test', exchange: 'b.random.test', preference: 5 },
    { name: 'random.test', exchange: 'c.random.test', preference: 5 },
  ],
  a: [
    { name: 'mx.plain.test', address: '127.0.0.1' },
    { name: 'mx1.backup.test', address: '127.0.0.2' },
    { name: 'mx2.backup.test', address: '127.0.0.1' },
    { name: 'a-only.test', address: '127.0.0.1' },
    { name: 'a.random.test', address: '127.0.0.11' },
    { name: 'b.random.test', address: '127.0.0.12' },
    { name: 'c.random.test', address: '127.0.0.13' },
  ],
  txt: [{ name: 'nomx.test', text: 'only a TXT record' }],
  nxdomain: ['gone.test'],
  unanswered: ['broken.test'],
};

before(async () => {
  dns = await startDnsServer(records);
  sink = await startSink();
  const settings = toRuntimeSettings(
    validateSettings({
      smtp: { hostname: 'gw.sekimori.test' },
      dns: { resolvers: [dns.address] },
      delivery: { connectTimeout: '3s', tls: 'opportunistic' },
    }),
  );
  agent = new DeliveryAgent({
    settings: () => settings,
    log: silentLogger(),
    mxPort: sink.port,
    dnsTimeout: 500,
    dnsTries: 1,
  });
});

after(async () => {
  await agent.close();
  await sink.close();
  await dns.stop();
});

const MESSAGE = Buffer.from('From: a@origin.test\r\nSubject: mx\r\n\r\nbody\r\n');

function envelope(recipients: string[]): Envelope {
  return {
    id: 'MX' + Math.random().toString(36).slice(2, 8),
    sender: 'a@origin.test',
    recipients: recipients.map((address) => ({ address })),
    receivedAt: Date.now(),
    client: { ip: '192.0.2.1', helo: 'client.test', tls: false },
    size: MESSAGE.length,
    origin: 'smtp',
  };
}

async function deliverOne(address: string) {
  const [r] = await agent.deliver(envelope([address]), [address], () => MESSAGE);
  return r!;
}

test('delivers to the MX host of the domain', async () => {
  const before = sink.messages.length;
  const r = await deliverOne('user@plain.test');
  assert.equal(r.outcome, 'delivered', r.reply);
  assert.equal(r.host, `mx.plain.test[127.0.0.1]:${sink.port}`);
  const msgs = await sink.waitFor(before + 1);
  assert.deepEqual(msgs.at(-1)!.to, ['user@plain.test']);
});

test('falls over to the next MX when the preferred one refuses connections', async () => {
  const r = await deliverOne('user@backup.test');
  assert.equal(r.outcome, 'delivered', r.reply);
  assert.equal(r.host, `mx2.backup.test[127.0.0.1]:${sink.port}`);
});

test('a domain without MX gets mail at its own address (RFC 5321 §5.1)', async () => {
  const r = await deliverOne('user@a-only.test');
  assert.equal(r.outcome, 'delivered', r.reply);
  assert.equal(r.host, `a-only.test[127.0.0.1]:${sink.port}`);
});

test('permanent DNS answers bounce: NXDOMAIN, null MX, no MX and no address, MX without address', async () => {
  const cases: [string, string][] = [
    ['user@gone.test', '5.1.2'],
    ['user@sub.gone.test', '5.1.2'],
    ['user@unknown.test', '5.1.2'],
    ['user@nullmx.test', '5.1.10'],
    ['user@nomx.test', '5.4.4'],
    ['user@dangling.test', '5.4.4'],
  ];
  for (const [address, status] of cases) {
    const r = await deliverOne(address);
    assert.equal(r.outcome, 'bounced', `${address}: ${r.reply}`);
    assert.equal(r.code, 0);
    assert.equal(statusFromReply(r.reply, r.code), status, `${address}: ${r.reply}`);
  }
});

test('DNS failures (no answer, refused) defer', async () => {
  for (const address of ['user@broken.test', 'user@outside-any-zone.org']) {
    const r = await deliverOne(address);
    assert.equal(r.outcome, 'deferred', `${address}: ${r.reply}`);
    assert.equal(statusFromReply(r.reply, r.code), '4.4.3', r.reply);
  }
});

test('MX hosts of equal preference come in random order; answers are read from the configured resolver', async () => {
  const firsts = new Set<string>();
  for (let i = 0; i < 30; i++) {
    const resolver = new MxResolver({ resolvers: [dns.address], cacheTtl: 0 });
    const r = await resolver.lookupDomain('random.test');
    assert.ok(r.ok);
    assert.deepEqual(r.hosts.map((h) => h.address).sort(), ['127.0.0.11', '127.0.0.12', '127.0.0.13']);
    firsts.add(r.hosts[0]!.name);
  }
  assert.ok(firsts.size >= 2, `random order, saw ${[...firsts].join(', ')}`);
});

test('a bad resolver setting defers instead of throwing', async () => {
  const resolver = new MxResolver({ resolvers: ['not an address'] });
  assert.ok(resolver.configError);
  const r = await resolver.lookupDomain('plain.test');
  assert.deepEqual(r.ok, false);
  assert.ok(!r.ok && !r.permanent);
});

test('the DNS helper serves TXT records and can be restarted with other records', async () => {
  const extra = await startDnsServer({
    txt: [{ name: 'k._domainkey.x.test', text: 'v=DKIM1; p=' + 'A'.repeat(400) }],
  });
  try {
    const { Resolver } = await import('node:dns/promises');
    const r = new Resolver({ timeout: 1000, tries: 1 });
    r.setServers([extra.address]);
    const [txt] = await r.resolveTxt('k._domainkey.x.test');
    assert.equal(txt!.join(''), 'v=DKIM1; p=' + 'A'.repeat(400));
    assert.ok(txt!.length >= 2, 'long TXT split into strings of at most 255');
    await extra.update({ a: [{ name: 'host.x.test', address: '192.0.2.7' }] });
    assert.deepEqual(await r.resolve4('host.x.test'), ['192.0.2.7']);
    await assert.rejects(r.resolveTxt('k._domainkey.x.test'), { code: 'ENOTFOUND' });
  } finally {
    await extra.stop();
  }
});
