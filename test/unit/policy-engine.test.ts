// The engine: rules in order per recipient, continue vs intercept, antivirus rules first,
// accumulated actions, malformed messages, traces that explain, tokens in actions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compilePolicy } from '../../src/policy/compile.js';
import type { Facts } from '../../src/scan/facts.js';
import { attachment, decide, file, message, onlyRules, policy } from '../helpers/policy-fixtures.js';

const envelope = (sender: string, ...recipients: string[]): Facts['envelope'] => ({
  sender,
  recipients,
  clientIp: '192.0.2.1',
  helo: 'mail.example.net',
});

const eicar = { name: 'Eicar-Test-Signature', category: 'virus' as const, engine: 'clamd', attachment: '2' };

test('default rules: a virus is quarantined to "virus", a scan exception to "scan-exceptions"', () => {
  const s = policy({});
  const infected = decide(
    s,
    message({ virus: [eicar], attachments: [attachment('2', { name: 'eicar.com' })] }),
  );
  assert.deepEqual(infected.recipients[0]?.intercept, {
    type: 'quarantine',
    area: 'virus',
    ruleId: 'global-antivirus',
  });
  assert.deepEqual(infected.recipients[0]?.matched[0]?.evidence[0]?.value, 'Eicar-Test-Signature');

  const encrypted = decide(s, message({ exceptions: [{ kind: 'encrypted', detail: 'zip with password' }] }));
  assert.deepEqual(encrypted.recipients[0]?.intercept, {
    type: 'quarantine',
    area: 'scan-exceptions',
    ruleId: 'scan-exceptions',
  });

  const clean = decide(s, message());
  assert.deepEqual(clean.recipients[0]?.intercept, { type: 'deliver' });
  assert.deepEqual(clean.recipients[0]?.matched, []);
});

test('a malformed message runs only scan-exception rules', () => {
  const s = policy({
    rules: [{ id: 'tag-all', conditions: [], actions: { modify: [{ tagSubject: '[seen]' }] } }],
  });
  const d = decide(s, message({ exceptions: [{ kind: 'malformed', detail: 'duplicate boundary' }] }));
  const r = d.recipients[0];
  assert.deepEqual(r?.intercept, { type: 'quarantine', area: 'scan-exceptions', ruleId: 'scan-exceptions' });
  assert.deepEqual(r?.modify, []);
  const trace = d.traces['bob@example.com'] ?? [];
  assert.equal(
    trace.find((t) => t.ruleId === 'global-antivirus')?.reason,
    'message is malformed: only scan-exception rules run',
  );
});

test('per recipient: one recipient quarantined, another delivered', () => {
  const s = onlyRules(
    [
      {
        id: 'exec-attachments',
        name: 'No archives to executives',
        route: { recipients: ['group:executives'] },
        conditions: [{ attachment: { trueTypes: ['zip'] } }],
        actions: { intercept: { action: 'quarantine', area: 'policy' } },
      },
    ],
    { addressGroups: [{ name: 'executives', addresses: ['ceo@example.com'] }] },
  );
  const d = decide(
    s,
    message({
      envelope: envelope('x@example.net', 'ceo@example.com', 'staff@example.com'),
      attachments: [attachment('2', { name: 'a.zip', trueType: 'zip' })],
    }),
  );
  assert.deepEqual(
    d.recipients.map((r) => [r.recipient, r.intercept]),
    [
      ['ceo@example.com', { type: 'quarantine', area: 'policy', ruleId: 'exec-attachments' }],
      ['staff@example.com', { type: 'deliver' }],
    ],
  );
  const staff = d.traces['staff@example.com']?.find((t) => t.ruleId === 'exec-attachments');
  assert.deepEqual(staff, {
    ruleId: 'exec-attachments',
    ruleName: 'No archives to executives',
    routeMatched: false,
    matched: false,
    reason: "recipient staff@example.com matches none of the rule's recipients",
    evidence: [],
  });
});

test('continue goes on and accumulates actions; the first intercept ends processing', () => {
  const s = onlyRules([
    {
      id: 'tag',
      conditions: [{ size: { min: 1 } }],
      actions: {
        modify: [{ tagSubject: '[big]' }, { addHeader: { name: 'X-Sekimori-Rule', value: '%RULENAME%' } }],
        monitor: [{ bcc: 'audit@example.com' }],
      },
    },
    {
      id: 'hold-it',
      conditions: [{ size: { min: 1 } }],
      actions: { intercept: 'hold', modify: [{ removeHeader: 'X-Foo' }] },
    },
    { id: 'never', conditions: [], actions: { intercept: 'delete' } },
  ]);
  const d = decide(s, message());
  const r = d.recipients[0];
  assert.deepEqual(r?.intercept, { type: 'hold', ruleId: 'hold-it' });
  assert.deepEqual(
    r?.matched.map((m) => m.ruleId),
    ['tag', 'hold-it'],
  );
  assert.deepEqual(r?.modify, [
    { type: 'tagSubject', text: '[big]', ruleId: 'tag' },
    { type: 'addHeader', name: 'X-Sekimori-Rule', value: 'tag', ruleId: 'tag' },
    { type: 'removeHeader', name: 'X-Foo', ruleId: 'hold-it' },
  ]);
  assert.deepEqual(r?.monitor, [{ type: 'bcc', to: 'audit@example.com', ruleId: 'tag' }]);
  const never = d.traces['bob@example.com']?.find((t) => t.ruleId === 'never');
  assert.equal(never?.matched, false);
  assert.equal(never?.reason, 'not reached: rule hold-it ended processing (held)');
});

test('antivirus rules run before other rules whatever the order written', () => {
  const s = onlyRules([
    { id: 'deliver-all', conditions: [], actions: { intercept: 'deliver' } },
    { id: 'av-delete', type: 'antivirus', conditions: [{ virus: {} }], actions: { intercept: 'delete' } },
  ]);
  const d = decide(s, message({ virus: [eicar] }));
  assert.deepEqual(d.recipients[0]?.intercept, { type: 'delete', ruleId: 'av-delete' });
  const clean = decide(s, message());
  assert.deepEqual(clean.recipients[0]?.intercept, { type: 'deliver', ruleId: 'deliver-all' });
});

test('disabled rules are skipped and say so', () => {
  const d = decide(policy({ rules: [{ id: 'default-spam', enabled: false }] }), message());
  const spam = d.traces['bob@example.com']?.find((t) => t.ruleId === 'default-spam');
  assert.deepEqual(spam, {
    ruleId: 'default-spam',
    ruleName: 'Default spam',
    routeMatched: false,
    matched: false,
    reason: 'rule is disabled',
    evidence: [],
  });
});

test('traces explain which condition failed (all) or that none matched (any)', () => {
  const s = onlyRules(
    [
      {
        id: 'both',
        conditions: [{ size: { min: 1 } }, { keywords: { list: 'secrets' } }],
      },
      {
        id: 'either',
        match: 'any',
        conditions: [{ virus: {} }, { attachment: { names: ['*.exe'] } }],
      },
    ],
    { keywordLists: [{ name: 'secrets', entries: ['bluebird'] }] },
  );
  const trace = decide(s, message()).traces['bob@example.com'] ?? [];
  const both = trace.find((t) => t.ruleId === 'both');
  assert.equal(both?.routeMatched, true);
  assert.equal(
    both?.reason,
    'condition 2 did not match: keywords (list secrets, any, in subject, body, attachmentText)',
  );
  assert.equal(both?.evidence[0]?.condition, 'size', 'what did match is kept for the tester');
  assert.equal(
    trace.find((t) => t.ruleId === 'either')?.reason,
    'no condition matched: virus (any category); attachment (names *.exe)',
  );
});

test('match any stops at the first matching condition: DLP is not run when cheaper ones match', () => {
  const s = onlyRules([
    {
      id: 'any',
      match: 'any',
      conditions: [{ dlp: { template: 'credit-card' } }, { size: { min: 1 } }],
      actions: { intercept: 'hold' },
    },
  ]);
  const d = decide(s, message({ textBody: 'card 4111 1111 1111 1111' }));
  assert.deepEqual(
    d.recipients[0]?.matched[0]?.evidence.map((e) => e.condition),
    ['size'],
  );
});

test('conditions run once per message, whatever the number of recipients or rules sharing them', () => {
  let reads = 0;
  const s = onlyRules(
    [
      {
        id: 'kw',
        conditions: [{ keywords: { list: 'k', in: ['body'] } }],
        actions: { modify: [{ tagSubject: '[k]' }] },
      },
      { id: 'kw-again', conditions: [{ keywords: { list: 'k', in: ['body'] } }] },
    ],
    { keywordLists: [{ name: 'k', entries: ['needle'] }] },
  );
  const parsed = message({
    envelope: envelope('a@x.net', 'a@example.com', 'b@example.com', 'c@example.com'),
  });
  Object.defineProperty(parsed.facts, 'textBody', {
    get: () => {
      reads++;
      return 'a needle here';
    },
  });
  const d = decide(s, parsed);
  assert.equal(
    d.recipients.every((r) => r.matched.length === 2),
    true,
  );
  assert.equal(reads, 1);
  assert.equal(compilePolicy(s), compilePolicy(s), 'compiled once per settings object');
});

test('stripAttachments: "matching" removes the files the rule found, "all" every top-level file', () => {
  const attachments = [
    attachment('1', { name: 'ok.pdf', trueType: 'pdf' }),
    attachment('2', { name: 'bad.exe', trueType: 'exe' }),
    attachment('3', { name: 'a.zip', trueType: 'zip' }),
    attachment('3!b.exe', { name: 'b.exe', trueType: 'exe', depth: 1, parent: '3' }),
  ];
  const s = onlyRules(
    [
      {
        id: 'strip',
        conditions: [{ attachment: { trueTypes: ['exe'] } }],
        actions: {
          modify: [{ stripAttachments: { which: 'matching', note: '%FILENAME% removed by %RULENAME%' } }],
        },
      },
      {
        id: 'strip-all',
        conditions: [{ keywords: { list: 'k' } }],
        actions: { modify: [{ stripAttachments: 'all' }] },
      },
    ],
    { keywordLists: [{ name: 'k', entries: ['strip everything'] }] },
  );
  const d = decide(s, message({ attachments }));
  assert.deepEqual(d.recipients[0]?.modify, [
    {
      type: 'stripAttachments',
      attachments: ['2', '3!b.exe'],
      note: '%FILENAME% removed by strip',
      ruleId: 'strip',
    },
  ]);
  const all = decide(s, message({ attachments, textBody: 'please strip everything' }));
  assert.deepEqual(
    all.recipients[0]?.modify[1]?.type === 'stripAttachments' && all.recipients[0].modify[1].attachments,
    ['1', '2', '3'],
  );
});

test('tokens are filled in for stamps, tags, headers and notifications; HTML stamps escape values', () => {
  const s = onlyRules(
    [
      {
        id: 'av',
        name: 'Virus rule',
        type: 'antivirus',
        conditions: [{ virus: {} }],
        actions: {
          intercept: { action: 'quarantine', area: 'virus' },
          modify: [
            { tagSubject: '[%VIRUSNAME%]' },
            { stamp: { text: 'From %SENDER%: %SUBJECT%', html: '<p>%SUBJECT%</p>' } },
          ],
          monitor: [{ notify: { template: 'virus-alert', to: 'admin' } }],
        },
      },
    ],
    { administratorAddress: 'admin@example.com' },
  );
  const d = decide(
    s,
    message({
      envelope: envelope('evil@x.net', 'a@example.com', 'b@example.com'),
      subject: '<script>%SENDER%\r\nBcc: x',
      virus: [eicar],
      attachments: [attachment('2', { name: 'eicar.com' })],
    }),
  );
  const r = d.recipients[0];
  assert.deepEqual(r?.modify[0], { type: 'tagSubject', text: '[Eicar-Test-Signature]', ruleId: 'av' });
  assert.deepEqual(r?.modify[1], {
    type: 'stamp',
    text: 'From evil@x.net: <script>%SENDER%\r\nBcc: x',
    html: '<p>&#60;script&#62;%SENDER%\r\nBcc: x</p>',
    position: 'bottom',
    ruleId: 'av',
  });
  const notify = r?.monitor[0];
  assert.equal(notify?.type, 'notify');
  if (notify?.type !== 'notify') return;
  assert.equal(notify.subject, 'Virus found in a message to a@example.com, b@example.com');
  assert.match(notify.body ?? '', /Sekimori found Eicar-Test-Signature in a message\./);
  assert.match(notify.body ?? '', /File: eicar\.com\n/);
  assert.match(notify.body ?? '', /Rule: Virus rule\n/);
  assert.match(notify.body ?? '', /Action: quarantined \(virus\)\n/);
  assert.deepEqual(
    d.recipients[1]?.monitor,
    d.recipients[0]?.monitor,
    'same text for every recipient: one notice',
  );
});

test('attachment text is searched by keyword rules, with evidence naming the attachment', () => {
  const s = onlyRules(
    [
      {
        id: 'kw',
        conditions: [{ keywords: { list: 'k' } }],
        actions: { intercept: { action: 'quarantine', area: 'policy' } },
      },
    ],
    {
      keywordLists: [
        { name: 'k', entries: [{ pattern: 'project\\s+bluebird', regex: true, description: 'code name' }] },
      ],
    },
  );
  const d = decide(
    s,
    message({ attachments: [attachment('2', { name: 'plan.txt', trueType: 'text' })] }, [
      file('2', 'Project  Bluebird'),
    ]),
  );
  assert.deepEqual(d.recipients[0]?.matched[0]?.evidence, [
    {
      condition: 'keywords',
      detail: 'keyword "code name" of list k in attachment 2',
      where: 'attachment:2',
      value: 'Project Bluebird',
      attachment: '2',
    },
  ]);
});
