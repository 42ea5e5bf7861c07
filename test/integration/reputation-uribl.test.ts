// URL reputation against a real DNS server: the URLs the scanner's parser finds in a message
// (text and HTML) looked up as registered domains in URIBL/DBL-style zones, IP-address URLs in
// an IP zone, and the local block and allow lists.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { toRuntimeSettings, validateSettings, type Settings } from '../../src/config/settings.js';
import { Reputation } from '../../src/reputation/dnsbl.js';
import { reputationSpamInputs } from '../../src/reputation/spam-inputs.js';
import { UriReputation } from '../../src/reputation/uribl.js';
import { parseMessage } from '../../src/scan/parse/index.js';
import { startDnsServer, type DnsServer } from '../helpers/dns-server.js';

let dns: DnsServer;

const URIBL = {
  localBlock: ['https://blocked.test/bad'],
  localAllow: ['allowed.test'],
  zones: [
    {
      zone: 'dbl.test',
      codes: {
        '127.0.1.2': { score: 2.5, name: 'DBL spam' },
        '127.0.1.4': { score: 4, name: 'DBL phish' },
        '127.0.1.255': 'error',
      },
      default: 'ignore',
    },
    {
      zone: 'surbl.test',
      bitmask: true,
      codes: {
        '127.0.0.1': 'error',
        '127.0.0.8': { score: 4, name: 'PH' },
        '127.0.0.16': { score: 3, name: 'MW' },
      },
      default: 'ignore',
    },
    { zone: 'ipbl.test', type: 'ip', codes: { '127.0.0.2': { score: 2.5, name: 'SBL' } }, default: 'ignore' },
  ],
};

function settingsOf(uribl: Record<string, unknown> = {}, resolvers?: string[]): Settings {
  return toRuntimeSettings(
    validateSettings({
      dns: { resolvers: resolvers ?? [dns.address] },
      reputation: { skipPrivate: false, timeout: '1s', uribl: { ...URIBL, ...uribl } },
    }),
  );
}

const MESSAGE = [
  'From: <promo@sender.test>',
  'To: <x@example.com>',
  'Subject: offers',
  'MIME-Version: 1.0',
  'Content-Type: multipart/alternative; boundary="b"',
  '',
  '--b',
  'Content-Type: text/plain; charset=utf-8',
  '',
  'Visit http://www.spammer.test/offer and https://login.evil.co.jp/verify today.',
  '--b',
  'Content-Type: text/html; charset=utf-8',
  '',
  '<p><a href="http://203.0.113.7/x">a</a> <a href="http://0xcb.0.113.7/y">same host, hex</a>',
  '<a href="https://www.allowed.test/">allowed</a> <a href="http://blocked.test/bad/path">blocked</a>',
  '<a href="http://blocked.test/good">not blocked</a> <img src="http://cdn.clean.test/i.png">',
  '<a href="http://dblerr.test/">error answer</a></p>',
  '--b--',
  '',
].join('\r\n');

before(async () => {
  dns = await startDnsServer({
    zones: ['test'],
    a: [
      { name: 'spammer.test.dbl.test', address: '127.0.1.2' },
      { name: 'evil.co.jp.dbl.test', address: '127.0.1.4' },
      { name: 'evil.co.jp.surbl.test', address: '127.0.0.24' },
      { name: '7.113.0.203.ipbl.test', address: '127.0.0.2' },
      { name: 'allowed.test.dbl.test', address: '127.0.1.2' },
      { name: 'dblerr.test.dbl.test', address: '127.0.1.255' },
    ],
  });
});

after(async () => {
  await dns?.stop();
});

async function urlsOf(raw: string, settings: Settings): Promise<string[]> {
  const parsed = await parseMessage(
    Buffer.from(raw),
    {
      sender: 'promo@sender.test',
      recipients: ['x@example.com'],
      clientIp: '192.0.2.1',
      helo: 'h',
      acceptedDomains: ['example.com'],
    },
    settings.scan,
  );
  return parsed.facts.urls;
}

test("a message's URLs: registered domains in domain zones, IP URLs in IP zones, local lists", async () => {
  let settings = settingsOf();
  const log = pino({ level: 'silent' });
  const reputation = new Reputation({ settings: () => settings, log });
  const uris = new UriReputation({ settings: () => settings, log, lookup: reputation.lookup });
  const urls = await urlsOf(MESSAGE, settings);
  assert.ok(urls.length >= 9, `the parser found the URLs: ${urls.join(' ')}`);

  const r = await uris.check(urls);
  const hits = r.hits.map((h) => `${h.zone} ${h.subject} ${h.name ?? h.code ?? ''} ${h.score}`).sort();
  assert.deepEqual(hits, [
    'dbl.test evil.co.jp DBL phish 4',
    'dbl.test spammer.test DBL spam 2.5',
    'ipbl.test 203.0.113.7 SBL 2.5',
    'localBlock blocked.test/bad  10',
    'surbl.test evil.co.jp MW 3',
    'surbl.test evil.co.jp PH 4',
  ]);
  assert.equal(r.score, 26);
  assert.deepEqual(
    [...r.checked].sort(),
    ['203.0.113.7', 'blocked.test', 'clean.test', 'dblerr.test', 'evil.co.jp', 'spammer.test'],
    'one lookup per registered domain or IP; the allowed domain is never asked',
  );
  assert.equal(r.hits.find((h) => h.subject === 'evil.co.jp')?.url, 'https://login.evil.co.jp/verify');
  assert.deepEqual(r.errors, [{ zone: 'dbl.test', error: 'dblerr.test.dbl.test answered 127.0.1.255' }]);
  const inputs = reputationSpamInputs(undefined, r).uribl;
  assert.deepEqual(
    inputs.find((i) => i.name === 'DBL phish'),
    {
      zone: 'dbl.test',
      domain: 'evil.co.jp',
      url: 'https://login.evil.co.jp/verify',
      name: 'DBL phish',
      score: 4,
    },
  );

  const stats = reputation.stats().filter((s) => s.list === 'uribl');
  const dbl = stats.find((s) => s.zone === 'dbl.test');
  assert.equal(dbl?.lookups, 5, 'domains only: the IP went to the IP zone');
  assert.equal(dbl?.listed, 2);
  assert.equal(dbl?.errors, 1);
  assert.equal(stats.find((s) => s.zone === 'ipbl.test')?.lookups, 1);

  // The cache is shared with the connect-time checks; a second message asks nothing new.
  const again = await uris.check(urls);
  assert.equal(again.score, 26);
  assert.equal(reputation.stats().find((s) => s.zone === 'dbl.test')?.queries, 5);

  settings = settingsOf({ maxLookups: 2 });
  const capped = await uris.check(urls);
  assert.equal(capped.checked.length, 2);
  assert.equal(capped.notChecked, 4, 'the rest is counted, not asked');

  settings = settingsOf({ enabled: false });
  assert.deepEqual((await uris.check(urls)).hits, [], 'URIBL off');
});

test('a DNS server that does not answer costs at most the time limit and finds nothing', async () => {
  const settings = toRuntimeSettings(
    validateSettings({
      dns: { resolvers: ['127.0.0.1:9'] },
      reputation: { timeout: '300ms', uribl: { ...URIBL, localBlock: [] } },
    }),
  );
  const uris = new UriReputation({ settings: () => settings, log: pino({ level: 'silent' }) });
  const started = Date.now();
  const r = await uris.check(['http://spammer.test/', 'http://evil.co.jp/']);
  assert.ok(Date.now() - started < 1500);
  assert.deepEqual(r.hits, []);
  assert.equal(r.errors.length, 4, 'two domains, two domain zones');
});
