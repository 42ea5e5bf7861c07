import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SettingsError, toRuntimeSettings, validateSettings } from '../../src/config/settings.js';
import { changedKeys, mergeSettings } from '../../src/web/settings-change.js';

const problems = (input: unknown): string[] => {
  try {
    validateSettings(input);
    return [];
  } catch (e) {
    assert.ok(e instanceof SettingsError);
    return e.problems;
  }
};

test('system settings: defaults, the host name falls back to smtp.hostname, time zones checked', () => {
  const runtime = toRuntimeSettings(validateSettings({ smtp: { hostname: 'MX.Example.com' } }));
  assert.deepEqual(runtime.system, { hostname: 'mx.example.com', timezone: 'UTC' });
  assert.equal(runtime.deployment.role, 'standalone');
  assert.deepEqual(runtime.setup, { doneSteps: [], skippedSteps: [] });
  const own = toRuntimeSettings(
    validateSettings({ system: { hostname: 'gw.example.com', timezone: 'Asia/Tokyo' } }),
  );
  assert.deepEqual(own.system, { hostname: 'gw.example.com', timezone: 'Asia/Tokyo' });
  assert.deepEqual(problems({ system: { timezone: 'Asia/Atlantis' } }), [
    'system.timezone: not an IANA time zone (write e.g. Asia/Tokyo or UTC)',
  ]);
});

test('system settings: each bad key named', () => {
  assert.deepEqual(problems({ deployment: { role: 'child' } }), [
    'deployment.parent: a child node needs parent.address',
  ]);
  const found = problems({
    notifications: {
      smtpServer: 'not a host',
      adminAddresses: ['x'],
      snmpTrapReceivers: [{ address: '192.0.2.1:99999' }],
    },
    updates: { source: 'ftp://updates.example.com' },
    ldap: { servers: ['dc1.example.com'] },
    internal: { domains: ['not a domain'] },
    setup: { skippedSteps: ['nowhere'] },
  });
  for (const key of [
    'notifications.smtpServer',
    'notifications.adminAddresses[0]',
    'notifications.snmpTrapReceivers[0].address',
    'updates.source',
    'ldap.servers[0]',
    'internal.domains[0]',
    'setup.skippedSteps[0]',
  ])
    assert.ok(
      found.some((p) => p.startsWith(`${key}:`)),
      `${key} in ${found.join('; ')}`,
    );
});

test('settings merge: objects key by key, lists replaced, null removes; changed keys named', () => {
  const base = validateSettings({
    domains: [{ name: 'a.example' }],
    updates: { proxy: 'http://p.example:3128' },
  });
  const merged = mergeSettings(base, {
    smtp: { banner: 'hello' },
    domains: [{ name: 'b.example' }],
    updates: { proxy: null },
  });
  const after = validateSettings(merged);
  assert.equal(after.smtp.banner, 'hello');
  assert.equal(after.smtp.maxMessageSize, base.smtp.maxMessageSize);
  assert.deepEqual(
    after.domains.map((d) => d.name),
    ['b.example'],
  );
  assert.equal(after.updates.proxy, undefined);
  assert.deepEqual(changedKeys(base, after), ['smtp', 'domains', 'updates']);
});
