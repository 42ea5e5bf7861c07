// Each intercept and monitor action, end to end: delete, change recipient, re-route, hold,
// BCC, archive copy and notification to an administrator.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { startSink, type Sink, type ReceivedMessage } from '../helpers/sink.js';
import { sendRaw } from '../helpers/send.js';
import { waitUntil } from '../helpers/tmp.js';
import { message } from '../fixtures/mime/builders.js';

let sink: Sink;
let other: Sink;
let gw: TestGateway;

const rule = (id: string, actions: unknown) => ({
  id,
  name: id,
  conditions: [{ keywords: { list: id, in: ['subject'] } }],
  actions,
});
const list = (id: string, word: string) => ({ name: id, entries: [word] });

before(async () => {
  sink = await startSink();
  other = await startSink();
  gw = await startGateway({
    settings: {
      domains: [{ name: 'example.com', nextHops: [`127.0.0.1:${sink.port}`] }],
      delivery: { default: `127.0.0.1:${sink.port}` },
      policy: {
        administratorAddress: 'admin@example.com',
        keywordLists: [
          list('delete', 'zap-me'),
          list('redirect', 'to-legal'),
          list('reroute', 'via-other'),
          list('hold', 'wait-for-me'),
          list('copy', 'copy-me'),
        ],
        archiveAreas: [{ name: 'legal', retention: '365d' }],
        rules: [
          rule('delete', { intercept: { action: 'delete' } }),
          rule('redirect', {
            intercept: { action: 'changeRecipient', to: ['legal@example.com'] },
          }),
          rule('reroute', { intercept: { action: 'reroute', host: `127.0.0.1:${other.port}` } }),
          rule('hold', { intercept: { action: 'hold' } }),
          rule('copy', {
            intercept: { action: 'continue' },
            monitor: [
              { bcc: 'audit@example.com' },
              { archive: 'legal' },
              { notify: { template: 'policy-alert', to: 'admin' } },
            ],
          }),
        ],
      },
    },
  });
});
after(async () => {
  await gw?.stop();
  await sink?.close();
  await other?.close();
});

const send = (subject: string) =>
  sendRaw(
    gw,
    'alice@sender.test',
    ['bob@example.com'],
    Buffer.from(
      message([], { headers: ['Content-Type: text/plain'], body: 'hello\r\n' })
        .toString('latin1')
        .replace('Subject: test', `Subject: ${subject}`),
      'latin1',
    ),
  );
const about = (subject: string) => (m: ReceivedMessage) =>
  m.raw.toString('latin1').includes(`Subject: ${subject}`);
const tracked = async (id: string) =>
  (JSON.parse((await gw.cli(['log', 'tracking', '--json', '--id', id])).stdout) as { status: string }[])[0]
    ?.status;

test('delete: the message is gone, tracked as deleted', async () => {
  const sent = await send('zap-me now');
  await waitUntil(async () => (await tracked(sent.queueId ?? '')) === 'deleted', 'deleted');
  assert.equal(sink.messages.some(about('zap-me now')), false);
});

test('change recipient: delivered to the new recipient only', async () => {
  await send('to-legal please');
  const [m] = (await sink.waitFor((all) => all.some(about('to-legal please')))).filter(
    about('to-legal please'),
  );
  assert.deepEqual(m?.to, ['legal@example.com']);
});

test('re-route: delivered through another host', async () => {
  await send('via-other host');
  const [m] = (await other.waitFor(1)).filter(about('via-other host'));
  assert.deepEqual(m?.to, ['bob@example.com']);
  assert.equal(sink.messages.some(about('via-other host')), false);
});

test('hold: the message waits in the hold queue until released', async () => {
  await send('wait-for-me here');
  let held: { id: string }[] = [];
  await waitUntil(async () => {
    held = JSON.parse((await gw.cli(['queue', 'list', '--json', '--queue', 'hold'])).stdout) as {
      id: string;
    }[];
    return held.length === 1;
  }, 'on hold');
  assert.equal(sink.messages.some(about('wait-for-me here')), false);
  assert.equal((await gw.cli(['queue', 'release', held[0]?.id ?? ''])).code, 0);
  await sink.waitFor((all) => all.some(about('wait-for-me here')));
});

test('monitor: BCC copy, archive copy and a notice to the administrator, and the message still delivered', async () => {
  const sent = await send('copy-me too');
  await sink.waitFor((all) => all.filter(about('copy-me too')).length >= 2);
  const copies = sink.messages.filter(about('copy-me too'));
  assert.deepEqual(copies.map((m) => m.to[0]).sort(), ['audit@example.com', 'bob@example.com']);
  await sink.waitFor((all) => all.some((m) => m.from === '' && m.to[0] === 'admin@example.com'));
  const archived = JSON.parse(
    (await gw.cli(['quarantine', 'list', '--json', '--status', 'archived', '--area', 'legal'])).stdout,
  ) as {
    queueId: string;
  }[];
  assert.ok(archived.some((a) => a.queueId === sent.queueId));
  const quarantined = JSON.parse((await gw.cli(['quarantine', 'list', '--json'])).stdout) as {
    queueId: string;
  }[];
  assert.equal(
    quarantined.some((a) => a.queueId === sent.queueId),
    false,
    'an archive copy is not in quarantine',
  );
});
