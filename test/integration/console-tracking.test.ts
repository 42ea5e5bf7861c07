// Message tracking through the console, end to end: a keyword rule created over the API, a
// message sent over SMTP with the keyword, found in GET /tracking by its subject (and by
// attachment, verdict and client), and its story tells the connection, the facts, the rule's
// evidence, the copy made and the delivery to the next hop.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { type TestGateway } from '../helpers/gateway.js';
import type { Sink } from '../helpers/sink.js';
import { startConsoleGateway, type ConsoleGateway } from '../helpers/console-gateway.js';
import { sendRaw } from '../helpers/send.js';
import { waitUntil } from '../helpers/tmp.js';
import type { ConsoleClient, Json } from '../helpers/console.js';

function messageWithAttachment(subject: string, body: string, filename: string): Buffer {
  return Buffer.from(
    [
      'From: Alice <alice@outside.test>',
      'To: bob@example.com',
      `Subject: ${subject}`,
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="B"',
      '',
      '--B',
      'Content-Type: text/plain; charset=utf-8',
      '',
      body,
      '--B',
      `Content-Type: application/vnd.ms-excel; name="${filename}"`,
      `Content-Disposition: attachment; filename="${filename}"`,
      'Content-Transfer-Encoding: base64',
      '',
      Buffer.from('a,b,c\r\n1,2,3\r\n').toString('base64'),
      '--B--',
      '',
    ].join('\r\n'),
  );
}

describe('console message tracking', () => {
  let setup: ConsoleGateway;
  let sink: Sink;
  let gw: TestGateway;
  let admin: ConsoleClient;

  before(async () => {
    setup = await startConsoleGateway('tracking-password-1', {
      settings: () => ({ smtp: { hostname: 'gw.example.test' } }),
    });
    ({ sink, gw, admin } = setup);
  });
  after(async () => {
    await setup?.stop();
  });

  test('a message caught by a rule made over the API is found by subject and tells its story', async () => {
    assert.equal(
      (
        await admin.put('/policy/lists', {
          keywordLists: [
            { name: 'code-names', entries: [{ pattern: 'bluebird', description: 'merger code name' }] },
          ],
        })
      ).status,
      200,
    );
    const rule = await admin.post('/policy/rules', {
      rule: {
        id: 'code-names',
        name: 'Code names are tagged',
        conditions: [{ keywords: { list: 'code-names' } }],
        actions: { intercept: 'continue', modify: [{ tagSubject: '[code name]' }] },
      },
    });
    assert.equal(rule.status, 201, rule.text);

    const sent = await sendRaw(
      gw,
      'alice@outside.test',
      ['bob@example.com'],
      messageWithAttachment('Bluebird plans 42', 'the Bluebird numbers are in', 'Budget-2026.xls'),
    );
    const queueId = sent.queueId as string;
    assert.ok(queueId, sent.response);
    const [delivered] = await sink.waitFor(1);
    assert.match(delivered?.raw.toString() ?? '', /Subject: \[code name\] Bluebird plans 42/);

    let found: Json;
    await waitUntil(async () => {
      const r = await admin.get(`/tracking?subject=${encodeURIComponent('bluebird*42')}`);
      found = r.json.messages?.find((m: Json) => m.queueId === queueId);
      return found?.status === 'delivered';
    }, 'the message is tracked as delivered');
    assert.equal(found.sender, 'alice@outside.test');
    assert.equal(found.direction, 'inbound');

    // other ways to find it; searches that do not fit find nothing
    const ids = async (q: string) =>
      ((await admin.get(`/tracking?${q}`)).json.messages as Json[]).map((m) => m.queueId);
    assert.ok((await ids('attachment=budget*.xls')).includes(queueId));
    assert.ok((await ids('verdict=code%20names')).includes(queueId));
    assert.ok((await ids('clientIp=127.0.0.*&sender=ALICE@*')).includes(queueId));
    assert.ok((await ids('recipient=bob@example.com&status=delivered')).includes(queueId));
    assert.deepEqual(await ids('subject=no-such-subject'), []);
    assert.deepEqual(
      await ids(`attachment=budget&until=${new Date(Date.now() - 3_600_000).toISOString()}`),
      [],
    );
    // the command line searches the same way
    const cli = await gw.cli([
      'log',
      'tracking',
      '--json',
      '--attachment',
      'budget*.xls',
      '--verdict',
      'code names',
      '--client-ip',
      '127.0.0.*',
    ]);
    assert.equal(cli.code, 0, cli.stderr);
    assert.ok((JSON.parse(cli.stdout) as Json[]).some((m) => m.queueId === queueId));
    const none = await gw.cli(['log', 'tracking', '--json', '--subject', 'no-such-subject']);
    assert.deepEqual(JSON.parse(none.stdout), []);
    const paged = await admin.get('/tracking?limit=1&offset=0');
    assert.equal(paged.json.messages.length, 1);
    assert.ok(paged.json.total >= 2, 'the original and its copy');
    const bad = await admin.get('/tracking?since=yesterday-ish');
    assert.equal(bad.status, 400);
    assert.match(JSON.stringify(bad.json), /since/);

    let story: Json;
    await waitUntil(async () => {
      story = (await admin.get(`/tracking/${queueId}`)).json;
      // tracking and the policy events are written in their own batches
      return story.rules.length > 0 && story.copies.length > 0;
    }, 'the story has the rule and the copy');
    assert.equal(story.queueId, queueId);
    assert.equal(story.connection.clientIp, '127.0.0.1');
    assert.equal(story.connection.tls, false);
    assert.equal(story.connection.senderFilter.result, 'trusted network');
    assert.equal(story.facts.direction, 'inbound');
    assert.deepEqual(
      story.facts.attachments.map((a: Json) => a.name),
      ['Budget-2026.xls'],
    );
    const matched = story.rules.find((r: Json) => r.ruleId === 'code-names');
    assert.ok(matched, JSON.stringify(story.rules));
    assert.match(matched.evidence[0].detail, /merger code name/);
    assert.match(matched.action, /tagSubject/);
    assert.equal(story.copies.length, 1);
    const copyId = story.copies[0].queueId;
    assert.equal(story.quarantine.length, 0);
    assert.deepEqual(
      story.deliveries.map((d: Json) => d.result),
      ['redirected'],
    );
    const stages = story.timeline.map((s: Json) => s.stage);
    assert.deepEqual(stages.slice(0, 2), ['connection', 'accepted']);
    for (const s of ['scanned', 'rule', 'copy', 'delivery'])
      assert.ok(stages.includes(s), `${s} in ${stages}`);
    assert.equal(stages.at(-1), 'final');

    // the copy's story: made from the original, delivered to the next hop
    let copy: Json;
    await waitUntil(async () => {
      copy = (await admin.get(`/tracking/${copyId}`)).json;
      return copy.status === 'delivered';
    }, 'the copy is delivered');
    assert.equal(copy.parentId, queueId);
    assert.equal(copy.deliveries[0].host, `127.0.0.1:${sink.port}`);
    assert.match(copy.deliveries[0].reply, /^250/);
    assert.equal((await admin.get('/tracking/NOSUCHID')).status, 404);
  });
});
