// The gateway with a real clamd: signatures the built-in engine does not know are caught, and
// while clamd is down mail waits in the queue (never passes unscanned), then goes out.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { startSink, type Sink } from '../helpers/sink.js';
import { startClamd, type TestClamd } from '../helpers/clamd.js';
import { sendRaw } from '../helpers/send.js';
import { waitUntil } from '../helpers/tmp.js';
import { attachment, message } from '../fixtures/mime/builders.js';

let clamd: TestClamd;
let sink: Sink;
let gw: TestGateway;

before(async () => {
  clamd = await startClamd();
  sink = await startSink();
  gw = await startGateway({
    settings: {
      domains: [{ name: 'example.com', nextHops: [`127.0.0.1:${sink.port}`] }],
      antivirus: { clamd: clamd.unixAddress },
      delivery: { minRetryInterval: '1h' },
    },
  });
});
after(async () => {
  await gw?.stop();
  await sink?.close();
  await clamd?.close();
});

const tracked = async (id: string) => {
  const r = await gw.cli(['log', 'tracking', '--json', '--id', id]);
  return (JSON.parse(r.stdout) as { status: string; verdict: string | null }[])[0];
};

test('ClamAV test files are caught by clamd and quarantined', async () => {
  const file = await readFile('/usr/share/clamav-testfiles/clam.cab');
  const sent = await sendRaw(
    gw,
    'a@sender.test',
    ['bob@example.com'],
    message([], [attachment('setup.cab', file)]),
  );
  await waitUntil(async () => (await tracked(sent.queueId ?? ''))?.status === 'quarantined', 'quarantined');
  assert.match((await tracked(sent.queueId ?? ''))?.verdict ?? '', /ClamAV-Test-File/);
  const status = await gw.cli(['status']);
  assert.doesNotMatch(status.stdout, /signature scanning is off/);
});

test('clamd down: mail is deferred, never delivered unscanned; back up: delivered after a flush', async () => {
  await clamd.stop();
  try {
    const raw = message([], { headers: ['Content-Type: text/plain'], body: 'while clamd is down\r\n' });
    const sent = await sendRaw(gw, 'a@sender.test', ['bob@example.com'], raw);
    await waitUntil(async () => (await tracked(sent.queueId ?? ''))?.status === 'deferred', 'deferred');
    const q = await gw.cli(['queue', 'list', '--json', '--queue', 'deferred']);
    assert.match(q.stdout, /unavailable/);
    assert.equal(sink.messages.length, 0);
    await clamd.start();
    assert.equal((await gw.cli(['queue', 'flush', sent.queueId ?? ''])).code, 0);
    await sink.waitFor(1);
    await waitUntil(async () => (await tracked(sent.queueId ?? ''))?.status === 'delivered', 'delivered');
  } finally {
    if (!(await clamd.running())) await clamd.start();
  }
});
