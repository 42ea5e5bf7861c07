// Scanning and policy end to end: SMTP in, the real parser, the built-in engine and the rules,
// then the next hop, the quarantine and the logs, all through the running gateway and its CLI.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { startSink, type Sink, type ReceivedMessage } from '../helpers/sink.js';
import { sendRaw } from '../helpers/send.js';
import { waitUntil } from '../helpers/tmp.js';
import { attachment, b64, gzip, message, zip } from '../fixtures/mime/builders.js';
import { EICAR as EICAR_TEXT } from '../fixtures/eicar.js';

const EICAR = Buffer.from(EICAR_TEXT, 'latin1');

function withSubject(raw: Buffer, subject: string): Buffer {
  return Buffer.from(raw.toString('latin1').replace('Subject: test', `Subject: ${subject}`), 'latin1');
}

interface QuarantineJson {
  id: string;
  queueId: string;
  area: string;
  recipients: string[];
  reason: string;
}
interface PolicyEventJson {
  queueId: string;
  recipient: string;
  ruleId: string;
  action: string;
  evidence: { condition: string; detail: string; where?: string; value?: string }[];
}

describe('scanning and policy through the gateway', () => {
  let sink: Sink;
  let gw: TestGateway;

  before(async () => {
    sink = await startSink();
    gw = await startGateway({
      settings: {
        smtp: { hostname: 'gw.example.test' },
        domains: [{ name: 'example.com', nextHops: [`127.0.0.1:${sink.port}`] }],
        trustedNetworks: ['127.0.0.1/32'],
        // mail for outside domains (notifications to outside senders) goes to the sink too
        delivery: { default: `127.0.0.1:${sink.port}` },
        policy: {
          keywordLists: [
            {
              name: 'project-names',
              mode: 'any',
              entries: [
                { pattern: '\\bblue ?falcon\\b', regex: true, description: 'code name of the merger' },
              ],
            },
          ],
          notificationTemplates: [
            {
              name: 'blocked',
              subject: 'Blocked: %SUBJECT%',
              body: 'Your message to %RCPTS% was stopped by %RULENAME% (%ACTION%).',
            },
          ],
          rules: [
            {
              id: 'code-names',
              name: 'Code names stay inside',
              route: { direction: 'both' },
              conditions: [
                {
                  keywords: {
                    list: 'project-names',
                    in: ['subject', 'body', 'headers', 'attachmentNames', 'attachmentText'],
                  },
                },
              ],
              actions: {
                intercept: { action: 'quarantine', area: 'policy' },
                monitor: [{ notify: { template: 'blocked', to: 'sender' } }],
              },
            },
            {
              id: 'cards-out',
              name: 'No card numbers out',
              route: { direction: 'outbound' },
              conditions: [{ dlp: { template: 'credit-card', minCount: 2 } }],
              actions: { intercept: { action: 'quarantine', area: 'policy' } },
            },
            {
              id: 'no-exe',
              name: 'Strip executables',
              route: { direction: 'inbound' },
              conditions: [{ attachment: { trueTypes: ['exe'] } }],
              actions: {
                intercept: { action: 'continue' },
                modify: [
                  { stripAttachments: { which: 'matching', note: 'The file %FILENAME% was removed.' } },
                  { tagSubject: '[stripped]' },
                ],
              },
            },
            {
              id: 'ceo-only',
              name: 'Quarantine for the CEO only',
              route: { direction: 'inbound', recipients: ['ceo@example.com'] },
              conditions: [{ header: { name: 'X-Campaign', pattern: '.' } }],
              actions: { intercept: { action: 'quarantine', area: 'policy' } },
            },
          ],
        },
      },
    });
  });
  after(async () => {
    await gw?.stop();
    await sink?.close();
  });

  const server = () => ({ host: gw.host, port: gw.port });
  const quarantineList = async (args: string[] = []) => {
    const r = await gw.cli(['quarantine', 'list', '--json', ...args]);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as QuarantineJson[];
  };
  const policyEvents = async (queueId: string) => {
    const r = await gw.cli(['log', 'policy', '--json', '--id', queueId]);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as PolicyEventJson[];
  };
  const tracked = async (queueId: string) => {
    const r = await gw.cli(['log', 'tracking', '--json', '--id', queueId]);
    return (JSON.parse(r.stdout) as { status: string; verdict: string | null }[])[0];
  };
  const contains = (text: string) => (m: ReceivedMessage) => m.raw.toString('latin1').includes(text);
  const delivered = (subject: string) => (all: ReceivedMessage[]) => all.some(contains(subject));

  const eicarCarriers: [string, Buffer][] = [
    [
      'at the top level',
      message([], { headers: ['Content-Type: text/plain'], body: EICAR.toString('latin1') }),
    ],
    ['in a zip', message([], [attachment('report.zip', zip([{ name: 'eicar.com', data: EICAR }]))])],
    [
      'in a zip in a zip',
      message(
        [],
        [
          attachment(
            'outer.zip',
            zip([{ name: 'inner.zip', data: zip([{ name: 'eicar.txt', data: EICAR }]) }]),
          ),
        ],
      ),
    ],
    ['in a base64 part with a lying name', message([], [attachment('holiday.jpg', EICAR, 'image/jpeg')])],
    ['in a gzip', message([], [attachment('data.gz', gzip(EICAR, 'data.bin'))])],
  ];
  for (const [where, raw] of eicarCarriers) {
    test(`EICAR ${where} is quarantined with the default settings and never delivered`, async () => {
      const subject = `eicar ${where}`;
      const sent = await sendRaw(
        server(),
        'alice@sender.test',
        ['bob@example.com'],
        withSubject(raw, subject),
      );
      assert.ok(sent.queueId, sent.response);
      await waitUntil(
        async () => (await tracked(sent.queueId ?? ''))?.status === 'quarantined',
        'quarantined',
      );
      const [q] = (await quarantineList()).filter((e) => e.queueId === sent.queueId);
      assert.equal(q?.area, 'virus');
      assert.match(q?.reason ?? '', /Eicar-Test-Signature/);
      assert.match((await tracked(sent.queueId ?? ''))?.verdict ?? '', /virus Eicar-Test-Signature/);
      const [event] = await policyEvents(sent.queueId ?? '');
      assert.equal(event?.ruleId, 'global-antivirus');
      assert.ok(event?.evidence.some((e) => /Eicar/.test(e.detail)));
      assert.equal(sink.messages.some(contains(subject)), false);
    });
  }

  test('a clean message with attachments passes byte-identical except for the added headers', async () => {
    const raw = withSubject(
      message(
        ['Message-ID: <clean-1@sender.test>'],
        [
          {
            headers: ['Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: 8bit'],
            body: Buffer.from('こんにちは\r\n'),
          },
          attachment('table.csv', Buffer.from('a,b\r\n1,2\r\n'), 'text/csv'),
          attachment('photo.png', Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'), 'image/png'),
        ],
      ),
      'clean one',
    );
    await sendRaw(server(), 'alice@sender.test', ['bob@example.com'], raw);
    const m = (await sink.waitFor(delivered('clean one'))).find(contains('clean one'));
    const text = m?.raw.toString('latin1') ?? '';
    // what Sekimori adds on top: its spam verdict headers and its Received header
    const withoutTrace = text
      .replace(/^(X-Sekimori-Spam[-A-Za-z]*: [^\r\n]*\r\n)+/, '')
      .replace(/^Received: [^\r\n]*(\r\n[ \t][^\r\n]*)*\r\n/, '');
    assert.equal(
      Buffer.from(withoutTrace, 'latin1').equals(raw),
      true,
      'same bytes after our Received header',
    );
  });

  test('a keyword rule quarantines, logs where the keyword was and notifies the sender', async () => {
    const raw = withSubject(
      message(
        [],
        [attachment('plans.txt', Buffer.from('Timeline for Blue Falcon closing\r\n'), 'text/plain')],
      ),
      'quarterly plans',
    );
    const sent = await sendRaw(server(), 'alice@sender.test', ['bob@example.com'], raw);
    await waitUntil(async () => (await tracked(sent.queueId ?? ''))?.status === 'quarantined', 'quarantined');
    const events = await policyEvents(sent.queueId ?? '');
    const e = events.find((x) => x.ruleId === 'code-names');
    assert.ok(e, JSON.stringify(events));
    assert.match(JSON.stringify(e?.evidence), /Blue Falcon/i);
    assert.match(JSON.stringify(e?.evidence), /attachment/);
    const notes = await sink.waitFor((all) =>
      all.some((m) => m.from === '' && m.raw.toString('latin1').includes('Blocked')),
    );
    const note = notes.find((m) => m.from === '' && m.to[0] === 'alice@sender.test');
    assert.ok(note, 'the sender was notified');
  });

  test('card numbers going out are quarantined (DLP, outbound only)', async () => {
    const body = 'Cards: 4111 1111 1111 1111 and 5500-0000-0000-0004\r\n';
    const out = withSubject(message([], { headers: ['Content-Type: text/plain'], body }), 'cards out');
    const real = await sendRaw(server(), 'bob@example.com', ['someone@outside.test'], out);
    await waitUntil(
      async () => (await tracked(real.queueId ?? ''))?.status === 'quarantined',
      'outbound quarantined',
    );
    const events = await policyEvents(real.queueId ?? '');
    assert.ok(
      events.some((e) => e.ruleId === 'cards-out' && /\*{4}/.test(JSON.stringify(e.evidence))),
      'masked evidence',
    );
    const inbound = await sendRaw(
      server(),
      'alice@sender.test',
      ['bob@example.com'],
      withSubject(out, 'cards in'),
    );
    await waitUntil(
      async () => (await tracked(inbound.queueId ?? ''))?.status === 'delivered',
      'inbound delivered',
    );
  });

  test('an executable is stripped by its true type, whatever its name, and the subject tagged', async () => {
    const exe = Buffer.concat([Buffer.from('MZ'), Buffer.alloc(200, 0x90)]);
    const raw = withSubject(
      message(
        [],
        [
          { headers: ['Content-Type: text/plain'], body: 'see attached\r\n' },
          attachment('readme.txt', exe, 'text/plain'),
        ],
      ),
      'an exe inside',
    );
    await sendRaw(server(), 'alice@sender.test', ['bob@example.com'], raw);
    const m = (await sink.waitFor(delivered('an exe inside'))).find(contains('an exe inside'));
    const text = m?.raw.toString('latin1') ?? '';
    assert.match(text, /^Subject: \[stripped\] an exe inside/m);
    assert.doesNotMatch(text, new RegExp(b64(exe).slice(0, 40).replace(/[+/]/g, '\\$&')));
    assert.match(
      text,
      new RegExp(Buffer.from('The file readme.txt was removed.').toString('base64').slice(0, 20)),
    );
  });

  test('recipients of one message get their own outcomes, each delivered at most once', async () => {
    const raw = withSubject(
      message(['X-Campaign: spring'], { headers: ['Content-Type: text/plain'], body: 'hi\r\n' }),
      'two fates',
    );
    const sent = await sendRaw(server(), 'alice@sender.test', ['ceo@example.com', 'staff@example.com'], raw);
    await sink.waitFor(delivered('two fates'));
    await waitUntil(
      async () => (await quarantineList()).some((q) => q.queueId === sent.queueId),
      'quarantined for the CEO',
    );
    const copies = sink.messages.filter(contains('two fates'));
    assert.equal(copies.length, 1);
    assert.deepEqual(copies[0]?.to, ['staff@example.com']);
    const [q] = (await quarantineList()).filter((x) => x.queueId === sent.queueId);
    assert.deepEqual(q?.recipients, ['ceo@example.com']);

    // Releasing it sends the original on, to the CEO only.
    const released = await gw.cli(['quarantine', 'release', q?.id ?? '']);
    assert.equal(released.code, 0, released.stderr);
    await sink.waitFor((all) => all.filter(contains('two fates')).length === 2);
    const second = sink.messages.filter(contains('two fates'))[1];
    assert.deepEqual(second?.to, ['ceo@example.com']);
    const again = await gw.cli(['quarantine', 'release', q?.id ?? '']);
    assert.equal(again.code, 3, 'a message is released once');
  });

  test('a zip bomb and 30 levels of nesting stop at the limits and go to the scan-exception action', async () => {
    let nested: Buffer = Buffer.from('innermost');
    for (let i = 0; i < 30; i++) nested = zip([{ name: `level${i}.zip`, data: nested }]);
    const bomb = zip([{ name: 'zeros.bin', data: Buffer.alloc(300 * 1024 * 1024) }]);
    for (const [name, data] of [
      ['deep.zip', nested],
      ['bomb.zip', bomb],
    ] as const) {
      const sent = await sendRaw(
        server(),
        'alice@sender.test',
        ['bob@example.com'],
        withSubject(message([], [attachment(name, data)]), name),
      );
      await waitUntil(
        async () => (await tracked(sent.queueId ?? ''))?.status === 'quarantined',
        `${name} quarantined`,
      );
      const [q] = (await quarantineList()).filter((x) => x.queueId === sent.queueId);
      assert.equal(q?.area, 'scan-exceptions');
    }
    const status = await gw.cli(['status', '--json']);
    assert.equal(status.code, 0, 'the node is still up');
  });

  test('scan prints facts, verdicts and the decision for a file without sending it', async () => {
    const { writeFile } = await import('node:fs/promises');
    const { join } = await import('node:path');
    const file = join(gw.dataDir, 'try.eml');
    await writeFile(file, message([], [attachment('report.zip', zip([{ name: 'eicar.com', data: EICAR }]))]));
    const r = await gw.cli(['scan', file, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as {
      facts: { attachments: { name?: string }[]; virus: { name: string }[] };
      decision: { recipients: { intercept: { type: string }; matched: { ruleId: string }[] }[] };
      warnings: string[];
    };
    assert.ok(out.facts.attachments.some((a) => a.name === 'eicar.com'));
    assert.ok(out.facts.virus.some((v) => v.name === 'Eicar-Test-Signature'));
    assert.equal(out.decision.recipients[0]?.intercept.type, 'quarantine');
    assert.match(out.warnings.join(' '), /signature scanning is off/);
  });
});
