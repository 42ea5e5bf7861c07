import { test } from 'node:test';
import assert from 'node:assert/strict';
import { entryKind, matchIp, matchSender, type ListEntry } from '../../src/sender/lists.js';
import { fillReply, humanDuration } from '../../src/sender/replies.js';
import { thresholdCrossed } from '../../src/sender/profiler.js';
import type { ThreatRule } from '../../src/sender/sender-settings.js';

const list = (...entries: (string | ListEntry)[]): ListEntry[] =>
  entries.map((e) => (typeof e === 'string' ? { entry: e } : e));

test('entries are classified by their shape', () => {
  assert.equal(entryKind('192.0.2.1'), 'network');
  assert.equal(entryKind('192.0.2.0/24'), 'network');
  assert.equal(entryKind('2001:db8::/32'), 'network');
  assert.equal(entryKind('::1'), 'network');
  assert.equal(entryKind('user@example.com'), 'address');
  assert.equal(entryKind('example.com'), 'domain');
  assert.equal(entryKind('*.example.com'), 'domain');
  assert.equal(entryKind('192.0.2.0/33'), undefined);
  assert.equal(entryKind('user@*.example.com'), undefined);
  assert.equal(entryKind('exa mple.com'), undefined);
});

test('IPs match hosts and CIDR blocks of their own family, IPv4-mapped IPv6 as IPv4', () => {
  const l = list('192.0.2.7', '198.51.100.0/24', '2001:db8:1::/48', '::1');
  assert.equal(matchIp(l, '192.0.2.7')?.entry, '192.0.2.7');
  assert.equal(matchIp(l, '::ffff:192.0.2.7')?.entry, '192.0.2.7');
  assert.equal(matchIp(l, '198.51.100.254')?.entry, '198.51.100.0/24');
  assert.equal(matchIp(l, '::ffff:198.51.100.1')?.entry, '198.51.100.0/24');
  assert.equal(matchIp(l, '2001:DB8:1:ffff::5')?.entry, '2001:db8:1::/48');
  assert.equal(matchIp(l, '0:0:0:0:0:0:0:1')?.entry, '::1');
  assert.equal(matchIp(l, '192.0.2.8'), undefined);
  assert.equal(matchIp(l, '2001:db8:2::1'), undefined);
  assert.equal(matchIp(l, 'not-an-ip'), undefined);
  assert.equal(matchIp([], '192.0.2.7'), undefined);
});

test('senders match by address, domain, or parent domain for "*." entries, case-insensitively', () => {
  const l = list('Alice@Example.com', 'partner.example', '*.corp.example');
  assert.equal(matchSender(l, 'alice@example.COM')?.entry, 'Alice@Example.com');
  assert.equal(matchSender(l, 'bob@example.com'), undefined);
  assert.equal(matchSender(l, 'anyone@PARTNER.example')?.entry, 'partner.example');
  assert.equal(matchSender(l, 'x@sub.partner.example'), undefined, 'a plain domain is not its subdomains');
  assert.equal(matchSender(l, 'x@a.b.corp.example')?.entry, '*.corp.example');
  assert.equal(
    matchSender(l, 'x@corp.example'),
    undefined,
    '"*." is the subdomains only, as for accepted domains',
  );
  assert.equal(matchSender(l, ''), undefined, 'the null sender matches nothing');
});

test('temporary entries stop matching when they expire', () => {
  const l = list({ entry: '203.0.113.0/24', expires: 1000 }, { entry: 'spam.example', expires: 1000 });
  assert.ok(matchIp(l, '203.0.113.9', 999));
  assert.equal(matchIp(l, '203.0.113.9', 1000), undefined);
  assert.ok(matchSender(l, 'a@spam.example', 999));
  assert.equal(matchSender(l, 'a@spam.example', 1001), undefined);
});

test('reply texts: tokens and the time left in words', () => {
  assert.equal(humanDuration(300_000), '5 minutes');
  assert.equal(humanDuration(299_999.6), '5 minutes');
  assert.equal(humanDuration(240_500), '5 minutes', 'rounded up: the client must not come back too early');
  assert.equal(humanDuration(3_600_000), '1 hour');
  assert.equal(humanDuration(90_000), '2 minutes');
  assert.equal(humanDuration(1500), '2 seconds');
  assert.equal(humanDuration(0), '1 second');
  assert.equal(humanDuration(2 * 86_400_000), '2 days');
  assert.equal(
    fillReply('Too many connections from %IP%; try again in %RETRY%', {
      ip: '127.0.0.5',
      until: 300_000,
      now: 0,
    }),
    'Too many connections from 127.0.0.5; try again in 5 minutes',
  );
  assert.equal(
    fillReply('%IP% is blocked for %THREAT%', { ip: '192.0.2.1', threat: 'dha' }),
    '192.0.2.1 is blocked for a directory harvest attack',
  );
  assert.equal(fillReply('until %UNTIL%', { until: 0 }), 'until 1970-01-01T00:00:00.000Z');
});

test('profiler thresholds: minimum traffic, rate and (DHA) unknown recipients must all be reached', () => {
  const rule: ThreatRule = {
    monitor: 3_600_000,
    rate: 0.5,
    minMessages: 10,
    nonExistentRecipients: 5,
    action: 'block-temporarily',
    block: 3_600_000,
    refuseAt: 'connect',
  };
  assert.equal(thresholdCrossed('dha', rule, 9, 9), false, 'under minMessages');
  assert.equal(thresholdCrossed('dha', rule, 10, 5), true);
  assert.equal(thresholdCrossed('dha', rule, 10, 4), false, 'under the rate');
  assert.equal(thresholdCrossed('dha', { ...rule, rate: 0.1 }, 40, 4), false, 'under nonExistentRecipients');
  assert.equal(
    thresholdCrossed('spam', { ...rule, rate: 0.1 }, 40, 4),
    true,
    'only DHA counts unknown recipients',
  );
  assert.equal(thresholdCrossed('spam', { ...rule, rate: 0 }, 40, 0), false, 'no hit, no block');
});
