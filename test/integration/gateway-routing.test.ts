// Routing through the running gateway: MX lookup through the configured resolver (a real DNS
// server), and STARTTLS with the certificate the gateway made itself on first start.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startGateway } from '../helpers/gateway.js';
import { startSink } from '../helpers/sink.js';
import { startDnsServer } from '../helpers/dns-server.js';
import { swaks } from '../helpers/swaks.js';

test('a trusted client relays to an outside domain through its MX, found with the configured resolver', async () => {
  const dns = await startDnsServer({
    mx: [
      { name: 'partner.test', exchange: 'mx-down.partner.test', preference: 5 },
      { name: 'partner.test', exchange: 'mx.partner.test', preference: 10 },
    ],
    a: [
      { name: 'mx-down.partner.test', address: '127.0.0.3' },
      { name: 'mx.partner.test', address: '127.0.0.1' },
    ],
  });
  const sink = await startSink({ tls: true });
  const gw = await startGateway({
    settings: {
      smtp: { hostname: 'gw.example.test' },
      trustedNetworks: ['127.0.0.1/32'],
      dns: { resolvers: [dns.address] },
      delivery: { default: 'mx', connectTimeout: '2s' },
    },
    // MX hosts are reached on the sink's port instead of 25
    env: { SEKIMORI_MX_PORT: String(sink.port) },
  });
  try {
    const sent = await swaks({
      server: `${gw.host}:${gw.port}`,
      from: 'alice@example.com',
      to: 'bob@partner.test',
    });
    assert.equal(sent.code, 0, sent.output);
    const [m] = await sink.waitFor(1);
    assert.deepEqual(m?.to, ['bob@partner.test']);
    assert.equal(m?.secure, true, 'opportunistic STARTTLS was used');
    const tracked = await gw.cli(['log', 'tracking', '--json', '--id', sent.queueId ?? '']);
    const [t] = JSON.parse(tracked.stdout) as { deliveries: { result: string; host: string }[] }[];
    assert.equal(t?.deliveries.at(-1)?.result, 'delivered');
    assert.match(t?.deliveries.at(-1)?.host ?? '', /mx\.partner\.test/);

    // An untrusted client may not do the same.
    const refused = await swaks({
      server: `${gw.host}:${gw.port}`,
      from: 'alice@example.com',
      to: 'bob@partner.test',
      localAddress: '127.0.0.2',
    });
    assert.notEqual(refused.code, 0);
    assert.match(refused.output, /554 5\.7\.1 .*relay denied/);
  } finally {
    await gw.stop();
    await sink.close();
    await dns.stop();
  }
});

test('STARTTLS works out of the box with a certificate generated on first start', async () => {
  const sink = await startSink();
  const gw = await startGateway({
    settings: {
      smtp: { hostname: 'gw.example.test' },
      domains: [{ name: 'example.com', nextHops: [`127.0.0.1:${sink.port}`] }],
    },
  });
  try {
    const cert = new X509Certificate(await readFile(join(gw.dataDir, 'tls', 'cert.pem')));
    assert.match(cert.subject, /CN=gw\.example\.test/);
    const sent = await swaks({
      server: `${gw.host}:${gw.port}`,
      from: 'a@sender.test',
      to: 'bob@example.com',
      tls: true,
    });
    assert.equal(sent.code, 0, sent.output);
    assert.match(sent.output, /-> STARTTLS\n<- +220 /);
    const [m] = await sink.waitFor(1);
    assert.match(m?.raw.toString() ?? '', /with ESMTPS id/);
  } finally {
    await gw.stop();
    await sink.close();
  }
});
