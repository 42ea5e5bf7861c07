// Walks the whole route table (every route any module adds, from the compiled index) and
// proves the server refuses each non-public route to an anonymous caller (401), to a role with
// no access to the route's section (403), and each write route to a role that may only read
// that section (403). Authorisation runs before the handler, so this holds whatever the
// handlers do, and path parameters can be dummies.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { consoleClient, firstLogon, tokenClient, type ConsoleClient } from '../helpers/console.js';
import { allRoutes } from '../../src/web/routes/index.js';
import { SECTIONS, type RouteSpec, type Section } from '../../src/web/route.js';

let gw: TestGateway;
let admin: ConsoleClient;
/** Per section: a client whose role has no access to it, and one that may only read it. */
const without = new Map<Section, ConsoleClient>();
const readOnly = new Map<Section, ConsoleClient>();

const routes = allRoutes();
const guarded = routes.filter((r) => r.section !== 'public');
const sectioned = guarded.filter((r): r is RouteSpec & { section: Section } => r.section !== 'self');

const dummyPath = (r: RouteSpec) => r.path.replace(/:([A-Za-z0-9_]+)/g, 'dummy-$1');

/** A client acting through an account whose role has `level` on `section` and write on all else. */
async function clientWith(section: Section, level: 'none' | 'read'): Promise<ConsoleClient> {
  const name = `${level}-${section}`;
  const permissions = Object.fromEntries(SECTIONS.map((s) => [s, s === section ? level : 'write']));
  assert.equal((await admin.post('/roles', { name, permissions })).status, 201);
  const account = `acct-${name}`;
  assert.equal(
    (await admin.post('/accounts', { name: account, password: `${account} password`, role: name })).status,
    201,
  );
  const t = await admin.post('/tokens', { name: 'route table', account });
  assert.equal(t.status, 201);
  return tokenClient(gw, t.json.token as string);
}

before(async () => {
  gw = await startGateway();
  admin = await firstLogon(gw, 'route table admin password');
  for (const s of new Set(sectioned.map((r) => r.section))) {
    without.set(s, await clientWith(s, 'none'));
    if (sectioned.some((r) => r.section === s && r.access === 'write'))
      readOnly.set(s, await clientWith(s, 'read'));
  }
});
after(async () => {
  await gw?.stop();
});

test('the route table is well formed', () => {
  const seen = new Set<string>();
  for (const r of routes) {
    const key = `${r.method} ${r.path}`;
    assert.ok(!seen.has(key), `${key} is declared twice`);
    seen.add(key);
    assert.ok(r.path.startsWith('/'), `${key}: path must start with /`);
    assert.ok(r.summary.length > 0, `${key}: no summary`);
    if (r.method === 'GET') assert.equal(r.access, 'read', `${key}: a GET route cannot write`);
  }
  // the console's own routes are in the table
  for (const key of ['GET /session', 'POST /session', 'GET /accounts', 'GET /audit', 'GET /openapi.json'])
    assert.ok(seen.has(key), `${key} missing`);
});

test('every non-public route refuses an anonymous caller with 401', async () => {
  const anon = consoleClient(gw);
  for (const r of guarded) {
    const res = await anon.request(r.method, dummyPath(r));
    assert.equal(res.status, 401, `${r.method} ${r.path} answered ${res.status} to an anonymous caller`);
    assert.ok(res.json?.error, `${r.method} ${r.path}: no JSON error`);
  }
});

test('every section route refuses a role without access to its section with 403', async () => {
  for (const r of sectioned) {
    const res = await (without.get(r.section) as ConsoleClient).request(r.method, dummyPath(r));
    assert.equal(
      res.status,
      403,
      `${r.method} ${r.path} answered ${res.status} to a role with none on ${r.section}`,
    );
  }
});

test('every write route refuses a role that may only read its section with 403', async () => {
  for (const r of sectioned.filter((x) => x.access === 'write')) {
    const res = await (readOnly.get(r.section) as ConsoleClient).request(r.method, dummyPath(r));
    assert.equal(
      res.status,
      403,
      `${r.method} ${r.path} answered ${res.status} to a role with read on ${r.section}`,
    );
  }
});

test('a read route is open to a role that may read its section', async () => {
  // not 401/403: the handler ran (it may still answer 404 for a dummy id, or 400)
  for (const r of sectioned.filter((x) => x.access === 'read')) {
    const res = await (readOnly.get(r.section) ?? admin).request(r.method, dummyPath(r));
    assert.ok(
      ![401, 403].includes(res.status),
      `${r.method} ${r.path} refused a reader: ${res.status} ${res.text}`,
    );
  }
});
