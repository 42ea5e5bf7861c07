// Spam in the running gateway: GTUBE is spam with the default settings and goes to the spam
// quarantine; scan shows the score and its reasons; learning from the CLI changes later verdicts.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { startSink, type Sink } from '../helpers/sink.js';
import { swaks } from '../helpers/swaks.js';
import { waitUntil } from '../helpers/tmp.js';

const GTUBE = 'XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X';

let sink: Sink;
let gw: TestGateway;

before(async () => {
  sink = await startSink();
  gw = await startGateway({
    settings: {
      domains: [{ name: 'example.com', nextHops: [`127.0.0.1:${sink.port}`] }],
      spam: { bayes: { minSpam: 5, minHam: 5 } },
    },
  });
});
after(async () => {
  await gw?.stop();
  await sink?.close();
});

interface ScanJson {
  facts: { spam?: { isSpam: boolean; score: number; reasons: { rule: string; score: number }[] } };
  decision: { recipients: { intercept: { type: string; area?: string } }[] };
}

async function scan(file: string): Promise<ScanJson> {
  const r = await gw.cli(['scan', file, '--json']);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as ScanJson;
}

test('GTUBE is spam with the default settings: quarantined in the spam area, never delivered', async () => {
  const r = await swaks({
    server: `${gw.host}:${gw.port}`,
    from: 'offers@shop.test',
    to: 'bob@example.com',
    localAddress: '127.0.0.2',
    subject: 'gtube',
    body: `Buy now! ${GTUBE}`,
  });
  assert.equal(r.code, 0, r.output);
  await waitUntil(async () => {
    const q = JSON.parse(
      (await gw.cli(['quarantine', 'list', '--json', '--area', 'spam'])).stdout,
    ) as unknown[];
    return q.length === 1;
  }, 'in the spam quarantine');
  assert.equal(sink.messages.length, 0);
  const file = join(gw.dataDir, 'gtube.eml');
  await writeFile(
    file,
    `From: offers@shop.test\r\nTo: bob@example.com\r\nSubject: gtube\r\n\r\n${GTUBE}\r\n`,
  );
  const out = await scan(file);
  assert.equal(out.facts.spam?.isSpam, true);
  assert.ok(out.facts.spam?.reasons.some((x) => x.rule === 'GTUBE'));
  assert.equal(out.decision.recipients[0]?.intercept.type, 'quarantine');
});

test('clean mail is delivered with the spam verdict headers', async () => {
  const r = await swaks({
    server: `${gw.host}:${gw.port}`,
    from: 'friend@partner.test',
    to: 'bob@example.com',
    localAddress: '127.0.0.2',
    subject: 'lunch on friday',
    body: 'Shall we meet at noon near the station?',
  });
  assert.equal(r.code, 0, r.output);
  const [m] = await sink.waitFor(1);
  assert.match(m?.raw.toString('latin1') ?? '', /^X-Sekimori-Spam: No\r\n/m);
});

test('spam learn changes later verdicts', async () => {
  const dir = join(gw.dataDir, 'learn');
  await mkdir(join(dir, 'spam'), { recursive: true });
  await mkdir(join(dir, 'ham'), { recursive: true });
  const words = ['cheap', 'pills', 'casino', 'bonus', 'winner', 'crypto', 'jackpot'];
  for (let i = 0; i < 8; i++) {
    await writeFile(
      join(dir, 'spam', `${i}.eml`),
      `From: promo${i}@deals.test\r\nTo: bob@example.com\r\nSubject: ${words[i % 7]} offer ${i}\r\n\r\n${words.join(' ')} guaranteed ${words[(i + 3) % 7]} today\r\n`,
    );
    await writeFile(
      join(dir, 'ham', `${i}.eml`),
      `From: colleague${i}@partner.test\r\nTo: bob@example.com\r\nSubject: minutes of meeting ${i}\r\n\r\nAttached are the minutes of the project meeting and the schedule for next week ${i}.\r\n`,
    );
  }
  const probe = join(gw.dataDir, 'probe.eml');
  await writeFile(
    probe,
    'From: x@deals.test\r\nTo: bob@example.com\r\nSubject: casino bonus\r\n\r\ncheap pills casino bonus winner jackpot crypto\r\n',
  );
  const before = await scan(probe);
  assert.equal((await gw.cli(['spam', 'learn', '--spam', join(dir, 'spam')])).code, 0);
  const learned = await gw.cli(['spam', 'learn', '--ham', join(dir, 'ham')]);
  assert.equal(learned.code, 0, learned.stderr);
  assert.match(learned.stdout, /text model trained on 8 spam and 8 ham/);
  const after = await scan(probe);
  assert.ok(
    after.facts.spam && before.facts.spam && after.facts.spam.score > before.facts.spam.score,
    'score went up',
  );
  assert.ok(
    after.facts.spam?.reasons.some((x) => /^BAYES_(9|8)/.test(x.rule)),
    JSON.stringify(after.facts.spam?.reasons),
  );
  // The text model learned from the same messages and leans the same way.
  const textModel = after.facts.spam?.reasons.find((x) => x.rule === 'TEXT_MODEL');
  assert.ok(textModel && textModel.score > 0, JSON.stringify(after.facts.spam?.reasons));
});

test('releasing a message from the spam quarantine teaches the classifier it was ham', async () => {
  const stats = async () =>
    JSON.parse((await gw.cli(['spam', 'stats', '--json'])).stdout) as {
      nham: number;
      textModel: { nham: number } | null;
    };
  const before = (await stats()).nham;
  const [q] = JSON.parse((await gw.cli(['quarantine', 'list', '--json', '--area', 'spam'])).stdout) as {
    id: string;
  }[];
  assert.ok(q, 'a message in the spam quarantine');
  const released = await gw.cli(['quarantine', 'release', q.id]);
  assert.equal(released.code, 0, released.stderr);
  await waitUntil(async () => (await stats()).nham === before + 1, 'learned as ham');
  // The gateway trains the text model again a few seconds after the release.
  await waitUntil(async () => (await stats()).textModel?.nham === before + 1, 'text model trained');
});
