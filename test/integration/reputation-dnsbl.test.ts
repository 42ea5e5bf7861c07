// Email reputation at connect, end to end: real SMTP sessions from 127.0.0.x source addresses
// against an SmtpListener with the reputation hook, and a real DNS server (dnsmasq) serving
// DNSBL/DNSWL test zones. Between the listener and dnsmasq sits a small UDP relay that counts
// the queries, so the cache is seen from the network side.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { join } from 'node:path';
import { pino } from 'pino';
import { toRuntimeSettings, validateSettings, type Settings } from '../../src/config/settings.js';
import { Spool } from '../../src/queue/spool.js';
import type { Envelope } from '../../src/queue/types.js';
import { Reputation } from '../../src/reputation/dnsbl.js';
import { messageReputation } from '../../src/reputation/message.js';
import { reputationSpamInputs } from '../../src/reputation/spam-inputs.js';
import type { SpamInputs } from '../../src/spam/types.js';
import { SenderFilter } from '../../src/sender/filter.js';
import { ReputationHooks } from '../../src/smtp/reputation-hooks.js';
import { SenderHooks } from '../../src/smtp/sender-hooks.js';
import { SmtpListener } from '../../src/smtp/server.js';
import { startDnsServer, type DnsServer } from '../helpers/dns-server.js';
import { connectFrom, quit, sendMail, sessionFrom } from '../helpers/sender-harness.js';
import { testCertificate } from '../helpers/smtp-harness.js';
import { tempDir } from '../helpers/tmp.js';
import { capturedLogger } from '../helpers/logs.js';

// ---- a UDP relay in front of dnsmasq that counts the names asked ----

interface CountingDns {
  address: string;
  count(name: string): number;
  /** Drops every query: the DNS server is there but never answers. */
  silent: boolean;
  close(): Promise<void>;
}

function questionName(msg: Buffer): string {
  const labels: string[] = [];
  for (let i = 12; i < msg.length && msg[i] !== 0; i += (msg[i] as number) + 1) {
    labels.push(msg.subarray(i + 1, i + 1 + (msg[i] as number)).toString('latin1'));
  }
  return labels.join('.').toLowerCase();
}

async function countingDns(upstreamPort: number): Promise<CountingDns> {
  const counts = new Map<string, number>();
  const front: Socket = createSocket('udp4');
  const state = { silent: false };
  front.on('message', (msg, from) => {
    const name = questionName(msg);
    counts.set(name, (counts.get(name) ?? 0) + 1);
    if (state.silent) return;
    const back = createSocket('udp4');
    back.on('message', (answer) => {
      front.send(answer, from.port, from.address);
      back.close();
    });
    back.send(msg, upstreamPort, '127.0.0.1');
    setTimeout(() => back.close(), 3000).unref();
  });
  await new Promise<void>((resolve) => front.bind(0, '127.0.0.1', resolve));
  return Object.assign(state, {
    address: `127.0.0.1:${front.address().port}`,
    count: (name: string) => counts.get(name) ?? 0,
    close: () => new Promise<void>((resolve) => front.close(() => resolve())),
  });
}

// ---- the listener with the reputation hook (and the sender filter, as the gateway runs it) ----

interface Bed {
  port: number;
  reputation: Reputation;
  accepted: Envelope[];
  logs: Record<string, unknown>[];
  spool: Spool;
  settings: Settings;
  set(reputation: unknown, o?: { resolvers?: string[]; senderFilter?: unknown }): void;
  close(): Promise<void>;
}

let dns: DnsServer;
let counter: CountingDns;

function settingsOf(reputation: unknown, o: { resolvers?: string[]; senderFilter?: unknown } = {}): Settings {
  return toRuntimeSettings(
    validateSettings({
      smtp: { hostname: 'mx.test' },
      domains: [{ name: 'example.com' }],
      trustedNetworks: ['127.0.0.1/32'],
      dns: { resolvers: o.resolvers ?? [counter.address] },
      senderFilter: o.senderFilter ?? {},
      reputation,
    }),
  );
}

const ZONES = {
  skipPrivate: false, // the test clients are 127.0.0.x
  timeout: '1s',
  dnsbl: {
    zones: [
      {
        zone: 'zen.test',
        codes: {
          '127.0.0.2': { action: 'reject', name: 'SBL' },
          '127.0.0.10-11': { action: 'tempfail', name: 'PBL' },
          '127.255.255.252-255': 'error',
        },
        default: 'ignore',
      },
      { zone: 'score.test', codes: { '127.0.0.3': { score: 2.5, name: 'score list' } }, default: 'ignore' },
    ],
  },
  dnswl: [{ zone: 'wl.test', codes: { '127.0.*.3': { action: 'allow', score: -2, name: 'high' } } }],
  uribl: { enabled: false },
};

async function startBed(reputation: unknown = ZONES): Promise<Bed> {
  const { dir, cleanup } = await tempDir('sekimori-reputation-');
  const { log, logs } = capturedLogger();
  const spool = new Spool(join(dir, 'spool'), log);
  await spool.init();
  const bed = { settings: settingsOf(reputation), accepted: [] as Envelope[], logs, spool } as Bed;
  const current = () => bed.settings;
  const filter = new SenderFilter({ settings: current, log, node: 'test-node' });
  await filter.start();
  const senderHooks = new SenderHooks(filter, current, log);
  const rep = new Reputation({ settings: current, log });
  const listener = new SmtpListener({
    host: '127.0.0.1',
    port: 0,
    settings: current,
    spool,
    tls: await testCertificate(),
    log,
    onAccepted: (e) => bed.accepted.push(e),
    senderFilter: senderHooks,
    reputation: new ReputationHooks({
      reputation: rep,
      settings: current,
      log,
      approval: (s) => senderHooks.approval(s),
    }),
  });
  const { port } = await listener.listen();
  return Object.assign(bed, {
    port,
    reputation: rep,
    set(r: unknown, o?: { resolvers?: string[]; senderFilter?: unknown }) {
      bed.settings = settingsOf(r, o);
    },
    async close() {
      await listener.close();
      await filter.close();
      await cleanup();
    },
  });
}

const rev = (ip: string) => ip.split('.').reverse().join('.');

before(async () => {
  dns = await startDnsServer({
    zones: ['test'],
    a: [
      { name: `${rev('127.0.0.1')}.zen.test`, address: '127.0.0.2' },
      { name: `${rev('127.0.0.2')}.zen.test`, address: '127.0.0.2' },
      { name: `${rev('127.0.0.3')}.zen.test`, address: '127.0.0.10' },
      { name: `${rev('127.0.0.4')}.score.test`, address: '127.0.0.3' },
      { name: `${rev('127.0.0.5')}.zen.test`, address: '127.0.0.2' },
      { name: `${rev('127.0.0.5')}.wl.test`, address: '127.0.5.3' },
      { name: `${rev('127.0.0.6')}.zen.test`, address: '127.255.255.254' },
      { name: `${rev('127.0.0.8')}.zen.test`, address: '127.0.0.2' },
      { name: `${rev('127.0.0.9')}.zen.test`, address: ['127.0.0.2', '127.0.0.10'] },
      { name: `${rev('127.0.0.20')}.zen.test`, address: '127.0.0.2' },
      { name: `${rev('127.0.0.30')}.zen.test`, address: '127.0.0.2' },
      { name: `${rev('203.0.113.50')}.zen.test`, address: '127.0.0.2' },
      {
        name: '1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.zen.test',
        address: '127.0.0.2',
      },
    ],
    txt: [{ name: `${rev('127.0.0.9')}.zen.test`, text: 'https://lists.example.test/query/127.0.0.9' }],
  });
  counter = await countingDns(dns.port);
});

after(async () => {
  await counter?.close();
  await dns?.stop();
});

test('a listed client is refused at connect with 550 and a text naming the zone', async () => {
  const bed = await startBed();
  try {
    const { c, greeting } = await connectFrom(bed.port, '127.0.0.2');
    assert.equal(greeting.text, '550 5.7.1 Service unavailable; client [127.0.0.2] blocked using zen.test');
    await c.closed;
    const line = bed.logs.find(
      (l) => l.msg === 'connection refused: 127.0.0.2 listed on zen.test (127.0.0.2)',
    );
    assert.ok(line, 'the refusal is logged');
    assert.deepEqual(line.listed, ['zen.test=127.0.0.2 (SBL)']);
    assert.equal(bed.accepted.length, 0);
  } finally {
    await bed.close();
  }
});

test('a tempfail code (the dynamic list) answers 450; an unlisted client gets its greeting', async () => {
  const bed = await startBed();
  try {
    const { greeting } = await connectFrom(bed.port, '127.0.0.3');
    assert.equal(
      greeting.text,
      '450 4.7.1 Service temporarily unavailable; client [127.0.0.3] listed on zen.test; try again later',
    );
    const c = await sessionFrom(bed.port, '127.0.0.7');
    const sent = await sendMail(c, 'a@sender.test', ['x@example.com']);
    assert.equal(sent.data?.code, 250);
    await quit(c);
    assert.equal(bed.accepted[0]?.reputation, undefined, 'nothing listed, nothing on the envelope');
  } finally {
    await bed.close();
  }
});

test('a score-only listing lets the mail in and puts the score on its envelope (on disk too)', async () => {
  const bed = await startBed();
  try {
    const c = await sessionFrom(bed.port, '127.0.0.4');
    for (let i = 0; i < 2; i++)
      assert.equal((await sendMail(c, 'a@sender.test', ['x@example.com'])).data?.code, 250);
    await quit(c);
    assert.equal(bed.accepted.length, 2);
    const expected = {
      ip: '127.0.0.4',
      checked: 'connect',
      verdict: 'score',
      score: 2.5,
      hits: [
        {
          list: 'dnsbl',
          zone: 'score.test',
          query: '4.0.0.127.score.test',
          code: '127.0.0.3',
          name: 'score list',
          action: 'score',
          score: 2.5,
        },
      ],
    };
    for (const e of bed.accepted) assert.deepEqual(e.reputation, expected, 'every message of the session');
    const inputs: SpamInputs = reputationSpamInputs(bed.accepted[0]?.reputation, undefined);
    assert.deepEqual(inputs.dnsbl, [
      { zone: 'score.test', code: '127.0.0.3', name: 'score list', score: 2.5 },
    ]);
    const id = bed.accepted[0]?.id as string;
    const stored = await bed.spool.read('incoming', id);
    assert.deepEqual(stored.envelope.reputation, expected, 'the queue file keeps it for the scanning stage');
  } finally {
    await bed.close();
  }
});

test('a DNSWL listing sets the DNSBL listing aside: the client passes, marked allowed', async () => {
  const bed = await startBed();
  try {
    const c = await sessionFrom(bed.port, '127.0.0.5');
    assert.equal((await sendMail(c, 'a@sender.test', ['x@example.com'])).data?.code, 250);
    await quit(c);
    const r = bed.accepted[0]?.reputation;
    assert.equal(r?.verdict, 'allow');
    assert.equal(r?.score, -2, 'only the DNSWL score counts');
    assert.deepEqual(
      r?.hits.map((h) => [h.list, h.zone, h.code, h.action]),
      [
        ['dnswl', 'wl.test', '127.0.5.3', 'allow'],
        ['dnsbl', 'zen.test', '127.0.0.2', 'reject'],
      ],
    );
    assert.deepEqual(
      reputationSpamInputs(r, undefined).dnsbl,
      [{ zone: 'wl.test', code: '127.0.5.3', name: 'high', score: -2 }],
      'the spam engine sees the DNSWL credit, not the listing set aside',
    );
  } finally {
    await bed.close();
  }
});

test('answers are cached: a second connection asks nothing; statistics per zone', async () => {
  const bed = await startBed();
  try {
    const name = '8.0.0.127.zen.test';
    for (let i = 0; i < 2; i++) assert.equal((await connectFrom(bed.port, '127.0.0.8')).greeting.code, 550);
    assert.equal(counter.count(name), 1, 'one query reached the DNS server');
    assert.equal(counter.count('8.0.0.127.wl.test'), 1, 'the negative DNSWL answer is cached as well');
    const zen = bed.reputation.stats().find((s) => s.list === 'dnsbl' && s.zone === 'zen.test');
    assert.ok(zen);
    assert.equal(zen.lookups, 2);
    assert.equal(zen.cacheHits, 1);
    assert.equal(zen.queries, 1);
    assert.equal(zen.listed, 2);
    assert.equal(zen.errors, 0);
    assert.ok(zen.avgLatencyMs >= 0 && zen.avgLatencyMs < 1000);
  } finally {
    await bed.close();
  }
});

test('trusted networks and clients the sender filter approved are not looked up', async () => {
  const bed = await startBed();
  try {
    let c = await sessionFrom(bed.port, '127.0.0.1');
    await quit(c);
    assert.equal(counter.count('1.0.0.127.zen.test'), 0, 'trusted networks are not checked');
    bed.set(ZONES, { senderFilter: { approved: ['127.0.0.30'] } });
    c = await sessionFrom(bed.port, '127.0.0.30');
    assert.equal((await sendMail(c, 'a@sender.test', ['x@example.com'])).data?.code, 250);
    await quit(c);
    assert.equal(counter.count('30.0.0.127.zen.test'), 0, 'approved clients are not checked');
    assert.deepEqual(bed.accepted[0]?.senderApproved, { by: 'ip', entry: '127.0.0.30' });
    assert.equal(bed.accepted[0]?.reputation, undefined);
  } finally {
    await bed.close();
  }
});

test('one custom code and text for every refusal, with the list TXT record in it', async () => {
  const bed = await startBed({
    ...ZONES,
    dnsbl: {
      ...ZONES.dnsbl,
      reply: {
        mode: 'custom',
        customCode: 554,
        customText: 'Rejected %IP%: %NAME% on %ZONE% (%CODE%) %TXT%',
      },
    },
  });
  try {
    const listed = await connectFrom(bed.port, '127.0.0.9');
    assert.equal(
      listed.greeting.text,
      '554 5.7.1 Rejected 127.0.0.9: SBL on zen.test (127.0.0.2) https://lists.example.test/query/127.0.0.9',
      'reject (127.0.0.2) wins over tempfail (127.0.0.10) in the same answer',
    );
    const dynamic = await connectFrom(bed.port, '127.0.0.3');
    assert.equal(dynamic.greeting.code, 554, 'the custom code replaces 450 as well');
  } finally {
    await bed.close();
  }
});

test('a DNS server that is down or silent never blocks mail; the failure is logged', async () => {
  const bed = await startBed();
  try {
    // nothing listens on port 9 (discard) on loopback
    bed.set(ZONES, { resolvers: ['127.0.0.1:9'] });
    let c = await sessionFrom(bed.port, '127.0.0.2');
    assert.equal((await sendMail(c, 'a@sender.test', ['x@example.com'])).data?.code, 250);
    await quit(c);
    const down = bed.logs.find((l) => l.level === 40 && l.zone === 'zen.test');
    assert.ok(down, 'a warning names the zone');
    assert.match(
      String(down.msg),
      /^reputation: no answer from dnsbl zone zen\.test \(.+\); going on without it$/,
    );

    bed.set({ ...ZONES, timeout: '300ms' });
    counter.silent = true;
    const started = Date.now();
    c = await sessionFrom(bed.port, '127.0.0.2');
    const waited = Date.now() - started;
    assert.ok(waited >= 250 && waited < 2000, `greeting after the time limit (${waited} ms)`);
    assert.equal((await sendMail(c, 'a@sender.test', ['x@example.com'])).data?.code, 250);
    await quit(c);
    assert.equal(bed.accepted.length, 2);
    const zen = bed.reputation.stats().find((s) => s.list === 'dnsbl' && s.zone === 'zen.test');
    assert.equal(zen?.errors, 2);
    assert.match(String(zen?.lastError), /ETIMEOUT/);
  } finally {
    counter.silent = false;
    await bed.close();
  }
});

test('a list error code (query refused) is no listing: the client passes, the error is counted', async () => {
  const bed = await startBed();
  try {
    const c = await sessionFrom(bed.port, '127.0.0.6');
    await quit(c);
    const zen = bed.reputation.stats().find((s) => s.zone === 'zen.test');
    assert.equal(zen?.errors, 1);
    assert.match(String(zen?.lastError), /6\.0\.0\.127\.zen\.test answered 127\.255\.255\.254/);
  } finally {
    await bed.close();
  }
});

test('behind a trusted relay: no refusal at connect; the real client from Received is checked after DATA', async () => {
  const bed = await startBed({ ...ZONES, trustedRelays: ['127.0.0.20'] });
  try {
    const c = await sessionFrom(bed.port, '127.0.0.20');
    assert.equal((await c.cmd('MAIL FROM:<a@sender.test>')).code, 250);
    assert.equal((await c.cmd('RCPT TO:<x@example.com>')).code, 250);
    assert.equal((await c.cmd('DATA')).code, 354);
    c.write(
      'Received: from spammer.example (spammer.example [203.0.113.50])\r\n' +
        '\tby relay.example.net (Postfix) with ESMTP id 1A2B; Tue, 07 Jan 2025 09:05:01 +0000\r\n' +
        'Received: from forged.example ([127.0.0.7]) by spammer.example\r\n' +
        'From: <a@sender.test>\r\nSubject: relayed\r\n\r\nHello.\r\n.\r\n',
    );
    assert.equal((await c.read()).code, 250);
    await quit(c);
    const envelope = bed.accepted[0] as Envelope;
    assert.deepEqual(envelope.reputation, {
      ip: '127.0.0.20',
      checked: 'relay',
      verdict: 'pass',
      score: 0,
      hits: [],
    });
    const stored = await bed.spool.read('incoming', envelope.id);
    const raw = await bed.spool.readBody('incoming', envelope.id, stored.bodyLength);
    const r = await messageReputation(bed.reputation, bed.settings.reputation.trustedRelays, envelope, raw);
    assert.equal(r?.ip, '203.0.113.50', 'the client the relay recorded, below our own Received header');
    assert.equal(r?.checked, 'after-data');
    assert.equal(r?.verdict, 'reject');
    assert.equal(r?.score, 10, 'a listing that would have refused adds relayedScores.reject');
  } finally {
    await bed.close();
  }
});

test('IPv6 clients are asked in nibble format', async () => {
  const bed = await startBed();
  try {
    const r = await bed.reputation.check('2001:db8::1');
    assert.equal(r.verdict, 'reject');
    assert.equal(
      r.hits[0]?.query,
      '1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.zen.test',
    );
    assert.equal(r.reply?.text, 'Service unavailable; client [2001:db8::1] blocked using zen.test');
    const skipped = await new Reputation({
      settings: () => settingsOf({ ...ZONES, skipPrivate: true }),
      log: pino({ level: 'silent' }),
    }).check('127.0.0.2');
    assert.equal(skipped.skipped, 'not-public', 'by default non-public addresses are never asked');
  } finally {
    await bed.close();
  }
});
