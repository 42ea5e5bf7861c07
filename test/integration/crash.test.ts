// Durability: kill -9 the gateway several times while it takes and delivers mail; every
// message a client heard "250 … queued as" for must reach the next hop.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import nodemailer from 'nodemailer';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { startSink, type Sink } from '../helpers/sink.js';
import { waitUntil } from '../helpers/tmp.js';

const KILLS = 4;
const CLIENTS = 10;
const MESSAGES_BETWEEN_KILLS = 150;

let sink: Sink;
let gw: TestGateway;

before(async () => {
  sink = await startSink();
  gw = await startGateway({
    settings: {
      smtp: { hostname: 'gw.example.test' },
      domains: [{ name: 'example.com', nextHops: [`127.0.0.1:${sink.port}`] }],
      trustedNetworks: ['127.0.0.1/32'],
      // after a kill the next hop may see a retry soon
      delivery: { minRetryInterval: '1s', maxRetryInterval: '2s' },
    },
  });
});

after(async () => {
  await gw?.stop();
  await sink?.close();
});

test(`after ${KILLS} × kill -9 under load, every acknowledged message is delivered`, async () => {
  const acked = new Set<string>();
  let sent = 0;
  let stopping = false;
  let serial = 0;
  const transport = nodemailer.createTransport({
    host: gw.host,
    port: gw.port,
    secure: false,
    ignoreTLS: true,
    connectionTimeout: 5000,
    greetingTimeout: 5000,
    socketTimeout: 10000,
  });
  const worker = async () => {
    while (!stopping) {
      const id = `<crash-${++serial}@client.test>`;
      try {
        const info = await transport.sendMail({
          envelope: { from: 'load@client.test', to: ['user@example.com'] },
          raw: `Message-ID: ${id}\r\nFrom: load@client.test\r\nTo: user@example.com\r\nSubject: crash ${serial}\r\n\r\n${'x'.repeat(2000)}\r\n`,
        });
        sent++;
        if (/^250 .*queued as/.test(info.response)) acked.add(id);
      } catch {
        await new Promise((r) => setTimeout(r, 20)); // the gateway is down: try the next one soon
      }
    }
  };
  const workers = Array.from({ length: CLIENTS }, () => worker());
  try {
    for (let k = 1; k <= KILLS; k++) {
      const target = acked.size + MESSAGES_BETWEEN_KILLS;
      await waitUntil(() => acked.size >= target, `${target} messages acknowledged`, 60_000);
      await gw.kill('SIGKILL');
      await gw.restart();
    }
    await waitUntil(
      () => acked.size >= (KILLS + 0.5) * MESSAGES_BETWEEN_KILLS,
      'more mail after the last restart',
      60_000,
    );
  } finally {
    stopping = true;
    await Promise.all(workers);
    transport.close();
  }
  await waitUntil(
    () => {
      const seen = new Set(sink.messages.map((m) => messageId(m.raw)));
      return [...acked].every((id) => seen.has(id));
    },
    'every acknowledged message is at the next hop',
    60_000,
  );
  const counts = new Map<string, number>();
  for (const m of sink.messages) counts.set(messageId(m.raw), (counts.get(messageId(m.raw)) ?? 0) + 1);
  const duplicates = [...counts.values()].filter((c) => c > 1).length;
  console.log(
    `crash test: ${sent} sent, ${acked.size} acknowledged, ${sink.messages.length} delivered, ${duplicates} delivered twice`,
  );
  // A message the next hop accepted in the instant before the kill, not yet marked done, is
  // sent again after the restart: the one window no MTA can close. At most the deliveries
  // under way at each kill.
  assert.ok(duplicates <= KILLS * CLIENTS, `${duplicates} duplicates`);
});

function messageId(raw: Buffer): string {
  return /^Message-ID: (<[^>]+>)/im.exec(raw.toString('latin1'))?.[1] ?? '';
}
