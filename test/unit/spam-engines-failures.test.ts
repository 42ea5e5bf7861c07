// What the clients and the runner do when an engine misbehaves, against small in-process servers:
// silence (timeout, no hang), error replies and garbage (typed errors), what goes over the wire,
// close() while a check is in flight, and the runner skipping a failed engine for retryAfter
// with one warning per outage.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { ExternalEngineError, ExternalSpamEngines } from '../../src/spam-engines/index.js';
import { RspamdClient } from '../../src/spam-engines/rspamd.js';
import { SpamdClient } from '../../src/spam-engines/spamd.js';

const MESSAGE = Buffer.from('From: a@example.net\r\nTo: b@example.com\r\nSubject: hi\r\n\r\nhello\r\n');
const OK_JSON = JSON.stringify({ score: 1.5, required_score: 15, action: 'no action', symbols: {} });

const servers: Server[] = [];
const sockets = new Set<Socket>();
after(async () => {
  for (const s of sockets) s.destroy();
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
});

async function listen(server: Server): Promise<number> {
  servers.push(server);
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const a = server.address();
  return typeof a === 'object' && a ? a.port : 0;
}

/** Accepts connections and never says a word. */
const silentServer = () => listen(createServer(() => {}));

function httpServer(
  handler: (req: IncomingMessage, res: ServerResponse, body: Buffer) => void,
): Promise<number> {
  return listen(
    createHttpServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => handler(req, res, Buffer.concat(chunks)));
    }),
  );
}

/** A spamd stand-in: collects the request, answers with `reply` (or closes) once it is complete. */
function spamdServer(reply: (request: string) => string | undefined): Promise<number> {
  return listen(
    createServer((sock) => {
      let data = '';
      sock.on('data', (d: Buffer) => {
        data += d.toString('latin1');
        const end = data.indexOf('\r\n\r\n');
        if (end < 0) return;
        const length = Number(/content-length: (\d+)/i.exec(data)?.[1] ?? 0);
        if (data.length < end + 4 + length) return;
        const answer = reply(data);
        if (answer === undefined) sock.destroy();
        else sock.end(answer);
      });
    }),
  );
}

async function rejectsWith(
  p: Promise<unknown>,
  reason: string,
  message?: RegExp,
): Promise<ExternalEngineError> {
  let caught: unknown;
  try {
    await p;
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof ExternalEngineError, `expected ExternalEngineError, got ${String(caught)}`);
  assert.equal(caught.reason, reason, caught.message);
  if (message) assert.match(caught.message, message);
  return caught;
}

test('rspamd silent: a timeout error when the time is up, not a hang', async () => {
  const port = await silentServer();
  const client = new RspamdClient({ url: `http://127.0.0.1:${port}`, timeout: 200 });
  const started = Date.now();
  await rejectsWith(client.check(MESSAGE), 'timeout', /no answer within 200 ms/);
  assert.ok(Date.now() - started < 1_000);
});

test('spamd silent: a timeout error when the time is up, not a hang', async () => {
  const port = await silentServer();
  const client = new SpamdClient({ address: { kind: 'tcp', host: '127.0.0.1', port }, timeout: 200 });
  const started = Date.now();
  await rejectsWith(client.check(MESSAGE), 'timeout');
  assert.ok(Date.now() - started < 1_000);
  assert.equal(await client.ping(), false);
});

test('rspamd over the wire: POST /checkv2, the raw message, one Rcpt line per recipient', async () => {
  let seen: { method?: string; url?: string; raw: string[]; body: string } | undefined;
  const port = await httpServer((req, res, body) => {
    seen = { method: req.method, url: req.url, raw: req.rawHeaders, body: body.toString() };
    res.end(OK_JSON);
  });
  const client = new RspamdClient({ url: `http://127.0.0.1:${port}/`, timeout: 2_000, password: 'pw' });
  const r = await client.check(MESSAGE, {
    clientIp: '192.0.2.1',
    recipients: ['a@example.com', 'b@example.com'],
  });
  assert.equal(r.score, 1.5);
  assert.equal(seen?.method, 'POST');
  assert.equal(seen?.url, '/checkv2');
  assert.equal(seen?.body, MESSAGE.toString());
  const pairs: string[] = [];
  for (let i = 0; i < (seen?.raw.length ?? 0); i += 2) pairs.push(`${seen?.raw[i]}: ${seen?.raw[i + 1]}`);
  assert.deepEqual(
    pairs.filter((p) => /^(Rcpt|IP|Password):/.test(p)),
    ['IP: 192.0.2.1', 'Rcpt: a@example.com', 'Rcpt: b@example.com', 'Password: pw'],
  );
});

test('rspamd error status, garbage and a wrong JSON shape: protocol errors that say what came back', async () => {
  const replies = [
    [500, '{"error":"invalid command"}', /HTTP 500 invalid command/],
    [403, 'forbidden', /HTTP 403 forbidden/],
    [200, '<html>not rspamd</html>', /not a JSON object/],
    [200, '{"score":"high"}', /no score/],
  ] as const;
  let next = 0;
  const port = await httpServer((_req, res) => {
    const [status, body] = replies[next++] ?? [500, ''];
    res.writeHead(status).end(body);
  });
  const client = new RspamdClient({ url: `http://127.0.0.1:${port}`, timeout: 2_000 });
  for (const [, , message] of replies) await rejectsWith(client.check(MESSAGE), 'protocol', message);
});

test('rspamd maxSize: a larger message is refused before any connection', async () => {
  let requests = 0;
  const port = await httpServer((_req, res) => {
    requests++;
    res.end(OK_JSON);
  });
  const client = new RspamdClient({ url: `http://127.0.0.1:${port}`, timeout: 2_000, maxSize: 10 });
  await rejectsWith(client.check(MESSAGE), 'too-large');
  assert.equal(requests, 0);
});

test('spamd over the wire: REPORT SPAMC/1.5, Content-length, User, then the message', async () => {
  let request = '';
  const port = await spamdServer((req) => {
    request = req;
    return 'SPAMD/1.1 0 EX_OK\r\nContent-length: 0\r\nSpam: False ; 1.2 / 5.0\r\n\r\n';
  });
  const client = new SpamdClient({
    address: { kind: 'tcp', host: '127.0.0.1', port },
    timeout: 2_000,
    user: 'sekimori',
  });
  const r = await client.check(MESSAGE);
  assert.deepEqual(
    [r.engine, r.score, r.threshold, r.isSpam, r.action],
    ['spamassassin', 1.2, 5, false, 'no action'],
  );
  assert.equal(
    request,
    `REPORT SPAMC/1.5\r\nContent-length: ${MESSAGE.length}\r\nUser: sekimori\r\n\r\n${MESSAGE.toString()}`,
  );
});

test('spamd error code, no Spam header, closed without a reply: protocol errors', async () => {
  const replies = [
    'SPAMD/1.0 76 Bad header line: Content-length: x\r\n',
    'SPAMD/1.1 0 EX_OK\r\nContent-length: 0\r\n\r\n',
    undefined,
    'HTTP/1.1 400 Bad Request\r\n\r\n',
  ];
  let next = 0;
  const port = await spamdServer(() => replies[next++]);
  const client = new SpamdClient({ address: { kind: 'tcp', host: '127.0.0.1', port }, timeout: 2_000 });
  await rejectsWith(client.check(MESSAGE), 'protocol', /answered 76 Bad header line/);
  await rejectsWith(client.check(MESSAGE), 'protocol', /no readable Spam header/);
  await rejectsWith(client.check(MESSAGE), 'protocol', /without a reply/);
  await rejectsWith(client.check(MESSAGE), 'protocol', /unreadable reply/);
});

test('close() ends checks in flight at once and refuses new ones', async () => {
  const port = await silentServer();
  const spamd = new SpamdClient({ address: { kind: 'tcp', host: '127.0.0.1', port }, timeout: 10_000 });
  const rspamd = new RspamdClient({ url: `http://127.0.0.1:${port}`, timeout: 10_000 });
  const started = Date.now();
  const pending = [spamd.check(MESSAGE), rspamd.check(MESSAGE)];
  await new Promise((r) => setTimeout(r, 50));
  spamd.close();
  rspamd.close();
  const settled = await Promise.allSettled(pending);
  assert.ok(Date.now() - started < 1_000);
  for (const s of settled) {
    assert.ok(s.status === 'rejected' && s.reason instanceof ExternalEngineError);
    assert.equal(s.reason.reason, 'closed');
  }
  await rejectsWith(spamd.check(MESSAGE), 'closed');
  await rejectsWith(rspamd.check(MESSAGE), 'closed');
});

/** A pino logger whose lines land in an array. */
function captureLog(): { log: pino.Logger; lines: { level: number; msg: string }[] } {
  const lines: { level: number; msg: string }[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()) as { level: number; msg: string });
      done();
    },
  });
  return { log: pino({ level: 'debug' }, stream), lines };
}

test('runner: a failed engine is skipped for retryAfter, one warning per outage, info when it is back', async () => {
  let requests = 0;
  let healthy = false;
  const port = await httpServer((_req, res) => {
    requests++;
    if (healthy) res.end(OK_JSON);
    else res.writeHead(503).end('{"error":"overloaded"}');
  });
  let now = 1_000_000;
  const { log, lines } = captureLog();
  const engines = new ExternalSpamEngines(
    {
      rspamd: { url: `http://127.0.0.1:${port}`, timeout: 2_000, weight: 1, maxSize: 1024 },
      retryAfter: 30_000,
    },
    { log, now: () => now },
  );
  assert.equal(engines.configured, true);

  let check = await engines.check(MESSAGE);
  assert.deepEqual(check.results, []);
  assert.deepEqual(
    check.skipped.map((s) => s.reason),
    ['protocol'],
  );
  assert.equal(requests, 1);

  now += 29_000; // still within retryAfter: not asked at all
  check = await engines.check(MESSAGE);
  assert.deepEqual(
    check.skipped.map((s) => s.reason),
    ['backoff'],
  );
  assert.equal(requests, 1);

  now += 2_000; // past it: asked again, still failing, no second warning
  check = await engines.check(MESSAGE);
  assert.deepEqual(
    check.skipped.map((s) => s.reason),
    ['protocol'],
  );
  assert.equal(requests, 2);

  healthy = true;
  now += 31_000;
  check = await engines.check(MESSAGE);
  assert.deepEqual(
    check.results.map((r) => r.score),
    [1.5],
  );
  assert.deepEqual(check.skipped, []);
  await log.flush?.();
  const warnings = lines.filter((l) => l.level === 40);
  assert.equal(warnings.length, 1);
  assert.match(
    warnings[0]?.msg ?? '',
    /HTTP 503 overloaded; optional engine skipped, mail goes on without it/,
  );
  assert.ok(lines.some((l) => l.level === 30 && l.msg === 'rspamd answers again'));
  engines.close();
});

test('runner: a message over maxSize is skipped without putting the engine in backoff', async () => {
  let requests = 0;
  const port = await httpServer((_req, res) => {
    requests++;
    res.end(OK_JSON);
  });
  const engines = new ExternalSpamEngines({
    rspamd: { url: `http://127.0.0.1:${port}`, timeout: 2_000, weight: 1, maxSize: 20 },
    retryAfter: 30_000,
  });
  const big = await engines.check(MESSAGE);
  assert.deepEqual(
    big.skipped.map((s) => s.reason),
    ['too-large'],
  );
  const small = await engines.check(Buffer.from('Subject: x\r\n\r\n'));
  assert.equal(small.results.length, 1);
  assert.equal(requests, 1);
  engines.close();
});

test('runner with nothing configured: not configured, nothing asked, nothing skipped', async () => {
  const engines = new ExternalSpamEngines({ retryAfter: 30_000 });
  assert.equal(engines.configured, false);
  assert.deepEqual(await engines.check(MESSAGE), { results: [], skipped: [] });
  assert.deepEqual(engines.contributions({ results: [], skipped: [] }, 5), []);
});
