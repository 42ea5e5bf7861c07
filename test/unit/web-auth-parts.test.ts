// The console's small parts: logon throttling, password rules, secrets kept out of the audit
// log, language choice, stopping/starting node services, and the console settings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LogonThrottle } from '../../src/web/logon-throttle.js';
import { passwordProblem } from '../../src/web/passwords.js';
import { withoutSecrets } from '../../src/web/audit-log.js';
import { resolveLanguage } from '../../src/web/console-auth.js';
import { NodeServices } from '../../src/web/node-services.js';
import { allows, completePermissions } from '../../src/web/roles.js';
import { silentLogger } from '../../src/util/log.js';
import { SetupCode, setupCodePath } from '../../src/web/setup-code.js';
import { readFile } from 'node:fs/promises';
import { tempDir } from '../helpers/tmp.js';
import { SettingsError, toRuntimeSettings, validateSettings } from '../../src/config/settings.js';

test('each failed logon doubles the wait, per address and per account, up to a ceiling', () => {
  let now = 0;
  const t = new LogonThrottle(() => now);
  assert.equal(t.delayFor('192.0.2.1', 'admin'), 0);
  const delays: number[] = [];
  for (let i = 0; i < 8; i++) {
    t.failed('192.0.2.1', 'admin');
    delays.push(t.delayFor('192.0.2.1', 'admin'));
  }
  assert.deepEqual(delays, [250, 500, 1000, 2000, 4000, 8000, 8000, 8000]);
  // the same account from elsewhere waits too; another account from the same address too
  assert.equal(t.delayFor('198.51.100.9', 'admin'), 8000);
  assert.equal(t.delayFor('192.0.2.1', 'other'), 8000);
  assert.equal(t.delayFor('198.51.100.9', 'other'), 0);
  // success clears both; old failures are forgotten
  t.succeeded('192.0.2.1', 'admin');
  assert.equal(t.delayFor('192.0.2.1', 'admin'), 0);
  t.failed('203.0.113.5', 'bob');
  now += 16 * 60_000;
  assert.equal(t.delayFor('203.0.113.5', 'bob'), 0);
});

test('password rules: at least 10 characters, not the account name', () => {
  assert.match(passwordProblem('admin', 'short') ?? '', /at least 10/);
  assert.match(passwordProblem('administrator', 'Administrator') ?? '', /account name/);
  assert.equal(passwordProblem('admin', 'correct horse'), undefined);
  assert.equal(passwordProblem('admin', 'パスワードは十文字以上'), undefined);
});

test('bodies lose every secret-looking key before they are audited', () => {
  assert.deepEqual(
    withoutSecrets({
      name: 'bob',
      password: 'p',
      newPassword: 'p',
      token: 't',
      apiToken: 't',
      clientSecret: 's',
      setupCode: 'c',
      privateKey: 'k',
      bypass: 'kept',
      list: [{ secret: 1, keep: 2 }],
      raw: Buffer.from('abc'),
    }),
    { name: 'bob', bypass: 'kept', list: [{ keep: 2 }], raw: '(3 bytes)' },
  );
});

test('language: the account\'s choice, or the browser\'s for "auto"', () => {
  assert.equal(resolveLanguage('ja', 'en-US'), 'ja');
  assert.equal(resolveLanguage('en', 'ja'), 'en');
  assert.equal(resolveLanguage('auto', 'ja-JP,ja;q=0.9,en;q=0.8'), 'ja');
  assert.equal(resolveLanguage('auto', 'en-GB,ja;q=0.5'), 'en');
  assert.equal(resolveLanguage('auto', undefined), 'en');
});

test('permissions: write implies read; sections a role does not name are none', () => {
  assert.equal(allows('write', 'read'), true);
  assert.equal(allows('read', 'write'), false);
  assert.equal(allows('none', 'read'), false);
  const p = completePermissions({ queue: 'write' });
  assert.equal(p.queue, 'write');
  assert.equal(p.accounts, 'none');
});

test('node services: SMTP stops listening and delivery pauses, and both start again', async () => {
  let listening = true;
  let paused = false;
  const services = new NodeServices(
    {
      listen: async () => (listening = true),
      stopListening: () => (listening = false),
      isListening: () => listening,
    },
    { pause: () => (paused = true), resume: () => (paused = false), isPaused: () => paused },
    silentLogger(),
  );
  assert.deepEqual(services.states(), { smtp: 'running', delivery: 'running' });
  await services.stop('smtp');
  await services.stop('delivery');
  assert.deepEqual(services.states(), { smtp: 'stopped', delivery: 'stopped' });
  await services.start('smtp');
  await services.start('delivery');
  assert.deepEqual(services.states(), { smtp: 'running', delivery: 'running' });
});

test('the console section of the settings: defaults, durations in ms, bad values named', () => {
  const defaults = toRuntimeSettings(validateSettings({})).console;
  assert.deepEqual(defaults, {
    logonNotice: '',
    sessionIdleTimeout: 30 * 60_000,
    sessionMaxLifetime: 12 * 3_600_000,
    lockoutThreshold: 5,
    lockoutDuration: 15 * 60_000,
  });
  const set = toRuntimeSettings(
    validateSettings({
      console: { logonNotice: 'Authorised use only', sessionIdleTimeout: '10m', lockoutThreshold: 3 },
    }),
  ).console;
  assert.equal(set.logonNotice, 'Authorised use only');
  assert.equal(set.sessionIdleTimeout, 600_000);
  assert.equal(set.lockoutThreshold, 3);
  assert.throws(
    () => validateSettings({ console: { sessionIdleTimeout: 'soon', lockoutThreshold: 0, colour: 'red' } }),
    (e: SettingsError) =>
      e.problems.some((p) => p.startsWith('console.sessionIdleTimeout: not a duration')) &&
      e.problems.some((p) => p.startsWith('console.lockoutThreshold:')) &&
      e.problems.some((p) => p === 'console.colour: unknown setting'),
  );
});

test('the setup code serves one first account: a second request racing with it is refused', async () => {
  const t = await tempDir('sekimori-setup-');
  try {
    const setup = new SetupCode(t.dir);
    await setup.create(silentLogger());
    const code = (await readFile(setupCodePath(t.dir), 'utf8')).trim();
    assert.equal(setup.claim('wrong'), undefined);
    const first = setup.claim(code);
    assert.ok(first, 'the right code is taken once');
    assert.equal(setup.claim(code), undefined, 'and not twice');
    first.giveBack(); // creating the account failed: the code works again
    assert.ok(setup.claim(code));
  } finally {
    await t.cleanup();
  }
});
