// The console's front door over real HTTPS on a running gateway: no default password (a
// single-use setup code, or `sekimori admin passwd`), logon with throttling and lock-out, CSRF,
// session expiry, API tokens, roles, the audit log, and no secret ever in the log output.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { access, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import {
  consoleClient,
  logon,
  readSetupCode,
  tokenClient,
  type ConsoleClient,
  type Json,
} from '../helpers/console.js';
import { allRoutes } from '../../src/web/routes/index.js';

const ADMIN_PASSWORD = 'first admin password';
const BOB_PASSWORD = 'bob the operator 42';
const NOTICE = 'Authorised use only. Activity is logged.';

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

describe('console on a fresh gateway', () => {
  let gw: TestGateway;
  let admin: ConsoleClient;
  let setupCode: string;
  /** Every secret the test handled, to prove none reached the log. */
  const secrets: string[] = [ADMIN_PASSWORD, BOB_PASSWORD];

  before(async () => {
    gw = await startGateway({
      settings: { console: { logonNotice: NOTICE, lockoutThreshold: 3, lockoutDuration: '1h' } },
    });
  });
  after(async () => {
    await gw?.stop();
  });

  test('before any password is set, the console asks for setup and nothing else is usable', async () => {
    const anon = consoleClient(gw);
    const s = await anon.get('/session');
    assert.equal(s.status, 200);
    assert.equal(s.json.setupRequired, true);
    assert.equal(s.json.loggedOn, false);
    assert.equal(s.json.logonNotice, NOTICE);
    assert.equal((await anon.get('/accounts')).status, 401);
    assert.equal((await anon.get('/audit')).status, 401);
    assert.equal((await anon.logon('admin', 'admin')).status, 401);
    // the code file is private and the log says where it is, not what it is
    const file = join(gw.dataDir, 'console-setup-code');
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    setupCode = await readSetupCode(gw);
    secrets.push(setupCode);
    assert.match(gw.output(), /console-setup-code/);
  });

  test('the setup code is required, checked, and works once', async () => {
    const anon = consoleClient(gw);
    const wrong = await anon.post('/setup/password', { setupCode: 'not-the-code', password: ADMIN_PASSWORD });
    assert.equal(wrong.status, 403);
    const weak = await anon.post('/setup/password', { setupCode, password: 'short' });
    assert.equal(weak.status, 400);
    assert.match(weak.json.error, /at least 10 characters/);
    const missing = await anon.post('/setup/password', { password: ADMIN_PASSWORD });
    assert.equal(missing.status, 400);
    assert.ok(missing.json.details.some((d: string) => d.startsWith('body.setupCode:')));

    const ok = await anon.post('/setup/password', { setupCode, password: ADMIN_PASSWORD });
    assert.equal(ok.status, 200);
    assert.deepEqual(ok.json, { account: 'admin', role: 'administrator' });
    assert.equal(await exists(join(gw.dataDir, 'console-setup-code')), false);
    const again = await anon.post('/setup/password', { setupCode, password: 'another password 1' });
    assert.equal(again.status, 409);
    assert.equal((await anon.get('/session')).json.setupRequired, false);
  });

  test('logon answers the caller, its permissions and a CSRF token; the cookie is locked down', async () => {
    const anon = consoleClient(gw);
    const r = await anon.logon('admin', ADMIN_PASSWORD);
    assert.equal(r.status, 200);
    assert.equal(r.json.account, 'admin');
    assert.equal(r.json.role, 'administrator');
    assert.equal(r.json.permissions.accounts, 'write');
    assert.ok(r.json.csrfToken);
    const cookie = String(r.headers['set-cookie']);
    assert.match(cookie, /sekimori_session=/);
    assert.match(cookie, /HttpOnly/i);
    assert.match(cookie, /Secure/i);
    assert.match(cookie, /SameSite=Strict/i);
    admin = anon;
    secrets.push(admin.csrfToken ?? '', (admin.cookie ?? '').split('=')[1] ?? '');
    const s = await admin.get('/session');
    assert.equal(s.json.loggedOn, true);
    assert.equal(s.json.csrfToken, r.json.csrfToken);
    assert.equal((await consoleClient(gw).logon('admin', 'wrong password!')).status, 401);
  });

  test('a call that changes something needs the CSRF token of the session', async () => {
    const body = { name: 'bob', password: BOB_PASSWORD, role: 'read-only' };
    const none = await admin.post('/accounts', body, { headers: { 'x-csrf-token': '' } });
    assert.equal(none.status, 403);
    assert.match(none.json.error, /CSRF/);
    const wrong = await admin.post('/accounts', body, { headers: { 'x-csrf-token': 'guess' } });
    assert.equal(wrong.status, 403);
    const ok = await admin.post('/accounts', body);
    assert.equal(ok.status, 201);
    assert.equal(ok.json.name, 'bob');
    assert.equal(ok.json.passwordHash, undefined);
    assert.doesNotMatch(ok.text, /argon2/);
  });

  test('bad input gets a 400 naming each problem', async () => {
    const r = await admin.post('/accounts', { name: '', password: 7, role: 'read-only', extra: 1 });
    assert.equal(r.status, 400);
    assert.equal(r.json.error, 'invalid request');
    const details = r.json.details as string[];
    assert.ok(
      details.some((d) => d.startsWith('body.name:')),
      details.join('\n'),
    );
    assert.ok(
      details.some((d) => d.startsWith('body.password:')),
      details.join('\n'),
    );
    assert.ok(
      details.some((d) => /extra/.test(d)),
      details.join('\n'),
    );
    const weak = await admin.post('/accounts', { name: 'carol', password: 'carol', role: 'read-only' });
    assert.equal(weak.status, 400);
    const sameAsName = await admin.post('/accounts', {
      name: 'carolcarol',
      password: 'CarolCarol',
      role: 'read-only',
    });
    assert.equal(sameAsName.status, 400);
    assert.match(sameAsName.json.error, /account name/);
  });

  test('a read-only account sees but cannot change accounts, and the refusal is audited', async () => {
    const bob = await logon(gw, 'bob', BOB_PASSWORD);
    assert.equal((await bob.get('/session')).json.permissions.accounts, 'none');
    assert.equal((await bob.get('/audit')).status, 200);
    const r = await bob.post('/accounts', {
      name: 'mallory',
      password: 'mallory password',
      role: 'administrator',
    });
    assert.equal(r.status, 403);
    assert.equal((await admin.get('/accounts/mallory')).status, 404);
    const denied = await admin.get('/audit?account=bob&action=denied');
    assert.equal(denied.status, 200);
    assert.ok(denied.json.entries.some((e: Json) => e.target === 'POST /accounts' && e.outcome === 'denied'));
  });

  test('failed logons lock the account; an administrator unlocks it', async () => {
    await admin.post('/accounts', { name: 'dave', password: 'dave password 1', role: 'read-only' });
    const tries = [];
    for (let i = 0; i < 3; i++)
      tries.push((await consoleClient(gw).logon('dave', `wrong password ${i}`)).status);
    assert.deepEqual(tries, [401, 401, 423]);
    // the right password does not open a locked account
    assert.equal((await consoleClient(gw).logon('dave', 'dave password 1')).status, 423);
    const account = await admin.get('/accounts/dave');
    assert.ok(account.json.lockedUntil > Date.now());
    assert.equal((await admin.post('/accounts/dave/unlock')).status, 200);
    assert.equal((await consoleClient(gw).logon('dave', 'dave password 1')).status, 200);
    // and from the command line
    for (let i = 0; i < 3; i++) await consoleClient(gw).logon('dave', `wrong again ${i}`);
    assert.equal((await consoleClient(gw).logon('dave', 'dave password 1')).status, 423);
    const cli = await gw.cli(['admin', 'unlock', 'dave']);
    assert.equal(cli.code, 0, cli.stderr);
    assert.equal((await consoleClient(gw).logon('dave', 'dave password 1')).status, 200);
    const audit = await admin.get('/audit?account=dave&action=logon');
    const outcomes = new Set(audit.json.entries.map((e: Json) => e.outcome));
    assert.deepEqual([...outcomes].sort(), ['failed', 'locked', 'ok']);
  });

  test('an API token works without CSRF, inherits the role, and stops working once revoked', async () => {
    const created = await admin.post('/tokens', { name: 'monitoring', account: 'bob', expires: '30d' });
    assert.equal(created.status, 201);
    const token = created.json.token as string;
    secrets.push(token);
    assert.match(token, /^skm_/);
    const listed = await admin.get('/tokens');
    assert.ok(listed.json.tokens.some((t: Json) => t.id === created.json.id && t.token === undefined));
    assert.doesNotMatch(listed.text, /skm_/);

    const api = tokenClient(gw, token);
    assert.equal((await api.get('/session')).json.account, 'bob');
    assert.equal((await api.get('/audit')).status, 200);
    assert.equal((await api.get('/accounts')).status, 403); // bob is read-only
    assert.equal((await api.put('/session/language', { language: 'ja' })).status, 200); // no CSRF needed
    assert.equal((await tokenClient(gw, 'skm_forged').get('/audit')).status, 401);

    assert.equal((await admin.delete(`/tokens/${created.json.id}`)).status, 200);
    assert.equal((await api.get('/audit')).status, 401);
  });

  test('your own password and language', async () => {
    const bob = await logon(gw, 'bob', BOB_PASSWORD);
    assert.equal(
      (await bob.put('/session/password', { current: 'wrong one!!', new: 'x'.repeat(12) })).status,
      400,
    );
    assert.equal((await bob.put('/session/password', { current: BOB_PASSWORD, new: 'short' })).status, 400);
    const newPassword = 'bob new password 7';
    secrets.push(newPassword);
    assert.equal(
      (await bob.put('/session/password', { current: BOB_PASSWORD, new: newPassword })).status,
      200,
    );
    assert.equal((await bob.get('/session')).json.loggedOn, true); // this session stays
    assert.equal((await consoleClient(gw).logon('bob', BOB_PASSWORD)).status, 401);
    await logon(gw, 'bob', newPassword);
    assert.equal((await bob.put('/session/language', { language: 'xx' })).status, 400);
    assert.equal((await bob.put('/session/language', { language: 'en' })).status, 200);
    assert.equal((await bob.get('/session')).json.language, 'en');
  });

  test('accounts: no deleting yourself or the last administrator; roles are checked', async () => {
    assert.equal((await admin.delete('/accounts/admin')).status, 409);
    assert.equal((await admin.patch('/accounts/admin', { role: 'read-only' })).status, 409);
    assert.equal((await admin.patch('/accounts/bob', { role: 'no-such-role' })).status, 400);
    assert.equal((await admin.put('/roles/administrator', { permissions: {} })).status, 409);
    assert.equal((await admin.delete('/roles/read-only')).status, 409);
    const roles = await admin.get('/roles');
    assert.ok(roles.json.sections.includes('accounts'));
    assert.deepEqual(
      roles.json.roles.map((r: Json) => r.name),
      ['administrator', 'read-only'],
    );
    // a second administrator can remove the first
    await admin.post('/accounts', { name: 'erin', password: 'erin password 1', role: 'administrator' });
    const erin = await logon(gw, 'erin', 'erin password 1');
    assert.equal((await erin.delete('/accounts/dave')).status, 200);
    assert.equal((await admin.get('/accounts/dave')).status, 404);
  });

  test('logoff ends the session', async () => {
    const c = await logon(gw, 'erin', 'erin password 1');
    assert.equal((await c.get('/accounts')).status, 200);
    const cookie = c.cookie;
    assert.equal((await c.delete('/session')).status, 200);
    c.cookie = cookie; // a stolen copy of the cookie is worthless too
    assert.equal((await c.get('/accounts')).status, 401);
  });

  test('the audit log records logons and changes, searchable by account, without secrets', async () => {
    const mine = await admin.get('/audit?account=admin&limit=500');
    const actions = mine.json.entries.map((e: Json) => e.action);
    assert.ok(actions.includes('logon'));
    assert.ok(actions.includes('accounts.create'));
    assert.ok(actions.includes('accounts.unlock'));
    assert.ok(actions.includes('accounts.token.create'));
    assert.ok(mine.json.entries.every((e: Json) => e.account === 'admin'));
    const times = mine.json.entries.map((e: Json) => e.at);
    assert.deepEqual(
      times,
      [...times].sort((a, b) => b - a),
      'newest first',
    );
    const create = mine.json.entries.find((e: Json) => e.action === 'accounts.create');
    assert.equal(create.details.body.name !== undefined, true);
    assert.equal(create.details.body.password, undefined);
    assert.doesNotMatch(mine.text, /password 1|first admin password/);
    const logoffs = await admin.get('/audit?action=logoff');
    assert.ok(logoffs.json.entries.some((e: Json) => e.account === 'erin'));
    const since = await admin.get(
      `/audit?since=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`,
    );
    assert.deepEqual(since.json.entries, []);
  });

  test('the OpenAPI document lists every route', async () => {
    const r = await consoleClient(gw).get('/openapi.json');
    assert.equal(r.status, 200);
    assert.equal(r.json.openapi, '3.1.0');
    for (const route of allRoutes()) {
      const path = `/api/v1${route.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}')}`;
      const op = r.json.paths[path]?.[route.method.toLowerCase()];
      assert.ok(op, `${route.method} ${path} missing`);
      assert.equal(op.summary, route.summary);
      assert.deepEqual(op.tags, [route.section]);
    }
    // the policy test also takes the .eml itself
    const testOp = r.json.paths['/api/v1/policy/test'].post;
    assert.equal(testOp.requestBody.content['message/rfc822'].schema.format, 'binary');
    const logonOp = r.json.paths['/api/v1/session'].post;
    assert.deepEqual(logonOp.requestBody.content['application/json'].schema.required.sort(), [
      'account',
      'password',
    ]);
    assert.deepEqual(r.json.paths['/api/v1/accounts'].get.security, [
      { session: [], csrf: [] },
      { bearer: [] },
    ]);
  });

  test('security headers, the UI page, and JSON errors', async () => {
    const page = await consoleClient(gw).page('/queue/some-ui-route');
    assert.equal(page.status, 200);
    assert.match(page.headers['content-type'] ?? '', /text\/html/);
    assert.match(String(page.headers['content-security-policy']), /default-src 'self'/);
    assert.doesNotMatch(String(page.headers['content-security-policy']), /unsafe-inline/);
    assert.match(String(page.headers['strict-transport-security']), /max-age=\d+/);
    assert.equal(page.headers['x-content-type-options'], 'nosniff');
    const missing = await admin.get('/no-such-thing');
    assert.equal(missing.status, 404);
    assert.match(missing.json.error, /no such route/);
    const badJson = await admin.post('/accounts', undefined, {
      raw: '{not json',
      contentType: 'application/json',
    });
    assert.equal(badJson.status, 400);
    assert.ok(badJson.json.error);
  });

  test('no password, token, code or session id is ever logged', () => {
    const output = gw.output();
    for (const s of secrets.filter((x) => x.length >= 8))
      assert.ok(!output.includes(s), `secret in log: ${s.slice(0, 4)}…`);
  });
});

describe('console set up from the command line, with short sessions', () => {
  let gw: TestGateway;

  before(async () => {
    gw = await startGateway({
      settings: { console: { sessionIdleTimeout: '1s', sessionMaxLifetime: '1h' } },
    });
  });
  after(async () => {
    await gw?.stop();
  });

  test('sekimori admin passwd --password-stdin creates the administrator and retires the setup code', async () => {
    const weak = await gw.cli(['admin', 'passwd', '--password-stdin'], 'short\n');
    assert.equal(weak.code, 2);
    assert.match(weak.stderr, /at least 10 characters/);
    const r = await gw.cli(['admin', 'passwd', '--password-stdin'], 'cli chosen password\n');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /created administrator admin/);
    assert.equal(await exists(join(gw.dataDir, 'console-setup-code')), false);
    const anon = consoleClient(gw);
    assert.equal((await anon.get('/session')).json.setupRequired, false);
    assert.equal((await anon.logon('admin', 'cli chosen password')).status, 200);
    const list = await gw.cli(['admin', 'list', '--json']);
    assert.equal(JSON.parse(list.stdout)[0].name, 'admin');
    assert.doesNotMatch(list.stdout, /argon2|hash/i);
    // a second run changes the password
    const again = await gw.cli(['admin', 'passwd', 'admin', '--password-stdin'], 'cli changed password\n');
    assert.match(again.stdout, /password of admin changed/);
    assert.equal((await consoleClient(gw).logon('admin', 'cli changed password')).status, 200);
  });

  test('a session unused for longer than the idle timeout ends', async () => {
    const c = await logon(gw, 'admin', 'cli changed password');
    assert.equal((await c.get('/accounts')).status, 200);
    await sleep(1500); // the idle timeout is 1s: time itself is what is tested
    assert.equal((await c.get('/accounts')).status, 401);
    assert.equal((await c.get('/session')).json.loggedOn, false);
  });
});
