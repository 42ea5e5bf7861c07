import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { SettingsError, toRuntimeSettings, validateSettings } from '../../src/config/settings.js';

// The snippet of issue 5, exactly.
const ISSUE_SNIPPET = `
senderFilter:
  throttling:
    ip:     { monitor: 60s, maxConnections: 5, maxMessages: 20, block: 5m }
    sender: { monitor: 60s, maxMessages: 10, block: 5m }
  ipProfiler:
    dha: { monitor: 1h, rate: 50%, minMessages: 10, nonExistentRecipients: 5, action: block-temporarily, block: 1h }
`;

const problems = (doc: unknown): string[] => {
  try {
    validateSettings(doc);
  } catch (e) {
    assert.ok(e instanceof SettingsError);
    return e.problems;
  }
  assert.fail('expected the settings to be refused');
};

test('the issue 5 snippet imports as it is, in runtime units', () => {
  const s = toRuntimeSettings(validateSettings(parse(ISSUE_SNIPPET))).senderFilter;
  assert.deepEqual(s.throttling.ip, { monitor: 60_000, maxConnections: 5, maxMessages: 20, block: 300_000 });
  assert.deepEqual(s.throttling.sender, { monitor: 60_000, maxMessages: 10, block: 300_000 });
  assert.deepEqual(s.ipProfiler.dha, {
    monitor: 3_600_000,
    rate: 0.5,
    minMessages: 10,
    nonExistentRecipients: 5,
    action: 'block-temporarily',
    block: 3_600_000,
    refuseAt: 'connect',
  });
  assert.equal(s.ipProfiler.spam, undefined, 'threats not written are off');
  assert.equal(s.rateStore, 'memory');
});

test('an empty document turns nothing on', () => {
  const s = toRuntimeSettings(validateSettings({})).senderFilter;
  assert.equal(s.enabled, true);
  assert.equal(s.throttling.ip, undefined);
  assert.equal(s.throttling.sender, undefined);
  for (const t of ['spam', 'virus', 'dha', 'bounce'] as const) assert.equal(s.ipProfiler[t], undefined);
  assert.deepEqual(s.approved, []);
  assert.deepEqual(s.blocked, []);
  assert.equal(s.connectionControl.mode, 'accept-all-except');
  assert.equal(s.replies.tooManyConnections, 'Too many connections from %IP%; try again in %RETRY%');
});

test('lists take IPs, CIDRs (v4 and v6), addresses and domains, plain or with options', () => {
  const s = toRuntimeSettings(
    validateSettings({
      senderFilter: {
        rateStore: 'redis',
        redisUrl: 'redis://127.0.0.1:6379/2',
        approved: [
          '192.0.2.10',
          '2001:db8::/32',
          'partner@example.net',
          { entry: 'example.org', resolve: true },
        ],
        blocked: [
          '*.spam.example',
          { entry: '203.0.113.0/24', expires: '2030-01-01T00:00:00Z', comment: 'ticket 7' },
        ],
        throttling: { ip: { maxMessages: 3 }, exceptions: ['198.51.100.0/24', 'bulk@example.com'] },
        ipProfiler: { bounce: { action: 'block-permanently', rate: 20 }, spam: { enabled: false } },
      },
    }),
  ).senderFilter;
  assert.deepEqual(s.approved, [
    { entry: '192.0.2.10', resolve: false },
    { entry: '2001:db8::/32', resolve: false },
    { entry: 'partner@example.net', resolve: false },
    { entry: 'example.org', resolve: true },
  ]);
  assert.deepEqual(s.blocked, [
    { entry: '*.spam.example' },
    { entry: '203.0.113.0/24', expires: Date.parse('2030-01-01T00:00:00Z'), comment: 'ticket 7' },
  ]);
  assert.deepEqual(s.throttling.ip, { monitor: 60_000, maxMessages: 3, block: 300_000 });
  assert.equal(s.ipProfiler.bounce?.action, 'block-permanently');
  assert.equal(s.ipProfiler.bounce?.rate, 0.2);
  assert.equal(s.ipProfiler.spam, undefined, 'enabled: false turns a threat off');
  assert.equal(s.redisUrl, 'redis://127.0.0.1:6379/2');
});

test('bad values are refused with the key that is wrong', () => {
  const p = problems({
    senderFilter: {
      approved: ['not an entry!'],
      blocked: [{ entry: '10.0.0.0/8', expires: 'someday' }],
      throttling: { ip: { monitor: '1 fortnight', block: '5m' } },
      ipProfiler: { dha: { rate: '150%', action: 'shrug' } },
      rateStore: 'memcached',
      replies: { blockedIp: 'two\r\nlines' },
      connectionControl: { list: ['example.com'] },
    },
  });
  const text = p.join('\n');
  for (const key of [
    'senderFilter.approved[0]',
    'senderFilter.blocked[0]',
    'senderFilter.throttling.ip.monitor',
    'senderFilter.throttling.ip: set maxConnections, maxMessages or both',
    'senderFilter.ipProfiler.dha.rate',
    'senderFilter.ipProfiler.dha.action',
    'senderFilter.rateStore',
    'senderFilter.replies.blockedIp',
    'senderFilter.connectionControl.list[0]',
  ]) {
    assert.ok(text.includes(key), `expected a problem about ${key} in:\n${text}`);
  }
  assert.match(
    problems({ senderFilter: { throttling: { ip: { maxConection: 5 } } } }).join('\n'),
    /maxConection: unknown setting/,
  );
  assert.match(
    problems({ senderFilter: { approved: [{ entry: '*.example.com', resolve: true }] } }).join('\n'),
    /only a domain name/,
  );
});
