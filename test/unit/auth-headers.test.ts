// Strict reading of From (SPEC §13) and forged Authentication-Results: what reads one way is
// trusted, anything a second reader could take differently is "suspicious".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  authservIdOf,
  readFrom,
  readHeaderBlock,
  stripForgedAuthResults,
} from '../../src/auth/message-headers.js';

const msg = (...headers: string[]) => Buffer.from(`${headers.join('\r\n')}\r\n\r\nbody\r\n`, 'latin1');
const from = (value: string, lenient?: string[]) => {
  const raw = msg(`From: ${value}`, 'To: x@example.net');
  return readFrom(readHeaderBlock(raw), raw, lenient);
};

test('header block: fields, folding, offsets, line ends, no body', () => {
  const raw = Buffer.from('A: 1\r\nSubject: two\r\n\tlines\r\nFrom : x@y.test\r\n\r\nbody: not a header\r\n');
  const b = readHeaderBlock(raw);
  assert.deepEqual(
    b.fields.map((f) => [f.name, f.value]),
    [
      ['a', ' 1'],
      ['subject', ' two\r\n\tlines'],
      ['from', ' x@y.test'],
    ],
  );
  assert.equal(b.fields[2]?.rawName, 'From ');
  assert.equal(raw.subarray(b.fields[1]!.start, b.fields[1]!.end).toString(), 'Subject: two\r\n\tlines\r\n');
  assert.equal(raw.subarray(b.bodyStart).toString(), 'body: not a header\r\n');
  assert.equal(b.crlf, true);
  const lf = readHeaderBlock(Buffer.from('From: a@b.test\nTo: c@d.test\n'));
  assert.equal(lf.hasSeparator, false);
  assert.equal(lf.crlf, false);
  assert.equal(lf.fields.length, 2);
  assert.equal(readHeaderBlock(Buffer.from('no colon here\r\nA: b\r\n\r\n')).malformedLines, 1);
});

test('From forms that read one way are trusted', () => {
  const ok: [string, string][] = [
    ['alice@example.com', 'example.com'],
    ['Alice <alice@example.com>', 'example.com'],
    ['"Smith, John" <john@Example.COM>', 'example.com'],
    ['alice@example.com (Alice Example)', 'example.com'],
    ['=?UTF-8?B?5bGx55Sw?= <yamada@example.co.jp>', 'example.co.jp'],
    ['"quoted \\"name\\"" <a@example.com>', 'example.com'],
    ['<a.b+tag@mail.example.com>', 'mail.example.com'],
    ['John Q. Public <john@example.com>', 'example.com'],
    ['"ceo@bank.test" <real@example.com>', 'example.com'],
    ['Alice\r\n <alice@example.com>', 'example.com'],
    ['alice@example.com.', 'example.com'],
  ];
  for (const [value, domain] of ok) {
    const r = from(value);
    assert.deepEqual(r.problems, [], value);
    assert.equal(r.domain, domain, value);
  }
});

test('From forms a second reader could take differently are suspicious', () => {
  const bad: [string, RegExp][] = [
    ['Alice <a@example.com>, Bob <b@example.com>', /2 addresses/],
    ['"unterminated <a@example.com>', /quoting/],
    ['Alice <a@example.com', /quoting/],
    ['a@example.com <b@evil.test>', /quoting/],
    ['Boss <boss@example.com> <evil@evil.test>', /quoting/],
    ['Alice (unclosed <a@example.com>', /quoting/],
    ['undisclosed-recipients:;', /without an address/],
    ['', /without an address/],
    ['alice@', /without a valid domain/],
    ['<>', /without a valid domain/],
    ['a@[192.0.2.1]', /without a valid domain/],
    ['john smith@example.com', /quoting/],
  ];
  for (const [value, re] of bad) {
    const r = from(value);
    assert.ok(
      r.problems.some((p) => re.test(p)),
      `${JSON.stringify(value)}: ${r.problems.join(', ')}`,
    );
    assert.equal(r.domain, undefined, value);
  }
  // every plausible reading is kept for the policy lookup
  assert.deepEqual(from('Boss <boss@example.com> <evil@evil.test>').domains.sort(), [
    'evil.test',
    'example.com',
  ]);
  // when mailauth's reader disagrees with ours
  assert.match(from('a@example.com', ['a@other.test']).problems.join(), /differently/);
});

test('several From fields, "From :", NUL and no From at all', () => {
  const two = msg('From: a@example.com', 'From: b@example.com');
  const r2 = readFrom(readHeaderBlock(two), two);
  assert.match(r2.problems.join(), /2 From headers/);
  assert.deepEqual(r2.domains, ['example.com']);
  const spaced = msg('From : a@example.com');
  assert.match(readFrom(readHeaderBlock(spaced), spaced).problems.join(), /space before the colon/);
  const nul = msg('From: a@example.com', 'X-A: b\u0000c');
  assert.match(readFrom(readHeaderBlock(nul), nul).problems.join(), /NUL/);
  // a NUL in the body is not about the header
  const bodyNul = Buffer.from('From: a@example.com\r\n\r\nx\u0000y\r\n', 'latin1');
  assert.deepEqual(readFrom(readHeaderBlock(bodyNul), bodyNul).problems, []);
  const none = msg('To: a@example.com');
  assert.match(readFrom(readHeaderBlock(none), none).problems.join(), /no From header/);
});

test('authserv-id of an Authentication-Results value', () => {
  assert.equal(authservIdOf(' mx.example.com; spf=pass'), 'mx.example.com');
  assert.equal(authservIdOf(' (comment (nested)) MX.Example.COM 1; none'), 'mx.example.com');
  assert.equal(authservIdOf(' "mx.example.com"; none'), 'mx.example.com');
  assert.equal(authservIdOf('\r\n\tmx.example.com;\r\n\tdkim=pass'), 'mx.example.com');
  assert.equal(authservIdOf(''), undefined);
});

test('stripForgedAuthResults removes only fields claiming our authserv-id, byte for byte otherwise', () => {
  const raw = Buffer.from(
    [
      'Authentication-Results: gw.example.com; spf=pass',
      'Received: from a by b',
      'authentication-results: (x) GW.EXAMPLE.COM.;',
      '\tdkim=pass header.d=bank.test',
      'Authentication-Results: gw.example.com.evil.test; spf=pass',
      'Authentication-Results: other.example; dmarc=fail',
      'From: a@example.com',
      '',
      'Authentication-Results: gw.example.com; in the body',
      '',
    ].join('\r\n'),
  );
  const out = stripForgedAuthResults(raw, 'gw.example.com').toString();
  assert.equal(
    out,
    [
      'Received: from a by b',
      'Authentication-Results: gw.example.com.evil.test; spf=pass',
      'Authentication-Results: other.example; dmarc=fail',
      'From: a@example.com',
      '',
      'Authentication-Results: gw.example.com; in the body',
      '',
    ].join('\r\n'),
  );
  const clean = Buffer.from('From: a@b.test\r\n\r\nx\r\n');
  assert.equal(stripForgedAuthResults(clean, 'gw.example.com'), clean);
  const lf = Buffer.from('Authentication-Results: gw.example.com; spf=pass\nFrom: a@b.test\n\nx\n');
  assert.equal(stripForgedAuthResults(lf, 'gw.example.com').toString(), 'From: a@b.test\n\nx\n');
});
