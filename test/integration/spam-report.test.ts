// "Report as spam" in the running gateway: `sekimori spam report` hands the messages to the
// gateway over the control socket, its classifier learns them at once, and the next look-alike
// arriving by SMTP is caught (spam quarantine) where the same kind of message was delivered
// before the report.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { startSink, type Sink } from '../helpers/sink.js';
import { swaks } from '../helpers/swaks.js';
import { waitUntil } from '../helpers/tmp.js';

let sink: Sink;
let gw: TestGateway;

const PITCH = [
  'exclusive',
  'timeshare',
  'villas',
  'marbella',
  'lifetime',
  'membership',
  'discount',
  'voucher',
  'claim',
  'yours',
  'before',
  'midnight',
  'luxury',
  'resort',
  'weeks',
  'guaranteed',
];

/** One of the reported messages, or a look-alike of them: the same pitch, other details. */
const subject = (i: number) => `Your ${PITCH[i % PITCH.length]} offer ${i}`;
const body = (i: number) =>
  `${PITCH.join(' ')} - reference ${1000 + i}, ${PITCH[(i * 5) % PITCH.length]} ${PITCH[(i * 3) % PITCH.length]}`;
const message = (i: number) =>
  `From: club${i}@resorts.test\r\nTo: bob@example.com\r\nSubject: ${subject(i)}\r\n\r\n${body(i)}\r\n`;

before(async () => {
  sink = await startSink();
  gw = await startGateway({
    settings: {
      domains: [{ name: 'example.com', nextHops: [`127.0.0.1:${sink.port}`] }],
      spam: { bayes: { minSpam: 5, minHam: 5 } },
    },
  });
  const ham = join(gw.dataDir, 'ham');
  await mkdir(ham, { recursive: true });
  for (let i = 0; i < 8; i++) {
    await writeFile(
      join(ham, `${i}.eml`),
      `From: colleague${i}@partner.test\r\nTo: bob@example.com\r\nSubject: minutes of meeting ${i}\r\n\r\n` +
        `Attached are the minutes of the project meeting and the schedule for next week ${i}.\r\n`,
    );
  }
  const learned = await gw.cli(['spam', 'learn', '--ham', ham, '--quiet']);
  assert.equal(learned.code, 0, learned.stderr);
});
after(async () => {
  await gw?.stop();
  await sink?.close();
});

const sendPitch = (i: number) =>
  swaks({
    server: `${gw.host}:${gw.port}`,
    from: `club${i}@resorts.test`,
    to: 'bob@example.com',
    localAddress: '127.0.0.2',
    subject: subject(i),
    body: body(i),
  });

async function spamQuarantine(): Promise<unknown[]> {
  const r = await gw.cli(['quarantine', 'list', '--json', '--area', 'spam']);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as unknown[];
}

test('before any report the pitch is delivered', async () => {
  const r = await sendPitch(100);
  assert.equal(r.code, 0, r.output);
  const [m] = await sink.waitFor(1);
  assert.match(m?.raw.toString('latin1') ?? '', /^X-Sekimori-Spam: No\r\n/m);
});

test('spam report goes through the running gateway; the next look-alike is caught', async () => {
  const dir = join(gw.dataDir, 'reported');
  await mkdir(dir, { recursive: true });
  for (let i = 0; i < 6; i++) {
    await writeFile(join(dir, `${i}.eml`), message(i));
  }
  await writeFile(join(dir, 'notes.txt'), 'not a message\n');
  const r = await gw.cli(['spam', 'report', dir, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { through: string; learned: number; notMessages: string[] };
  assert.equal(out.through, 'gateway');
  assert.equal(out.learned, 6);
  assert.equal(out.notMessages.length, 1, 'the text file is not mail');

  const again = await gw.cli(['spam', 'report', dir, '--json']);
  assert.equal((JSON.parse(again.stdout) as { skipped: number }).skipped, 6, 'reported once only');

  const sent = await sendPitch(200);
  assert.equal(sent.code, 0, sent.output);
  await waitUntil(
    async () => (await spamQuarantine()).length === 1,
    'the look-alike is in the spam quarantine',
  );
  assert.equal(sink.messages.length, 1, 'only the message sent before the report was delivered');
});

test('spam report without a running gateway learns in the store', async () => {
  await gw.kill('SIGTERM'); // stop() would remove the data directory
  const file = join(gw.dataDir, 'late.eml');
  await writeFile(file, message(9));
  const r = await gw.cli(['spam', 'report', file]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /reported 1 messages as spam \(through the store; no gateway runs\): 1 learned/);
  const stats = JSON.parse((await gw.cli(['spam', 'stats', '--json'])).stdout) as { nspam: number };
  assert.equal(stats.nspam, 7);
});
