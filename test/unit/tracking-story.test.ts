// Message tracking tells a message's whole story: what the policy stage wrote (direction,
// facts summary, attachment names), the connection, rules with evidence, the quarantine entry,
// copies and deliveries come back in time order, and the search finds messages by subject,
// attachment, verdict and client IP — on SQLite and PostgreSQL.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { STORE_KINDS } from '../helpers/stores.js';
import { silentLogger } from '../../src/util/log.js';
import { TrackingLog, countTracking, queryTracking } from '../../src/log/tracking.js';
import { PolicyEventLog } from '../../src/log/policy-events.js';
import { messageStory } from '../../src/log/message-story.js';
import { QuarantineRepository } from '../../src/quarantine/repository.js';
import { emptyFacts, type ParsedMessage } from '../../src/scan/facts.js';
import type { Decision } from '../../src/policy/decision.js';
import type { Envelope } from '../../src/queue/types.js';
import { attachment } from '../helpers/facts.js';

/** A second ago: the quarantine stamps its entries with the real time, after the rule matched. */
const BASE = Date.now() - 1000;

function envelope(id: string, over: Partial<Envelope> = {}): Envelope {
  return {
    id,
    sender: 'alice@outside.test',
    recipients: [{ address: 'bob@example.com' }, { address: 'carol@example.com' }],
    receivedAt: BASE,
    client: { ip: '192.0.2.10', helo: 'mx.outside.test', tls: true, hostname: 'mx.outside.test' },
    size: 1234,
    subject: 'Quarterly Report Ümlaut',
    origin: 'smtp',
    ...over,
  };
}

const parsed: ParsedMessage = {
  facts: emptyFacts({
    direction: 'inbound',
    size: 1234,
    subject: 'Quarterly Report Ümlaut',
    urls: ['https://a.test/', 'https://b.test/'],
    attachments: [
      attachment('2', { name: 'Invoice.PDF.exe', trueType: 'exe', size: 4000 }),
      attachment('3', { name: 'notes.txt', trueType: 'text', size: 10 }),
    ],
    virus: [{ name: 'Eicar-Test-Signature', category: 'virus', engine: 'builtin', attachment: '2' }],
    spam: {
      score: 7.5,
      threshold: 5,
      isSpam: true,
      level: 'medium',
      reasons: [
        { rule: 'A', score: 0.5, detail: 'small' },
        { rule: 'BAYES_99', score: 4, detail: 'bayes' },
        { rule: 'DNSBL', score: 3, detail: 'listed' },
      ],
    },
  }),
  files: [],
};

const decision: Decision = {
  recipients: [
    {
      recipient: 'bob@example.com',
      direction: 'inbound',
      matched: [
        {
          ruleId: 'no-cards',
          ruleName: 'No card numbers',
          evidence: [
            {
              condition: 'dlp',
              detail: 'Visa credit card number **** **** **** 1111 in body',
              value: '**** **** **** 1111',
            },
          ],
        },
      ],
      intercept: { type: 'quarantine', area: 'policy', ruleId: 'no-cards' },
      modify: [],
      monitor: [],
    },
  ],
  traces: {},
};

for (const kind of STORE_KINDS) {
  describe(`message tracking story (${kind.name})`, () => {
    test('the story comes back in time order with every part', async () => {
      const { store, cleanup } = await kind.open();
      const log = silentLogger();
      const tracking = new TrackingLog(store, 'node-a', log, 10_000);
      const events = new PolicyEventLog(store, 'node-a', log, 10_000);
      try {
        const env = envelope('AAA1', {
          senderApproved: undefined,
          reputation: {
            ip: '192.0.2.10',
            checked: 'connect',
            verdict: 'score',
            score: 2,
            hits: [
              { zone: 'bl.test', code: '127.0.0.2', name: 'listed', list: 'bl', action: 'score', score: 2 },
            ],
          } as unknown as Envelope['reputation'],
        });
        tracking.received(env);
        tracking.scanned('AAA1', parsed, decision);
        tracking.verdict('AAA1', 'virus Eicar-Test-Signature; rules No card numbers; quarantine (policy)');
        events.record(
          {
            queueId: 'AAA1',
            sender: env.sender,
            recipient: 'bob@example.com',
            ruleId: 'no-cards',
            ruleName: 'No card numbers',
            evidence: decision.recipients[0]?.matched[0]?.evidence ?? [],
            action: 'quarantine (policy)',
          },
          env.receivedAt + 100,
        );
        const qid = await new QuarantineRepository(store).add({
          queueId: 'AAA1',
          node: 'node-a',
          area: 'policy',
          envelope: env,
          recipients: ['bob@example.com'],
          ruleId: 'no-cards',
          reason: 'No card numbers',
          details: {},
          message: Buffer.from('Subject: x\r\n\r\nbody'),
        });
        const t = Date.now();
        tracking.received(
          envelope('AAA2', {
            receivedAt: t + 1,
            recipients: [{ address: 'carol@example.com' }],
            parentId: 'AAA1',
            origin: 'local',
            scanned: true,
          }),
        );
        tracking.attempt(
          'AAA2',
          [{ address: 'carol@example.com', outcome: 'delivered', reply: '250 ok', host: '127.0.0.1:25' }],
          t + 3,
        );
        tracking.status('AAA2', 'delivered', t + 3);
        tracking.attempt(
          'AAA1',
          [
            { address: 'bob@example.com', outcome: 'quarantined', reply: `quarantined in policy as ${qid}` },
            { address: 'carol@example.com', outcome: 'redirected', reply: 'passed policy, queued as AAA2' },
          ],
          t + 2,
        );
        tracking.status('AAA1', 'delivered', t + 2);
        await tracking.flush();
        await events.flush();

        const story = await messageStory(store, 'AAA1', { isTrusted: () => false });
        assert.ok(story);
        assert.equal(story.direction, 'inbound');
        assert.equal(story.connection.tls, true);
        assert.equal(story.connection.hostname, 'mx.outside.test');
        assert.match(story.connection.senderFilter.result, /listed: bl\.test=127\.0\.0\.2/);
        assert.ok(story.facts);
        assert.deepEqual(
          story.facts.spam?.reasons.map((r) => r.rule),
          ['BAYES_99', 'DNSBL', 'A'],
          'top reasons by score',
        );
        assert.deepEqual(
          story.facts.viruses.map((v) => v.name),
          ['Eicar-Test-Signature'],
        );
        assert.deepEqual(
          story.facts.attachments.map((a) => [a.name, a.trueType]),
          [
            ['Invoice.PDF.exe', 'exe'],
            ['notes.txt', 'text'],
          ],
        );
        assert.equal(story.facts.urlCount, 2);
        assert.deepEqual(story.facts.dlp, [
          { detail: 'Visa credit card number **** **** **** 1111 in body', value: '**** **** **** 1111' },
        ]);
        assert.equal(story.rules[0]?.ruleId, 'no-cards');
        assert.match(story.rules[0]?.evidence[0]?.detail ?? '', /\*{4} 1111/);
        assert.deepEqual(
          story.quarantine.map((q) => [q.id, q.area]),
          [[qid, 'policy']],
        );
        assert.deepEqual(
          story.copies.map((c) => c.queueId),
          ['AAA2'],
        );
        assert.deepEqual(
          story.deliveries.map((d) => [d.recipient, d.result]),
          [
            ['bob@example.com', 'quarantined'],
            ['carol@example.com', 'redirected'],
          ],
        );
        const stages = story.timeline.map((s) => s.stage);
        // connection and acceptance first, the final status last; times never go backwards
        assert.deepEqual(stages.slice(0, 2), ['connection', 'accepted']);
        assert.equal(stages.at(-1), 'final');
        for (const want of ['scanned', 'rule', 'quarantined', 'copy', 'delivery'] as const)
          assert.ok(stages.includes(want), `timeline has ${want}: ${stages.join(', ')}`);
        const times = story.timeline.map((s) => s.at);
        assert.deepEqual(
          times,
          [...times].sort((a, b) => a - b),
        );
        assert.ok(stages.indexOf('rule') < stages.indexOf('copy'));

        const copy = await messageStory(store, 'AAA2');
        assert.equal(copy?.parentId, 'AAA1');
        assert.equal(await messageStory(store, 'NOPE'), undefined);
      } finally {
        await tracking.close();
        await events.close();
        await cleanup();
      }
    });

    test('search by subject, attachment, verdict, client IP and status, with paging', async () => {
      const { store, cleanup } = await kind.open();
      const tracking = new TrackingLog(store, 'node-a', silentLogger(), 10_000);
      try {
        for (let i = 0; i < 5; i++) {
          tracking.received(
            envelope(`M${i}`, {
              receivedAt: BASE + i,
              subject: i === 3 ? 'Payroll 100%_done' : `hello ${i}`,
              client: { ip: `198.51.100.${i}`, helo: 'h', tls: false },
            }),
          );
        }
        tracking.scanned('M1', parsed, decision);
        tracking.verdict('M1', 'virus Eicar-Test-Signature; quarantine (virus)');
        tracking.status('M2', 'deferred');
        await tracking.flush();
        const ids = async (q: Parameters<typeof queryTracking>[1]) =>
          (await queryTracking(store, q)).map((m) => m.queueId);

        assert.deepEqual(await ids({ subject: 'PAYROLL' }), ['M3']);
        // LIKE metacharacters in the text are literal
        assert.deepEqual(await ids({ subject: '100%_d' }), ['M3']);
        assert.deepEqual(await ids({ subject: 'ümlaut' }), [], 'only M-messages have other subjects');
        assert.deepEqual(await ids({ attachment: '*.exe' }), ['M1']);
        assert.deepEqual(await ids({ attachment: 'invoice' }), ['M1']);
        assert.deepEqual(await ids({ verdict: 'eicar' }), ['M1']);
        assert.deepEqual(await ids({ clientIp: '198.51.100.4' }), ['M4']);
        assert.deepEqual(await ids({ clientIp: '198.51.100.*' }), ['M4', 'M3', 'M2', 'M1', 'M0']);
        assert.deepEqual(await ids({ result: 'deferred' }), ['M2']);
        assert.deepEqual(await ids({ limit: 2, offset: 1 }), ['M3', 'M2']);
        assert.equal(await countTracking(store, { clientIp: '198.51.100.*' }), 5);
        assert.equal(await countTracking(store, { attachment: 'notes' }), 1);
        const [m1] = await queryTracking(store, { queueId: 'M1' });
        assert.equal(m1?.direction, 'inbound');
      } finally {
        await tracking.close();
        await cleanup();
      }
    });
  });
}
