// The server's handling of any route: raw bodies up to a 25 MB message for callers with the
// right, nothing read for anonymous callers, small bodies for public routes, downloads, errors
// as JSON, and successful writes audited with the body's secrets removed.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import type { FastifyInstance } from 'fastify';
import { buildConsoleApp } from '../../src/web/server.js';
import { ApiError, route } from '../../src/web/route.js';
import type { ConsoleServices } from '../../src/web/services.js';
import { makeSelfSignedCertificate } from '../../src/config/tls.js';
import { resolveConsoleSettings, consoleSettingsSchema } from '../../src/web/console-settings.js';
import { AccountRepository } from '../../src/web/accounts-repo.js';
import { SessionRepository } from '../../src/web/sessions-repo.js';
import { AuditLog } from '../../src/web/audit-log.js';
import { silentLogger } from '../../src/util/log.js';
import { sqliteStore, type TestStore } from '../helpers/stores.js';

const routes = [
  route({
    method: 'GET',
    path: '/ping',
    section: 'public',
    access: 'read',
    summary: 'ping',
    handler: async () => ({ pong: true }),
  }),
  route({
    method: 'POST',
    path: '/echo',
    section: 'public',
    access: 'write',
    summary: 'echo',
    body: z.unknown(),
    handler: async ({ body }) => ({ body }),
  }),
  route({
    method: 'POST',
    path: '/messages/:area',
    section: 'policy',
    access: 'write',
    audit: 'policy.test',
    summary: 'upload',
    params: z.strictObject({ area: z.string() }),
    body: z.union([z.instanceof(Buffer), z.record(z.string(), z.unknown())]),
    handler: async ({ body }) => ({ size: Buffer.isBuffer(body) ? body.length : -1 }),
  }),
  route({
    method: 'GET',
    path: '/export',
    section: 'settings',
    access: 'read',
    summary: 'download',
    handler: async () => ({
      contentType: 'application/yaml',
      filename: 'settings.yaml',
      bytes: 'smtp: {}\n',
    }),
  }),
  route({
    method: 'GET',
    path: '/export/ja',
    section: 'settings',
    access: 'read',
    summary: 'download with a Japanese name',
    handler: async () => ({ contentType: 'message/rfc822', filename: '請求書.eml', bytes: Buffer.from('x') }),
  }),
  route({
    method: 'GET',
    path: '/gone/:id',
    section: 'queue',
    access: 'read',
    summary: 'not found',
    params: z.strictObject({ id: z.coerce.number().int() }),
    handler: async ({ params }) => {
      throw new ApiError(404, 'no such message', { id: params.id });
    },
  }),
  route({
    method: 'GET',
    path: '/crash',
    section: 'queue',
    access: 'read',
    summary: 'crash',
    handler: async () => {
      throw new Error('secret internal detail');
    },
  }),
];

let t: TestStore;
let app: FastifyInstance;
let bearer: string;

before(async () => {
  t = await sqliteStore();
  const settings = { console: resolveConsoleSettings(consoleSettingsSchema.parse({})) };
  const services = {
    node: 'test',
    dataDir: '/nonexistent',
    log: silentLogger(),
    store: t.store,
    settings: { current: () => settings },
  } as unknown as ConsoleServices;
  ({ app } = await buildConsoleApp({
    services,
    tls: await makeSelfSignedCertificate('localhost'),
    routes,
    uiDir: '/nonexistent',
  }));
  await new AccountRepository(t.store).create({
    name: 'admin',
    password: 'unit test password',
    role: 'administrator',
  });
  bearer = `Bearer ${(await new SessionRepository(t.store).createToken('admin', 'unit', null)).token}`;
});
after(async () => {
  await app?.close();
  await t?.cleanup();
});

test('a 25 MB message is accepted as a raw body by a caller with the right, and audited by size', async () => {
  const message = Buffer.alloc(25 * 1024 * 1024, 'a');
  const r = await app.inject({
    method: 'POST',
    url: '/api/v1/messages/virus',
    headers: { authorization: bearer, 'content-type': 'message/rfc822' },
    payload: message,
  });
  assert.equal(r.statusCode, 200, r.body);
  assert.deepEqual(r.json(), { size: message.length });
  const [entry] = await new AuditLog(t.store).search({ action: 'policy.test' });
  assert.equal(entry?.account, 'admin');
  assert.equal(entry?.target, '/messages/virus');
  assert.deepEqual(entry?.details, { params: { area: 'virus' }, body: `(${message.length} bytes)` });
});

test('an anonymous upload is refused before its body is read', async () => {
  const r = await app.inject({
    method: 'POST',
    url: '/api/v1/messages/virus',
    headers: { 'content-type': 'message/rfc822' },
    payload: Buffer.alloc(1024 * 1024),
  });
  assert.equal(r.statusCode, 401);
  assert.ok(r.json().error);
});

test('public routes take small bodies only', async () => {
  const small = await app.inject({ method: 'POST', url: '/api/v1/echo', payload: { a: 1 } });
  assert.deepEqual(small.json(), { body: { a: 1 } });
  const big = await app.inject({ method: 'POST', url: '/api/v1/echo', payload: { a: 'x'.repeat(100_000) } });
  assert.equal(big.statusCode, 413);
  assert.ok(big.json().error);
});

test('downloads carry their type and file name', async () => {
  const r = await app.inject({ method: 'GET', url: '/api/v1/export', headers: { authorization: bearer } });
  assert.equal(r.statusCode, 200);
  assert.match(String(r.headers['content-type']), /application\/yaml/);
  assert.equal(r.headers['content-disposition'], 'attachment; filename="settings.yaml"');
  assert.equal(r.body, 'smtp: {}\n');
  const ja = await app.inject({
    method: 'GET',
    url: '/api/v1/export/ja',
    headers: { authorization: bearer },
  });
  assert.equal(ja.statusCode, 200);
  assert.equal(
    ja.headers['content-disposition'],
    `attachment; filename="___.eml"; filename*=UTF-8''${encodeURIComponent('請求書.eml')}`,
  );
});

test('errors are JSON: ApiError keeps its status and details, a crash says nothing inside', async () => {
  const gone = await app.inject({ method: 'GET', url: '/api/v1/gone/7', headers: { authorization: bearer } });
  assert.equal(gone.statusCode, 404);
  assert.deepEqual(gone.json(), { error: 'no such message', details: { id: 7 } });
  const bad = await app.inject({
    method: 'GET',
    url: '/api/v1/gone/seven',
    headers: { authorization: bearer },
  });
  assert.equal(bad.statusCode, 400);
  assert.match(bad.json().details[0], /^params\.id: /);
  const crash = await app.inject({ method: 'GET', url: '/api/v1/crash', headers: { authorization: bearer } });
  assert.equal(crash.statusCode, 500);
  assert.deepEqual(crash.json(), { error: 'internal error' });
});

test('without a built UI, pages say so', async () => {
  const r = await app.inject({ method: 'GET', url: '/dashboard' });
  assert.equal(r.statusCode, 200);
  assert.match(r.body, /not built/);
});
