// Each condition on its own: what matches, what does not, and the evidence it leaves.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileCondition } from '../../src/policy/conditions/index.js';
import type { PolicyCondition } from '../../src/policy/types.js';
import type { Facts } from '../../src/scan/facts.js';
import { attachment, context } from '../helpers/policy-fixtures.js';

function run(c: PolicyCondition, over: Partial<Facts> = {}) {
  return compileCondition(c, new Map()).evaluate(context(over));
}

const eicar = { name: 'Eicar-Test-Signature', category: 'virus' as const, engine: 'clamd', attachment: '2' };
const worm = { name: 'Worm.Mydoom', category: 'mass-mailing' as const, engine: 'clamd' };

test('virus: any category when none is named; evidence names the virus and the file', () => {
  const ev = run(
    { kind: 'virus' },
    { virus: [eicar, worm], attachments: [attachment('2', { name: 'eicar.com' })] },
  );
  assert.deepEqual(ev[0], {
    condition: 'virus',
    detail: 'virus "Eicar-Test-Signature" found by clamd in "eicar.com" (2)',
    where: 'attachment:2',
    value: 'Eicar-Test-Signature',
    attachment: '2',
  });
  assert.equal(ev[1]?.value, 'Worm.Mydoom');
  assert.equal(ev[1]?.attachment, undefined);
  assert.deepEqual(run({ kind: 'virus' }, {}), []);
});

test('virus: categories filter, so mass-mailing can be treated apart', () => {
  const findings = { virus: [eicar, worm] };
  assert.deepEqual(
    run({ kind: 'virus', categories: ['mass-mailing'] }, findings).map((e) => e.value),
    ['Worm.Mydoom'],
  );
  assert.deepEqual(run({ kind: 'virus', categories: ['spyware', 'adware'] }, findings), []);
});

test('scanException: any kind, or the kinds named', () => {
  const exceptions = [
    { kind: 'encrypted' as const, detail: 'password-protected zip', attachment: '3' },
    { kind: 'too-deep' as const, detail: 'archive nesting over 10' },
  ];
  const all = run({ kind: 'scanException' }, { exceptions });
  assert.deepEqual(
    all.map((e) => [e.value, e.attachment]),
    [
      ['encrypted', '3'],
      ['too-deep', undefined],
    ],
  );
  assert.match(all[0]?.detail ?? '', /encrypted: password-protected zip in attachment 3/);
  assert.equal(run({ kind: 'scanException', kinds: ['too-deep'] }, { exceptions }).length, 1);
  assert.deepEqual(run({ kind: 'scanException', kinds: ['malformed'] }, { exceptions }), []);
});

const files = [
  attachment('1', { name: 'report.pdf', trueType: 'pdf', declaredType: 'application/pdf', size: 50_000 }),
  attachment('2', {
    name: 'invoice.pdf.exe',
    trueType: 'exe',
    doubleExtension: true,
    size: 20 * 1024 ** 2,
    declaredType: 'application/x-msdownload',
  }),
  attachment('3', { name: 'archive.zip', trueType: 'zip', encrypted: true }),
  attachment('3!a/setup.SCR', {
    name: 'a/setup.SCR',
    extension: 'scr',
    trueType: 'exe',
    depth: 1,
    parent: '3',
  }),
  attachment('4', { name: 'budget.xlsm', trueType: 'ooxml', hasMacros: true }),
  attachment('5', { name: 'form.pdf', trueType: 'pdf', pdfJavascript: true }),
  attachment('6', { name: 'renamed.txt', trueType: 'exe' }),
];

function ids(
  c: Omit<Extract<PolicyCondition, { kind: 'attachment' }>, 'kind' | 'minCount'> & { minCount?: number },
) {
  return run({ kind: 'attachment', minCount: 1, ...c }, { attachments: files })
    .map((e) => e.attachment)
    .filter((a) => a !== undefined);
}

test('attachment: name globs are case-insensitive and see inside archives', () => {
  assert.deepEqual(ids({ names: ['*.exe'] }), ['2']);
  assert.deepEqual(ids({ names: ['setup*'] }), ['3!a/setup.SCR'], 'the last path segment is matched too');
  assert.deepEqual(ids({ names: ['*.scr', 'INVOICE*'] }), ['2', '3!a/setup.SCR']);
});

test('attachment: extension, true type and declared type', () => {
  assert.deepEqual(ids({ extensions: ['scr'] }), ['3!a/setup.SCR']);
  assert.deepEqual(
    ids({ trueTypes: ['exe'] }),
    ['2', '3!a/setup.SCR', '6'],
    'a renamed program is still a program',
  );
  assert.deepEqual(ids({ declaredTypes: ['application/x-ms*'] }), ['2']);
  // kinds are alternatives: any of them identifies the file
  assert.deepEqual(ids({ names: ['*.pdf'], trueTypes: ['zip'] }), ['1', '3', '5']);
});

test('attachment: properties narrow the kinds down', () => {
  assert.deepEqual(ids({ encrypted: true }), ['3']);
  assert.deepEqual(ids({ macros: true }), ['4']);
  assert.deepEqual(ids({ pdfJavascript: true }), ['5']);
  assert.deepEqual(ids({ doubleExtension: true }), ['2']);
  assert.deepEqual(ids({ minSize: 10 * 1024 ** 2 }), ['2']);
  assert.deepEqual(ids({ trueTypes: ['pdf'], maxSize: 1000 }), ['5']);
  assert.deepEqual(ids({ trueTypes: ['pdf'], pdfJavascript: false }), ['1']);
  assert.deepEqual(ids({ names: ['*.exe'], encrypted: true }), []);
});

test('attachment: minCount counts the matching files', () => {
  assert.equal(ids({ minCount: 7 }).length, 7);
  assert.deepEqual(ids({ minCount: 8 }), []);
  const ev = run({ kind: 'attachment', minCount: 2, trueTypes: ['pdf'] }, { attachments: files });
  assert.match(ev[0]?.detail ?? '', /2 files match \(2 or more needed\)/);
  assert.deepEqual(
    ev.slice(1).map((e) => e.detail),
    ['attachment "report.pdf": true type pdf', 'attachment "form.pdf": true type pdf'],
  );
});

test('attachment: with no attachments, nothing matches', () => {
  assert.deepEqual(run({ kind: 'attachment', minCount: 1 }, { attachments: [] }), []);
});

test('size: bounds are inclusive', () => {
  const c = (min?: number, max?: number) => ({ kind: 'size' as const, min, max });
  assert.equal(run(c(2048), { size: 2048 }).length, 1);
  assert.equal(run(c(2049), { size: 2048 }).length, 0);
  assert.equal(run(c(undefined, 2048), { size: 2048 }).length, 1);
  assert.equal(run(c(1000, 2000), { size: 2048 }).length, 0);
  assert.match(run(c(1024), { size: 3 * 1024 ** 2 })[0]?.detail ?? '', /message size 3 MB is at least 1 KB/);
});

test('recipientCount: counts envelope recipients', () => {
  const envelope = {
    sender: 'a@example.net',
    recipients: Array.from({ length: 60 }, (_, i) => `u${i}@example.com`),
    clientIp: '192.0.2.1',
    helo: 'x',
  };
  assert.equal(run({ kind: 'recipientCount', min: 50 }, { envelope }).length, 1);
  assert.equal(run({ kind: 'recipientCount', min: 61 }, { envelope }).length, 0);
  assert.equal(run({ kind: 'recipientCount', max: 1 }, {}).length, 1);
});

test('header: regex over each value of the named header; presence when no pattern', () => {
  const headers = [
    { name: 'x-mailer', value: 'BulkMailer 3.1' },
    { name: 'received', value: 'from a' },
    { name: 'received', value: 'from b.spam.example' },
  ];
  const h = (name: string, pattern?: string, caseSensitive = false) =>
    run({ kind: 'header', name, pattern, caseSensitive }, { headers });
  assert.deepEqual(h('X-Mailer', '^bulk')[0], {
    condition: 'header',
    detail: 'header X-Mailer matches /^bulk/',
    where: 'header:x-mailer',
    value: 'Bulk',
  });
  assert.equal(h('X-Mailer', '^bulk', true).length, 0, 'case-sensitive when asked');
  assert.equal(h('Received', 'spam\\.example$').length, 1, 'every occurrence is tested');
  assert.equal(h('X-Mailer').length, 1);
  assert.equal(h('X-Spam').length, 0);
});

test('not: matches exactly when the inner condition does not', () => {
  const notEncrypted: PolicyCondition = {
    kind: 'not',
    condition: { kind: 'scanException', kinds: ['encrypted'] },
  };
  const ev = run(notEncrypted, {});
  assert.deepEqual(ev, [{ condition: 'not', detail: 'no match for scan exception (encrypted)' }]);
  assert.deepEqual(run(notEncrypted, { exceptions: [{ kind: 'encrypted', detail: 'zip' }] }), []);
});
