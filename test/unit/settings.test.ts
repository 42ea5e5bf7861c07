import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { SettingsError, toRuntimeSettings, validateSettings } from '../../src/config/settings.js';
import { formatDuration, formatSize, parseDuration, parseSize } from '../../src/config/units.js';

const ISSUE_EXAMPLE = `
smtp:
  hostname: gw.example.test
  maxMessageSize: 20MB
  maxRecipientsPerMessage: 100
domains:                          # accepted (internal) domains and where their mail goes
  - name: example.com
    nextHops: ["127.0.0.1:2626"]  # in priority order; none means MX lookup
trustedNetworks: ["127.0.0.1/32"] # may relay to any domain
delivery:
  default: mx                     # or a smart host "host:port"
  maxQueueLifetime: 5d
`;

test('the documented example imports as it is', () => {
  const s = toRuntimeSettings(validateSettings(parse(ISSUE_EXAMPLE)));
  assert.equal(s.smtp.hostname, 'gw.example.test');
  assert.equal(s.smtp.maxMessageSize, 20 * 1024 * 1024);
  assert.equal(s.smtp.maxRecipientsPerMessage, 100);
  assert.deepEqual(s.domains, [
    { name: 'example.com', nextHops: [{ host: '127.0.0.1', port: 2626 }], recipients: [] },
  ]);
  assert.deepEqual(s.trustedNetworks, ['127.0.0.1/32']);
  assert.equal(s.delivery.default, 'mx');
  assert.equal(s.delivery.maxQueueLifetime, 5 * 86_400_000);
});

test('an empty document gives safe defaults: no accepted domain, only loopback trusted', () => {
  const s = toRuntimeSettings(validateSettings({}));
  assert.deepEqual(s.domains, []);
  assert.deepEqual(s.trustedNetworks, ['127.0.0.1/32', '::1/128']);
  assert.equal(s.delivery.default, 'mx');
});

test('errors name every bad key', () => {
  try {
    validateSettings({
      smtp: { maxMessageSize: '20XB', maxMesageSize: 1 },
      domains: [{ name: 'not a domain', nextHops: ['host:99999'] }],
      trustedNetworks: ['10.0.0.0/33'],
      delivery: { default: 'smart host', maxQueueLifetime: 'forever' },
    });
    assert.fail('should have thrown');
  } catch (e) {
    assert.ok(e instanceof SettingsError);
    const text = e.message;
    for (const key of [
      'smtp.maxMessageSize',
      'smtp.maxMesageSize: unknown setting',
      'domains[0].name',
      'domains[0].nextHops[0]',
      'trustedNetworks[0]',
      'delivery.default',
      'delivery.maxQueueLifetime',
    ]) {
      assert.ok(text.includes(key), `message names ${key}:\n${text}`);
    }
  }
});

test('smart host and IPv6 next hops parse', () => {
  const s = toRuntimeSettings(
    validateSettings({
      domains: [{ name: '*.example.org', nextHops: ['[::1]:2525', 'mx.example.org'] }],
      delivery: { default: 'relay.example.net:587' },
    }),
  );
  assert.deepEqual(s.delivery.default, { host: 'relay.example.net', port: 587 });
  assert.deepEqual(s.domains[0]?.nextHops, [
    { host: '::1', port: 2525 },
    { host: 'mx.example.org', port: 25 },
  ]);
});

test('units round-trip', () => {
  assert.equal(parseSize('20MB'), 20971520);
  assert.equal(parseSize('512k'), 524288);
  assert.equal(parseSize('1.5KB'), 1536);
  assert.equal(parseSize('12 parsecs'), undefined);
  assert.equal(parseDuration('5d'), 432_000_000);
  assert.equal(parseDuration('1h30m'), 5_400_000);
  assert.equal(parseDuration('250ms'), 250);
  assert.equal(parseDuration('5 days'), undefined);
  assert.equal(formatSize(20971520), '20MB');
  assert.equal(formatDuration(432_000_000), '5d');
});
