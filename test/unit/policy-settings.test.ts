// The policy section of the settings document: the documented example imports, defaults are
// present and cannot be deleted, export/import round-trips, and every error names its key.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse, stringify } from 'yaml';
import { SettingsError, toRuntimeSettings, validateSettings } from '../../src/config/settings.js';
import { policy } from '../helpers/policy-fixtures.js';

const EXAMPLE = `
policy:
  administratorAddress: postmaster@example.com
  rules:
    - id: global-antivirus
      name: Global antivirus
      type: antivirus
      conditions:
        - virus: { categories: [virus, grayware] }
      actions:
        intercept: { action: quarantine, area: virus }
        monitor:
          - notify: { template: virus-alert, to: admin }
    - id: mass-mailing
      name: Mass-mailing viruses are deleted
      type: antivirus
      conditions:
        - virus: [mass-mailing]
      actions:
        intercept: delete
    - id: block-executables
      name: No programs from outside
      route:
        direction: inbound
        recipients: ["*@example.com", "group:executives"]
        exceptSenders: ["*@partner.example.net"]
      match: any
      conditions:
        - attachment: { names: ["*.exe"], extensions: [scr, .COM], trueTypes: [exe], minSize: 1KB }
        - not: { size: { max: 10MB } }
      actions:
        intercept: { action: quarantine, area: policy }
        modify:
          - tagSubject: "[SUSPICIOUS]"
          - stripAttachments: { which: matching, note: "%FILENAME% was removed." }
          - addHeader: { name: X-Sekimori-Rule, value: "%RULENAME%" }
          - removeHeader: X-Foo
          - stamp: { text: "Checked by Sekimori", position: top }
        monitor:
          - bcc: audit@example.com
          - archive: legal
    - id: dlp-cards
      route: { direction: outbound }
      conditions:
        - dlp: { template: credit-card, minCount: 2, in: [body, attachmentText] }
        - keywords: { list: Confidential }
        - header: { name: X-Mailer, pattern: "^Bulk" }
        - recipientCount: { min: 50 }
      actions:
        intercept: { action: reroute, host: "dlp.example.com:2525" }
  keywordLists:
    - name: confidential
      mode: score
      threshold: 10
      entries:
        - { pattern: '\\bconfidential\\b', regex: true, description: "marked confidential", score: 5 }
        - 社外秘
  addressGroups:
    - { name: executives, addresses: ["ceo@example.com", "*@board.example.com"] }
  archiveAreas:
    - { name: legal, retention: 365d }
  quarantineAreas:
    - { name: virus, retention: 90d }
`;

test('the documented example imports and resolves to runtime units', () => {
  const s = toRuntimeSettings(validateSettings(parse(EXAMPLE))).policy;
  assert.deepEqual(
    s.rules.map((r) => r.id),
    [
      'global-antivirus',
      'mass-mailing',
      'scan-exceptions',
      'block-executables',
      'dlp-cards',
      'default-spam',
      'default-graymail',
    ],
  );
  const av = s.rules[0];
  assert.deepEqual(av?.conditions[0], {
    kind: 'virus',
    categories: [
      'virus',
      'spyware',
      'adware',
      'dialer',
      'joke',
      'hacking-tool',
      'remote-access',
      'password-cracker',
      'grayware-other',
    ],
  });
  assert.deepEqual(s.rules[1]?.actions.intercept, { type: 'delete' });
  const block = s.rules.find((r) => r.id === 'block-executables');
  assert.equal(block?.name, 'No programs from outside');
  assert.deepEqual(block?.conditions[0], {
    kind: 'attachment',
    names: ['*.exe'],
    extensions: ['scr', 'com'],
    trueTypes: ['exe'],
    declaredTypes: undefined,
    minSize: 1024,
    maxSize: undefined,
    encrypted: undefined,
    macros: undefined,
    pdfJavascript: undefined,
    doubleExtension: undefined,
    minCount: 1,
  });
  assert.deepEqual(block?.conditions[1], {
    kind: 'not',
    condition: { kind: 'size', min: undefined, max: 10 * 1024 ** 2 },
  });
  assert.deepEqual(block?.actions.modify[1], {
    type: 'stripAttachments',
    which: 'matching',
    note: '%FILENAME% was removed.',
  });
  assert.deepEqual(block?.actions.modify[4], {
    type: 'stamp',
    text: 'Checked by Sekimori',
    html: undefined,
    position: 'top',
  });
  const dlp = s.rules.find((r) => r.id === 'dlp-cards');
  assert.equal(dlp?.name, 'dlp-cards', 'the name defaults to the id');
  assert.deepEqual(dlp?.actions.intercept, { type: 'reroute', host: 'dlp.example.com', port: 2525 });
  assert.deepEqual(dlp?.conditions[1], {
    kind: 'keywords',
    list: 'confidential',
    in: ['subject', 'body', 'attachmentText'],
  });
  assert.deepEqual(s.keywordLists[0]?.entries[1], {
    pattern: '社外秘',
    regex: false,
    caseSensitive: false,
    description: '社外秘',
    score: 1,
  });
  assert.equal(s.quarantineAreas.find((a) => a.name === 'virus')?.retention, 90 * 86_400_000);
  assert.equal(s.archiveAreas[0]?.retention, 365 * 86_400_000);
});

test('an empty document has the default rules, areas and templates', () => {
  const s = policy({});
  assert.deepEqual(
    s.rules.map((r) => [r.id, r.type, r.enabled]),
    [
      ['global-antivirus', 'antivirus', true],
      ['scan-exceptions', 'antivirus', true],
      ['default-spam', 'other', true],
      ['default-graymail', 'other', true],
    ],
  );
  assert.deepEqual(s.rules[0]?.conditions, [{ kind: 'virus', categories: undefined }]);
  assert.deepEqual(s.rules[0]?.actions.intercept, { type: 'quarantine', area: 'virus' });
  assert.deepEqual(s.rules[1]?.conditions, [{ kind: 'scanException', kinds: undefined }]);
  assert.deepEqual(s.rules[1]?.actions.intercept, { type: 'quarantine', area: 'scan-exceptions' });
  assert.deepEqual(s.rules[2]?.conditions, [{ kind: 'spam', threshold: undefined }]);
  assert.deepEqual(s.rules[2]?.route.direction, 'inbound');
  assert.deepEqual(s.rules[2]?.actions.intercept, { type: 'quarantine', area: 'spam' });
  assert.deepEqual(s.rules[3]?.conditions, [{ kind: 'graymail', categories: undefined }]);
  assert.deepEqual(s.rules[3]?.actions.intercept, { type: 'continue' });
  assert.deepEqual(s.rules[3]?.actions.modify, [{ type: 'tagSubject', text: '[Graymail]' }]);
  assert.deepEqual(
    s.quarantineAreas.map((a) => a.name),
    ['virus', 'scan-exceptions', 'spam', 'policy'],
  );
  assert.deepEqual(
    s.notificationTemplates.map((t) => t.name),
    ['virus-alert', 'policy-alert'],
  );
});

test('default rules left out of an import come back; edits to them are kept', () => {
  const s = policy({
    rules: [
      { id: 'mine', conditions: [{ size: { min: '1MB' } }], actions: { intercept: 'hold' } },
      { id: 'default-spam', name: 'Spam (edited)', enabled: true, conditions: [{ size: { min: 1 } }] },
    ],
    quarantineAreas: [{ name: 'legal' }],
    notificationTemplates: [
      { name: 'virus-alert', subject: 'Edited', body: 'x' },
      { name: 'mine', subject: 's', body: 'b' },
    ],
  });
  assert.deepEqual(
    s.rules.map((r) => r.id),
    ['global-antivirus', 'scan-exceptions', 'mine', 'default-spam', 'default-graymail'],
  );
  const spam = s.rules.find((r) => r.id === 'default-spam');
  assert.equal(spam?.name, 'Spam (edited)');
  assert.equal(spam?.enabled, true);
  assert.deepEqual(
    s.quarantineAreas.map((a) => a.name),
    ['virus', 'scan-exceptions', 'spam', 'policy', 'legal'],
  );
  assert.deepEqual(
    s.notificationTemplates.map((t) => [t.name, t.subject.slice(0, 6)]),
    [
      ['policy-alert', 'Policy'],
      ['virus-alert', 'Edited'],
      ['mine', 's'],
    ],
  );
});

test('a default rule written in part keeps the defaults of the keys left out', () => {
  const s = policy({
    rules: [
      { id: 'global-antivirus', enabled: false },
      { id: 'scan-exceptions', name: 'Unscannable' },
    ],
  });
  const av = s.rules[0];
  assert.equal(av?.enabled, false);
  assert.equal(av?.type, 'antivirus');
  assert.deepEqual(av?.conditions, [{ kind: 'virus', categories: undefined }]);
  assert.deepEqual(av?.actions.intercept, { type: 'quarantine', area: 'virus' });
  assert.equal(s.rules[1]?.name, 'Unscannable');
  assert.deepEqual(s.rules[1]?.actions.intercept, { type: 'quarantine', area: 'scan-exceptions' });
});

test('global-antivirus is kept first wherever it is written', () => {
  const s = policy({
    rules: [
      { id: 'a', type: 'antivirus' },
      { id: 'global-antivirus', type: 'antivirus', conditions: [{ virus: ['virus'] }] },
    ],
  });
  assert.equal(s.rules[0]?.id, 'global-antivirus');
  assert.deepEqual(s.rules[0]?.conditions, [{ kind: 'virus', categories: ['virus'] }]);
});

test('export then import gives the same document', () => {
  const first = validateSettings(parse(EXAMPLE));
  const again = validateSettings(parse(stringify(first)));
  assert.deepEqual(again.policy, first.policy);
  const empty = validateSettings({});
  assert.deepEqual(validateSettings(parse(stringify(empty))).policy, empty.policy);
});

function problems(policyDoc: unknown): string {
  try {
    validateSettings({ policy: policyDoc });
  } catch (e) {
    assert.ok(e instanceof SettingsError);
    return e.message;
  }
  assert.fail('should have thrown');
}

test('cross references name the key and the missing name', () => {
  const text = problems({
    rules: [
      { id: 'a' },
      { id: 'b' },
      {
        id: 'c',
        route: { senders: ['group:vips'] },
        conditions: [{ keywords: { list: 'secrets' } }, { not: { keywords: { list: 'other' } } }],
        actions: {
          intercept: { action: 'quarantine', area: 'nowhere' },
          monitor: [{ notify: { template: 'missing', to: 'admin' } }, { archive: 'legal' }],
        },
      },
      { id: 'a' },
      { id: 'global-antivirus', type: 'other' },
    ],
  });
  for (const line of [
    'policy.rules[2].conditions[0].keywords.list: no keyword list named "secrets"',
    'policy.rules[2].conditions[1].not.keywords.list: no keyword list named "other"',
    'policy.rules[2].route.senders[0]: no address group named "vips"',
    'policy.rules[2].actions.intercept.area: no quarantine area named "nowhere"',
    'policy.rules[2].actions.monitor[0].notify.template: no notification template named "missing"',
    'policy.rules[2].actions.monitor[0].notify.to: set policy.administratorAddress',
    'policy.rules[2].actions.monitor[1].archive: no archive area named "legal"',
    'policy.rules[3].id: another rule already has the id "a"',
    'policy.rules[4].type: the default rule global-antivirus is an antivirus rule',
  ]) {
    assert.ok(text.includes(line), `${line}\n--- in ---\n${text}`);
  }
});

test('structural errors name the key', () => {
  const text = problems({
    rules: [
      {
        id: 'bad id!',
        route: { direction: 'sideways', senders: ['a b@example.com'] },
        conditions: [
          { virus: {}, size: { min: 1 } },
          {},
          { attachment: { minSize: 'huge' } },
          { header: { name: 'X-Mailer', pattern: '(unclosed' } },
          { dlp: { template: 'passport' } },
          { size: {} },
          { scanException: ['encrypted', 'haunted'] },
        ],
        actions: {
          intercept: { action: 'quarantine' },
          modify: [
            { addHeader: { name: 'X Bad', value: 'a\r\nBcc: x@evil.example' } },
            { tagSubject: 'a', stamp: 'b' },
          ],
          monitor: [{ bcc: 'not an address' }, { notify: { template: 'virus-alert', to: 'everyone' } }],
        },
        colour: 'red',
      },
    ],
    keywordLists: [
      { name: 'k', mode: 'score', entries: [{ pattern: '[a-', regex: true }] },
      { name: 'k', entries: [] },
    ],
    addressGroups: [
      { name: 'g', addresses: ['group:other'] },
      { name: 'internal', addresses: [] },
    ],
  });
  for (const line of [
    'policy.rules[0].id:',
    'policy.rules[0].colour: unknown setting',
    'policy.rules[0].route.direction:',
    'policy.rules[0].route.senders[0]:',
    'policy.rules[0].conditions[0]: a condition has exactly one of',
    'policy.rules[0].conditions[1]: a condition needs one of',
    'policy.rules[0].conditions[2].attachment.minSize: not a size',
    'policy.rules[0].conditions[3].header.pattern: not a valid regular expression',
    'policy.rules[0].conditions[4].dlp.template:',
    'policy.rules[0].conditions[5].size: needs min, max or both',
    'policy.rules[0].conditions[6].scanException.kinds[1]:',
    'policy.rules[0].actions.intercept.area: quarantine needs area',
    'policy.rules[0].actions.modify[0].addHeader.name: not a header name',
    'policy.rules[0].actions.modify[0].addHeader.value: must be one line',
    'policy.rules[0].actions.modify[1]: a modify entry has exactly one of',
    'policy.rules[0].actions.monitor[0].bcc: not an e-mail address',
    'policy.rules[0].actions.monitor[1].notify.to: write sender, recipients, admin',
    'policy.keywordLists[0].threshold: mode score needs a threshold',
    'policy.keywordLists[0].entries[0].pattern: not a valid regular expression',
    'policy.keywordLists[1].entries:',
    'policy.addressGroups[0].addresses[0]: address groups hold addresses and patterns, not other groups',
  ]) {
    assert.ok(text.includes(line), `${line}\n--- in ---\n${text}`);
  }
});

test('reference errors appear once the structure is right, and name duplicates', () => {
  const text = problems({
    keywordLists: [
      { name: 'k', entries: ['a'] },
      { name: 'K', entries: ['b'] },
    ],
    addressGroups: [{ name: 'internal', addresses: [] }],
    archiveAreas: [{ name: 'virus' }],
  });
  assert.match(text, /policy\.keywordLists\[1\]\.name: another keyword list is already named "K"/);
  assert.match(text, /policy\.addressGroups\[0\]\.name: "internal" is built in/);
  assert.match(text, /policy\.archiveAreas\[0\]\.name: "virus" is already a quarantine area/);
});

test('intercept options that do not belong to the action are refused', () => {
  const text = problems({
    rules: [{ id: 'x', actions: { intercept: { action: 'delete', area: 'virus', host: 'a:25' } } }],
  });
  assert.match(text, /policy\.rules\[0\]\.actions\.intercept\.area: not used by delete/);
  assert.match(text, /policy\.rules\[0\]\.actions\.intercept\.host: not used by delete/);
});

test('internationalised addresses and patterns are accepted', () => {
  const s = policy({
    administratorAddress: '管理者@例え.jp',
    addressGroups: [{ name: 'jp', addresses: ['*@例え.jp', 'ユーザー@example.com'] }],
    rules: [{ id: 'x', route: { senders: ['例え.jp'] }, actions: { monitor: [{ bcc: '監査@例え.jp' }] } }],
  });
  assert.equal(s.administratorAddress, '管理者@例え.jp');
  assert.deepEqual(s.rules.find((r) => r.id === 'x')?.actions.monitor, [{ type: 'bcc', to: '監査@例え.jp' }]);
});
