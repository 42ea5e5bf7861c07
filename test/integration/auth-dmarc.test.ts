// DMARC through authenticate(): published p=/sp=/pct=, strict and relaxed alignment, the
// action per settings, exceptions, the strict From reading of SPEC §13 and forged
// Authentication-Results — with SPF records, DKIM keys and DMARC records served by dnsmasq,
// and messages signed by our signer.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { authenticate, stripForgedAuthResults, type AuthenticateOptions } from '../../src/auth/verify.js';
import { authSettingsSchema, resolveAuthSettings, type AuthSettings } from '../../src/auth/auth-settings.js';
import { dnsRecord, generateKeyMaterial, type KeyMaterial } from '../../src/auth/dkim-keys.js';
import { signMessage } from '../../src/auth/dkim-sign.js';
import { startDnsServer, type DnsServer } from '../helpers/dns-server.js';

const MTA = 'gw.sekimori.test';
const GOOD_IP = '192.0.2.10';
const BAD_IP = '198.51.100.66';

let dns: DnsServer;
let key: KeyMaterial;

const spf = (name: string) => ({ name, text: `v=spf1 ip4:${GOOD_IP} -all` });
const dmarc = (name: string, record: string) => ({ name: `_dmarc.${name}`, text: record });
const SIGNING_DOMAINS = [
  'reject.test',
  'relaxed.test',
  'mail.relaxed.test',
  'strict.test',
  'mail.strict.test',
  'parent.test',
];

before(async () => {
  key = await generateKeyMaterial('rsa');
  const keyRecords = SIGNING_DOMAINS.map((domain) => {
    const r = dnsRecord({ domain, selector: 'sel', type: key.type, publicKey: key.publicKey });
    return { name: r.name, text: r.strings };
  });
  dns = await startDnsServer({
    txt: [
      ...keyRecords,
      ...['reject.test', 'quarantine.test', 'none.test', 'pct.test', 'nodmarc.test'].map(spf),
      spf('mail.relaxed.test'),
      spf('mail.strict.test'),
      dmarc('reject.test', 'v=DMARC1; p=reject; rua=mailto:d@reject.test'),
      dmarc('quarantine.test', 'v=DMARC1; p=quarantine'),
      dmarc('none.test', 'v=DMARC1; p=none'),
      dmarc('pct.test', 'v=DMARC1; p=reject; pct=50'),
      dmarc('relaxed.test', 'v=DMARC1; p=reject'),
      dmarc('strict.test', 'v=DMARC1; p=reject; adkim=s; aspf=s'),
      dmarc('parent.test', 'v=DMARC1; p=none; sp=reject'),
    ],
  });
});
after(async () => {
  await dns.stop();
});

function settings(auth: unknown = {}): AuthSettings {
  return resolveAuthSettings(authSettingsSchema.parse(auth));
}

function message(from: string | string[], extra: string[] = []): Buffer {
  const froms = (Array.isArray(from) ? from : [from]).map((f) => `From: ${f}`);
  return Buffer.from(
    [
      ...extra,
      ...froms,
      'To: user@example.test',
      'Subject: quarterly report',
      'Date: Sat, 28 Nov 2026 12:00:00 +0000',
      'Message-ID: <m1@example.test>',
      '',
      'Hello.',
      '',
    ].join('\r\n'),
  );
}

const sign = (raw: Buffer, domain: string) =>
  signMessage(raw, domain, { domain, selector: 'sel', privateKey: key.privateKey });

function opts(o: Partial<AuthenticateOptions> = {}): AuthenticateOptions {
  return { ip: GOOD_IP, helo: 'mail.example.test', sender: '', mta: MTA, resolvers: [dns.address], ...o };
}

test('an authenticated message passes SPF, DKIM and DMARC and nothing is done to it', async () => {
  const raw = sign(message('Boss <boss@reject.test>'), 'reject.test');
  const r = await authenticate(raw, opts({ sender: 'boss@reject.test' }), settings());
  assert.equal(r.spf?.result, 'pass');
  assert.equal(r.spf?.domain, 'reject.test');
  assert.equal(r.dkimResult, 'pass');
  assert.deepEqual(
    r.dkim.map((s) => [s.domain, s.selector, s.result, s.aligned]),
    [['reject.test', 'sel', 'pass', true]],
  );
  assert.equal(r.dmarc?.result, 'pass');
  assert.equal(r.dmarc?.p, 'reject');
  assert.equal(r.dmarc?.action, 'none');
  assert.deepEqual(r.suspicious, []);
  assert.match(r.header, /^Authentication-Results: gw\.sekimori\.test;\r\n\tspf=pass /);
  assert.match(r.header, /dkim=pass header\.d=reject\.test header\.s=sel header\.a=rsa-sha256 header\.b=/);
  assert.match(r.header, /dmarc=pass \(p=REJECT sp=REJECT pct=100 dis=NONE\) header\.from=reject\.test/);
});

test('a forged sender of a p=reject domain is rejected, of p=quarantine quarantined, of p=none left alone', async () => {
  const cases: [string, string][] = [
    ['reject.test', 'reject'],
    ['quarantine.test', 'quarantine'],
    ['none.test', 'none'],
  ];
  for (const [domain, action] of cases) {
    const r = await authenticate(
      message(`ceo@${domain}`),
      opts({ ip: BAD_IP, sender: `ceo@${domain}` }),
      settings(),
    );
    assert.equal(r.spf?.result, 'fail', domain);
    assert.equal(r.dkimResult, 'none', domain);
    assert.equal(r.dmarc?.result, 'fail', domain);
    assert.equal(r.dmarc?.policy, action, domain);
    assert.equal(r.dmarc?.action, action, domain);
  }
});

test('actions follow settings: a mapping per policy, honorPolicy off, exceptions', async () => {
  const forged = () =>
    authenticate(message('ceo@reject.test'), opts({ ip: BAD_IP, sender: 'ceo@reject.test' }), s);
  let s = settings({ dmarc: { actions: { reject: 'quarantine' } } });
  assert.equal((await forged()).dmarc?.action, 'quarantine');
  s = settings({ dmarc: { honorPolicy: false, actions: { none: 'tag' } } });
  let r = await forged();
  assert.equal(r.dmarc?.action, 'tag');
  assert.match(r.dmarc?.actionReason ?? '', /honorPolicy/);
  s = settings({ dmarc: { exceptions: ['198.51.100.0/24'] } });
  r = await forged();
  assert.equal(r.dmarc?.result, 'fail');
  assert.equal(r.dmarc?.action, 'none');
  assert.match(r.dmarc?.actionReason ?? '', /exception 198\.51\.100\.0\/24/);
  s = settings({ dmarc: { exceptions: ['reject.test'] } });
  assert.equal((await forged()).dmarc?.action, 'none');
  s = settings({ dmarc: { enabled: false } });
  r = await forged();
  assert.equal(r.dmarc, undefined);
  assert.doesNotMatch(r.header, /dmarc=/);
});

test('pct= samples: a message left out gets the next less strict policy', async () => {
  const forged = (random: number) =>
    authenticate(
      message('ceo@pct.test'),
      opts({ ip: BAD_IP, sender: 'ceo@pct.test', random: () => random }),
      settings(),
    );
  const inside = await forged(0.2);
  assert.equal(inside.dmarc?.pct, 50);
  assert.equal(inside.dmarc?.sampled, true);
  assert.equal(inside.dmarc?.action, 'reject');
  const outside = await forged(0.8);
  assert.equal(outside.dmarc?.sampled, false);
  assert.equal(outside.dmarc?.policy, 'quarantine');
  assert.equal(outside.dmarc?.action, 'quarantine');
  assert.match(outside.dmarc?.actionReason ?? '', /pct=50/);
});

test('alignment: relaxed accepts a subdomain signature or MAIL FROM, strict (adkim=s, aspf=s) does not', async () => {
  const relaxedDkim = await authenticate(
    sign(message('a@relaxed.test'), 'mail.relaxed.test'),
    opts({ ip: BAD_IP, sender: 'x@elsewhere.test' }),
    settings(),
  );
  assert.equal(relaxedDkim.dkim[0]?.aligned, true);
  assert.equal(relaxedDkim.dmarc?.alignment.dkim.mode, 'relaxed');
  assert.equal(relaxedDkim.dmarc?.result, 'pass');

  const relaxedSpf = await authenticate(
    message('a@relaxed.test'),
    opts({ sender: 'bounce@mail.relaxed.test' }),
    settings(),
  );
  assert.equal(relaxedSpf.spf?.result, 'pass');
  assert.equal(relaxedSpf.dmarc?.alignment.spf.aligned, true);
  assert.equal(relaxedSpf.dmarc?.result, 'pass');

  const strictDkim = await authenticate(
    sign(message('a@strict.test'), 'mail.strict.test'),
    opts({ ip: BAD_IP, sender: 'x@elsewhere.test' }),
    settings(),
  );
  assert.equal(strictDkim.dkimResult, 'pass');
  assert.equal(strictDkim.dkim[0]?.aligned, false);
  assert.equal(strictDkim.dmarc?.alignment.dkim.mode, 'strict');
  assert.equal(strictDkim.dmarc?.result, 'fail');
  assert.equal(strictDkim.dmarc?.action, 'reject');

  const strictSpf = await authenticate(
    message('a@strict.test'),
    opts({ sender: 'bounce@mail.strict.test' }),
    settings(),
  );
  assert.equal(strictSpf.spf?.result, 'pass');
  assert.equal(strictSpf.dmarc?.alignment.spf.mode, 'strict');
  assert.equal(strictSpf.dmarc?.result, 'fail');

  const strictExact = await authenticate(
    sign(message('a@strict.test'), 'strict.test'),
    opts({ ip: BAD_IP, sender: 'x@elsewhere.test' }),
    settings(),
  );
  assert.equal(strictExact.dmarc?.result, 'pass');
});

test('sp= applies to a subdomain without its own record', async () => {
  const r = await authenticate(
    message('a@news.parent.test'),
    opts({ ip: BAD_IP, sender: 'a@news.parent.test' }),
    settings(),
  );
  assert.equal(r.dmarc?.recordDomain, 'parent.test');
  assert.equal(r.dmarc?.p, 'none');
  assert.equal(r.dmarc?.sp, 'reject');
  assert.equal(r.dmarc?.policy, 'reject');
  assert.equal(r.dmarc?.action, 'reject');
  const top = await authenticate(
    message('a@parent.test'),
    opts({ ip: BAD_IP, sender: 'a@parent.test' }),
    settings(),
  );
  assert.equal(top.dmarc?.policy, 'none');
});

test('no DMARC record: the noRecord action, only for unauthenticated mail', async () => {
  const s = settings({ dmarc: { actions: { noRecord: 'tag' } } });
  const forged = await authenticate(
    message('x@nodmarc.test'),
    opts({ ip: BAD_IP, sender: 'x@nodmarc.test' }),
    s,
  );
  assert.equal(forged.dmarc?.result, 'none');
  assert.equal(forged.dmarc?.action, 'tag');
  const genuine = await authenticate(message('x@nodmarc.test'), opts({ sender: 'x@nodmarc.test' }), s);
  assert.equal(genuine.dmarc?.result, 'none');
  assert.equal(genuine.dmarc?.action, 'none');
});

test('strict From reading: several From fields, several addresses, odd quoting and NUL fail DMARC', async () => {
  const signedTwice = sign(message(['boss@reject.test', 'boss@reject.test']), 'reject.test');
  const cases: [string, Buffer, RegExp][] = [
    ['two From fields', signedTwice, /2 From headers/],
    ['two addresses', sign(message('boss@reject.test, other@reject.test'), 'reject.test'), /2 addresses/],
    ['quoting', sign(message('"boss@reject.test <boss@reject.test>'), 'reject.test'), /quoting/],
    [
      'two angle addresses',
      sign(message('Boss <boss@reject.test> <evil@evil.test>'), 'reject.test'),
      /quoting/,
    ],
    ['NUL', sign(message('boss@reject.test', ['X-Note: a\u0000b']), 'reject.test'), /NUL/],
    [
      'space before colon',
      sign(Buffer.from(message('boss@reject.test').toString().replace('From:', 'From :')), 'reject.test'),
      /space before the colon/,
    ],
  ];
  for (const [name, raw, reason] of cases) {
    const r = await authenticate(raw, opts({ sender: 'boss@reject.test' }), settings());
    assert.ok(
      r.suspicious.some((p) => reason.test(p)),
      `${name}: ${r.suspicious.join(', ')}`,
    );
    assert.equal(r.dmarc?.result, 'fail', name);
    assert.equal(r.dmarc?.action, 'reject', name);
    assert.equal(r.fromDomain, undefined, name);
  }
  // A second From in another domain cannot dodge the strictest policy.
  const mixed = await authenticate(
    message(['a@none.test', 'b@reject.test']),
    opts({ ip: BAD_IP }),
    settings(),
  );
  assert.equal(mixed.dmarc?.action, 'reject');
  assert.equal(mixed.dmarc?.domain, 'reject.test');
});

test('forged Authentication-Results claiming our name are counted, flagged and stripped', async () => {
  const forgedHeader = [
    'Authentication-Results: gw.sekimori.test; dkim=pass header.d=reject.test; dmarc=pass',
    'Authentication-Results: (comment) GW.SEKIMORI.TEST.;',
    '\tspf=pass',
    'Authentication-Results: other.example; spf=fail',
  ];
  const raw = message('ceo@reject.test', forgedHeader);
  const r = await authenticate(raw, opts({ ip: BAD_IP, sender: 'ceo@reject.test' }), settings());
  assert.equal(r.forgedAuthResults, 2);
  assert.ok(r.suspicious.some((s) => /2 forged Authentication-Results/.test(s)));
  assert.equal(r.dmarc?.result, 'fail');
  const stripped = stripForgedAuthResults(raw, MTA).toString();
  assert.doesNotMatch(stripped, /gw\.sekimori\.test;/i);
  assert.doesNotMatch(stripped, /\tspf=pass/);
  assert.match(stripped, /^Authentication-Results: other\.example; spf=fail\r\nFrom: ceo@reject\.test\r\n/);
  assert.equal(stripForgedAuthResults(message('a@b.test'), MTA).toString(), message('a@b.test').toString());
});

test('DKIM approved and enforced lists', async () => {
  const s = settings({ dkimApproved: ['reject.test'], dkimEnforced: ['*.parent.test', 'reject.test'] });
  const approved = await authenticate(
    sign(message('news@reject.test'), 'reject.test'),
    opts({ ip: BAD_IP }),
    s,
  );
  assert.equal(approved.dkimApproved, 'reject.test');
  assert.equal(approved.dkimEnforcedFailure, undefined);
  const unsigned = await authenticate(message('news@reject.test'), opts({ sender: 'news@reject.test' }), s);
  assert.equal(unsigned.dkimApproved, undefined);
  assert.equal(unsigned.dkimEnforcedFailure, 'reject.test');
  const sub = await authenticate(message('a@shop.parent.test'), opts(), s);
  assert.equal(sub.dkimEnforcedFailure, 'shop.parent.test');
  // A valid signature does not approve a message whose From reads two ways.
  const twice = await authenticate(
    sign(message(['a@reject.test', 'b@reject.test']), 'reject.test'),
    opts(),
    s,
  );
  assert.equal(twice.dkimApproved, undefined);
  assert.equal(twice.dkimEnforcedFailure, 'reject.test');
});

test('switches: auth off does nothing; SPF, DKIM and ARC can be turned off one by one', async () => {
  const raw = sign(message('boss@reject.test'), 'reject.test');
  const off = await authenticate(raw, opts(), settings({ enabled: false }));
  assert.equal(off.header, '');
  assert.equal(off.spf, undefined);
  const partial = await authenticate(
    raw,
    opts({ sender: 'boss@reject.test' }),
    settings({ spf: false, dkim: false, arc: false }),
  );
  assert.equal(partial.spf, undefined);
  assert.deepEqual(partial.dkim, []);
  assert.equal(partial.arc, undefined);
  // DMARC still sees the signature.
  assert.equal(partial.dmarc?.result, 'pass');
  const noHeader = await authenticate(raw, opts(), settings({ addResultsHeader: false }));
  assert.equal(noHeader.header, '');
  const arc = await authenticate(raw, opts(), settings());
  assert.equal(arc.arc?.result, 'none');
});

test('the time for all lookups of a message is bounded (auth.timeout)', async () => {
  const silent = await startDnsServer({ unanswered: ['test'] });
  try {
    const started = Date.now();
    const r = await authenticate(
      sign(message('boss@reject.test'), 'reject.test'),
      opts({ sender: 'boss@reject.test', resolvers: [silent.address] }),
      settings({ lookupTimeout: '5s', timeout: '600ms' }),
    );
    assert.ok(Date.now() - started < 3000, `took ${Date.now() - started} ms`);
    assert.equal(r.spf?.result, 'temperror');
    assert.equal(r.dkimResult, 'temperror');
    assert.equal(r.dmarc?.result, 'temperror');
  } finally {
    await silent.stop();
  }
});

test('a DNS server that does not answer gives temperror, never a pass or a fail', async () => {
  const silent = await startDnsServer({ unanswered: ['test'] });
  try {
    const r = await authenticate(
      sign(message('boss@reject.test'), 'reject.test'),
      opts({ sender: 'boss@reject.test', resolvers: [silent.address] }),
      settings({ lookupTimeout: '200ms' }),
    );
    assert.equal(r.spf?.result, 'temperror');
    assert.equal(r.dkimResult, 'temperror');
    assert.equal(r.dmarc?.result, 'temperror');
    assert.equal(r.dmarc?.action, 'none');
  } finally {
    await silent.stop();
  }
});
