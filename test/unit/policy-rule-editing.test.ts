// Moving rules keeps the order the engine runs: global-antivirus first, antivirus rules before
// every other rule; other moves land where asked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateSettings } from '../../src/config/settings.js';
import { moveRule, orderProblem, RuleEditError, type RuleDocument } from '../../src/policy/rule-editing.js';

function rules(): RuleDocument[] {
  return validateSettings({
    policy: {
      keywordLists: [{ name: 'k', entries: ['x'] }],
      rules: [
        { id: 'a', conditions: [{ keywords: { list: 'k' } }] },
        { id: 'b', conditions: [{ size: { min: '1MB' } }] },
        { id: 'c', conditions: [{ size: { min: '2MB' } }] },
      ],
    },
  }).policy.rules;
}

const ids = (r: RuleDocument[]) => r.map((x) => x.id);

test('a rule moves to an index, before or after another', () => {
  const r = rules();
  const start = ids(r);
  assert.deepEqual(start.slice(0, 2), ['global-antivirus', 'scan-exceptions']);
  const first = start.indexOf('a');
  assert.equal(moveRule(r, 'c', { before: 'a' }), first);
  assert.deepEqual(ids(r).slice(first, first + 3), ['c', 'a', 'b']);
  moveRule(r, 'c', { after: 'b' });
  assert.deepEqual(ids(r).slice(first, first + 3), ['a', 'b', 'c']);
  moveRule(r, 'a', { to: first + 2 });
  assert.deepEqual(ids(r).slice(first, first + 3), ['b', 'c', 'a']);
  assert.equal(orderProblem(r), undefined);
});

test('an order that puts an other rule before antivirus rules is refused with the reason', () => {
  const r = rules();
  moveRule(r, 'a', { to: 0 });
  assert.match(orderProblem(r) ?? '', /global-antivirus always runs first/);
  const r2 = rules();
  moveRule(r2, 'a', { before: 'scan-exceptions' });
  assert.match(orderProblem(r2) ?? '', /antivirus rules run before every other rule: scan-exceptions/);
  const r3 = rules();
  moveRule(r3, 'scan-exceptions', { to: r3.length - 1 });
  assert.ok(orderProblem(r3));
});

test('unknown rules and positions are named', () => {
  const r = rules();
  assert.throws(
    () => moveRule(r, 'nope', { to: 0 }),
    (e: unknown) => e instanceof RuleEditError && e.kind === 'not-found',
  );
  assert.throws(() => moveRule(r, 'a', { before: 'nope' }), /no rule "nope"/);
  assert.throws(
    () => moveRule(r, 'a', { to: 99 }),
    (e: unknown) => e instanceof RuleEditError && e.kind === 'invalid',
  );
  assert.deepEqual(ids(r), ids(rules()), 'a refused move changes nothing');
});
