// Routes: direction per recipient, sender and recipient patterns with wildcards, groups
// (including the built-in group:internal), exceptions, case and internationalised addresses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AddressSet, normaliseAddress, normalisePattern } from '../../src/policy/address-pattern.js';
import { compileRoute, routeMismatch } from '../../src/policy/route.js';
import type { PolicyRoute } from '../../src/policy/types.js';
import type { Direction } from '../../src/scan/facts.js';
import { decide, message, onlyRules } from '../helpers/policy-fixtures.js';

function route(over: Partial<PolicyRoute>): PolicyRoute {
  return { direction: 'all', senders: [], recipients: [], exceptSenders: [], exceptRecipients: [], ...over };
}

const groups = new Map([
  ['executives', new AddressSet(['ceo@example.com', '*@board.example.com'])],
  ['internal', new AddressSet(['*@example.com'])],
]);

function check(r: Partial<PolicyRoute>, sender: string, recipient: string, direction: Direction = 'inbound') {
  return routeMismatch(
    compileRoute(route(r)),
    { sender: normaliseAddress(sender), recipient: normaliseAddress(recipient), direction },
    (g) => groups.get(g),
  );
}

test('direction: inbound, outbound, both (no internal), all', () => {
  assert.equal(check({ direction: 'inbound' }, 'a@x.net', 'b@example.com', 'inbound'), undefined);
  assert.equal(
    check({ direction: 'inbound' }, 'b@example.com', 'a@x.net', 'outbound'),
    'direction is outbound; the rule applies to inbound',
  );
  assert.equal(check({ direction: 'both' }, 'b@example.com', 'a@x.net', 'outbound'), undefined);
  assert.match(check({ direction: 'both' }, 'b@example.com', 'c@example.com', 'internal') ?? '', /internal/);
  assert.equal(check({ direction: 'all' }, 'b@example.com', 'c@example.com', 'internal'), undefined);
});

test('sender and recipient patterns: exact, *@domain, bare domain, subdomain wildcard, *', () => {
  assert.equal(check({ senders: ['alice@x.net'] }, 'Alice@X.NET', 'b@example.com'), undefined);
  assert.equal(check({ senders: ['*@x.net'] }, 'carol@x.net', 'b@example.com'), undefined);
  assert.equal(check({ senders: ['x.net'] }, 'carol@x.net', 'b@example.com'), undefined);
  assert.match(check({ senders: ['x.net'] }, 'carol@mail.x.net', 'b@example.com') ?? '', /matches none/);
  assert.equal(check({ senders: ['*@*.x.net'] }, 'carol@mail.x.net', 'b@example.com'), undefined);
  assert.equal(check({ senders: ['sales-*@x.net'] }, 'sales-eu@x.net', 'b@example.com'), undefined);
  assert.equal(check({ recipients: ['*'] }, 'a@x.net', 'anyone@anywhere.test'), undefined);
  assert.equal(
    check({ recipients: ['*@example.com'] }, 'a@x.net', 'b@example.org'),
    "recipient b@example.org matches none of the rule's recipients",
  );
});

test('the null sender matches only "*" or an empty list', () => {
  assert.equal(check({}, '', 'b@example.com'), undefined);
  assert.equal(check({ senders: ['*'] }, '', 'b@example.com'), undefined);
  assert.equal(
    check({ senders: ['*@*'] }, '', 'b@example.com'),
    "sender <> matches none of the rule's senders",
  );
});

test('groups and exceptions, with the pattern that decided in the reason', () => {
  assert.equal(check({ recipients: ['group:executives'] }, 'a@x.net', 'CEO@example.com'), undefined);
  assert.equal(check({ recipients: ['group:executives'] }, 'a@x.net', 'jane@board.example.com'), undefined);
  assert.match(
    check({ recipients: ['group:executives'] }, 'a@x.net', 'bob@example.com') ?? '',
    /matches none/,
  );
  assert.equal(
    check(
      { recipients: ['*@example.com'], exceptRecipients: ['group:executives'] },
      'a@x.net',
      'ceo@example.com',
    ),
    'recipient ceo@example.com is excepted by group:executives (ceo@example.com)',
  );
  assert.equal(
    check({ exceptSenders: ['*@partner.example'] }, 'a@partner.example', 'b@example.com'),
    'sender a@partner.example is excepted by *@partner.example',
  );
  assert.equal(check({ senders: ['group:internal'] }, 'b@example.com', 'a@x.net', 'outbound'), undefined);
});

test('internationalised addresses: Unicode domains match their A-label form, local parts fold case', () => {
  assert.equal(normalisePattern('*@例え.jp'), '*@xn--r8jz45g.jp');
  assert.equal(normaliseAddress('ユーザー@例え.JP'), 'ユーザー@xn--r8jz45g.jp');
  assert.equal(normaliseAddress('<Ünïcode@Example.COM>'), 'ünïcode@example.com');
  assert.equal(check({ senders: ['*@例え.jp'] }, 'taro@xn--r8jz45g.jp', 'b@example.com'), undefined);
  assert.equal(check({ senders: ['例え.jp'] }, 'taro@例え.jp', 'b@example.com'), undefined);
  assert.equal(check({ senders: ['ÜSER@example.com'] }, 'üser@example.com', 'b@example.com'), undefined);
  // NFC: a decomposed "é" (e + U+0301) matches the composed one
  assert.equal(check({ senders: ['josé@x.net'] }, 'jose\u0301@x.net', 'b@example.com'), undefined);
});

test('through the engine: group:internal comes from the accepted domains, per recipient', () => {
  const settings = onlyRules([
    {
      id: 'to-internal',
      route: { recipients: ['group:internal'] },
      actions: { intercept: 'hold' },
    },
  ]);
  const d = decide(
    settings,
    message({
      envelope: {
        sender: 'a@x.net',
        recipients: ['b@example.com', 'c@sub.example.org', 'd@example.org', 'e@x.net'],
        clientIp: '192.0.2.1',
        helo: 'x',
      },
    }),
  );
  assert.deepEqual(
    d.recipients.map((r) => [r.recipient, r.direction, r.intercept.type]),
    [
      ['b@example.com', 'inbound', 'hold'],
      ['c@sub.example.org', 'inbound', 'hold'],
      ['d@example.org', 'outbound', 'deliver'],
      ['e@x.net', 'outbound', 'deliver'],
    ],
  );
});
