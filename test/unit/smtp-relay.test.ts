import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { DomainSettings } from '../../src/config/settings.js';
import { normaliseDomain, parseAddress, stripPath } from '../../src/smtp/address.js';
import { checkRecipient, checkSender, findAcceptedDomain } from '../../src/smtp/relay.js';
import { isTrustedClient } from '../../src/smtp/trusted.js';

const domain = (name: string, recipients: string[] = []): DomainSettings => ({
  name,
  nextHops: [],
  recipients,
});
const domains = [
  domain('example.com'),
  domain('*.sub.example.net'),
  domain('listed.test', ['alice', 'bob@listed.test']),
];
const untrusted = { trusted: false, domains };
const trusted = { trusted: true, domains };

// The corpus list (shared/corpora/README.md "Relay refusals"), as written by a client.
const TRICKS = [
  'x@other.test',
  'X@OTHER.TEST',
  'x@other.test.',
  '<@example.com:x@other.test>',
  'x%other.test@example.com',
  'x%other.test@[127.0.0.1]',
  'x@[127.0.0.1]',
  '"x@other.test"',
  '"x@other.test"@example.com',
  'other.test!x',
  'other.test!x@example.com',
  'x@other.test@example.com',
  'x@example.com@other.test',
];

describe('relay control: every trick is refused from an untrusted client', () => {
  for (const raw of TRICKS) {
    it(raw, () => {
      const d = checkRecipient(raw, untrusted);
      assert.equal(d.accept, false, `${raw} was accepted`);
      if (d.accept) return;
      assert.ok(d.code >= 500 && d.code < 600, `${raw}: ${d.code}`);
      assert.match(d.status, /^5\./);
    });
  }

  it('says why: relay denied for foreign domains and IP literals', () => {
    for (const raw of [
      'x@other.test',
      'X@OTHER.TEST',
      'x@other.test.',
      '<@example.com:x@other.test>',
      'x@[127.0.0.1]',
    ]) {
      const d = checkRecipient(raw, untrusted);
      assert.deepEqual(
        d.accept ? d : { code: d.code, status: d.status },
        { code: 554, status: '5.7.1' },
        raw,
      );
      if (!d.accept) assert.match(d.text, /relay denied$/);
    }
  });

  it('refuses %, ! and quoted local parts even for the accepted domain, saying so', () => {
    for (const raw of [
      'x%other.test@example.com',
      'other.test!x@example.com',
      '"x@other.test"@example.com',
    ]) {
      const d = checkRecipient(raw, untrusted);
      assert.equal(d.accept, false, raw);
      if (!d.accept) {
        assert.equal(d.code, 554, raw);
        assert.equal(d.status, '5.7.1', raw);
        assert.match(d.text, /relay denied \(%, !, @ or quotes in the local part/);
      }
    }
    const quoted = checkRecipient('"john smith"@example.com', untrusted);
    assert.equal(quoted.accept, false);
  });

  it('treats several @ and missing domains as syntax errors (501 5.1.3) for everyone', () => {
    for (const raw of [
      'x@other.test@example.com',
      'x@example.com@other.test',
      'other.test!x',
      '"x@other.test"',
    ]) {
      for (const ctx of [untrusted, trusted]) {
        const d = checkRecipient(raw, ctx);
        assert.equal(d.accept, false, raw);
        if (!d.accept) assert.deepEqual([d.code, d.status], [501, '5.1.3'], raw);
      }
    }
  });

  it('judges the real address behind a source route', () => {
    const d = checkRecipient('<@example.com,@relay.test:x@other.test>', untrusted);
    assert.equal(d.accept, false);
    if (!d.accept) assert.match(d.text, /^<x@other\.test>: relay denied/);
    assert.deepEqual(checkRecipient('<@other.test:x@example.com>', untrusted), {
      accept: true,
      address: 'x@example.com',
      local: true,
    });
  });
});

describe('relay control: accepted domains', () => {
  it('accepts the accepted domain in any case and with a trailing dot, stored normalised', () => {
    assert.deepEqual(checkRecipient('x@example.com', untrusted), {
      accept: true,
      address: 'x@example.com',
      local: true,
    });
    assert.deepEqual(checkRecipient('Xy@EXAMPLE.Com.', untrusted), {
      accept: true,
      address: 'Xy@example.com',
      local: true,
    });
    assert.deepEqual(checkRecipient('<x@example.com>', untrusted), {
      accept: true,
      address: 'x@example.com',
      local: true,
    });
  });

  it('matches *.domain for subdomains only', () => {
    assert.equal(checkRecipient('x@a.sub.example.net', untrusted).accept, true);
    assert.equal(checkRecipient('x@a.b.SUB.example.net.', untrusted).accept, true);
    assert.equal(checkRecipient('x@sub.example.net', untrusted).accept, false);
    assert.equal(checkRecipient('x@evilsub.example.net', untrusted).accept, false);
    assert.equal(checkRecipient('x@example.com.evil.test', untrusted).accept, false);
    assert.equal(checkRecipient('x@sub.example.com', untrusted).accept, false);
    assert.equal(findAcceptedDomain('a.sub.example.net', domains)?.name, '*.sub.example.net');
    assert.equal(findAcceptedDomain('[127.0.0.1]', domains), undefined);
  });

  it('checks the recipients list (local parts or full addresses, case-insensitive)', () => {
    assert.equal(checkRecipient('alice@listed.test', untrusted).accept, true);
    assert.equal(checkRecipient('ALICE@Listed.Test', untrusted).accept, true);
    assert.equal(checkRecipient('bob@listed.test', untrusted).accept, true);
    const d = checkRecipient('carol@listed.test', untrusted);
    assert.deepEqual(d, {
      accept: false,
      code: 550,
      status: '5.1.1',
      text: '<carol@listed.test>: recipient unknown',
    });
    // Trusted clients get the same answer for an internal domain.
    assert.equal(checkRecipient('carol@listed.test', trusted).accept, false);
  });

  it('sends a bare postmaster to the first accepted domain', () => {
    assert.deepEqual(checkRecipient('postmaster', untrusted), {
      accept: true,
      address: 'postmaster@example.com',
      local: true,
    });
    assert.equal(checkRecipient('PostMaster', { trusted: false, domains: [] }).accept, false);
  });
});

describe('relay control: trusted clients', () => {
  it('may relay to any domain, including IP literals and routing local parts', () => {
    assert.deepEqual(checkRecipient('x@other.test', trusted), {
      accept: true,
      address: 'x@other.test',
      local: false,
    });
    assert.deepEqual(checkRecipient('X@OTHER.TEST.', trusted), {
      accept: true,
      address: 'X@other.test',
      local: false,
    });
    assert.equal(checkRecipient('x@[127.0.0.1]', trusted).accept, true);
    assert.deepEqual(checkRecipient('x%y@example.com', trusted), {
      accept: true,
      address: 'x%y@example.com',
      local: true,
    });
    assert.deepEqual(checkRecipient('"a b"@Other.Test', trusted), {
      accept: true,
      address: '"a b"@other.test',
      local: false,
    });
  });
});

describe('address syntax', () => {
  it('strips brackets and source routes', () => {
    assert.equal(stripPath('<@a.test,@b.test:x@c.test>'), 'x@c.test');
    assert.equal(stripPath(' <x@c.test> '), 'x@c.test');
    assert.equal(stripPath('<>'), '');
  });

  it('normalises domains', () => {
    assert.equal(normaliseDomain('EXAMPLE.com.'), 'example.com');
    assert.equal(normaliseDomain('bücher.example'), 'xn--bcher-kva.example');
    assert.equal(normaliseDomain('example..com'), undefined);
    assert.equal(normaliseDomain('exa%2ecom'), undefined);
    assert.equal(normaliseDomain('127.0.0.1'), undefined);
    assert.equal(normaliseDomain('0x7f.1'), undefined);
    assert.equal(normaliseDomain('-bad.example'), undefined);
    assert.equal(normaliseDomain('.'), undefined);
  });

  it('parses address literals', () => {
    const v4 = parseAddress('x@[192.0.2.1]');
    assert.ok(v4.ok && v4.value.literal && v4.value.domain === '[192.0.2.1]');
    const v6 = parseAddress('x@[ipv6:2001:DB8::1]');
    assert.ok(v6.ok && v6.value.domain === '[IPv6:2001:db8::1]');
    assert.equal(parseAddress('x@[300.1.1.1]').ok, false);
    assert.equal(parseAddress('x@[other.test]').ok, false);
  });

  it('parses quoted local parts', () => {
    const q = parseAddress('"a\\"b@c"@Example.COM');
    assert.ok(q.ok);
    if (q.ok)
      assert.deepEqual([q.value.local, q.value.domain, q.value.quoted], ['"a\\"b@c"', 'example.com', true]);
    assert.equal(parseAddress('"unterminated@example.com').ok, false);
    assert.equal(parseAddress('a"b@example.com').ok, false);
    assert.equal(parseAddress('a b@example.com').ok, false);
    assert.equal(parseAddress('a(b)@example.com').ok, false);
  });

  it('takes misplaced dots in local parts (like Postfix) and limits the length', () => {
    assert.equal(parseAddress('a..b@example.com').ok, true);
    assert.equal(parseAddress('user.@example.com').ok, true);
    assert.equal(parseAddress(`${'a'.repeat(200)}@${'b'.repeat(49)}.com`).ok, true);
    assert.equal(parseAddress(`${'a'.repeat(200)}@${'b'.repeat(50)}.com`).ok, false);
  });

  it('accepts UTF-8 local parts (SMTPUTF8 is checked by the listener)', () => {
    const u = parseAddress('用户@例子.example');
    assert.ok(u.ok);
    if (u.ok) assert.equal(u.value.address, '用户@xn--fsqu00a.example');
  });

  it('checks senders: null sender, normalisation, syntax', () => {
    assert.deepEqual(checkSender(''), { accept: true, address: '' });
    assert.deepEqual(checkSender('<>'), { accept: true, address: '' });
    assert.deepEqual(checkSender('A@Example.COM.'), { accept: true, address: 'A@example.com' });
    const bad = checkSender('postmaster');
    assert.equal(bad.accept, false);
    if (!bad.accept) assert.deepEqual([bad.code, bad.status], [501, '5.1.7']);
  });
});

describe('trusted networks', () => {
  const nets = ['127.0.0.1/32', '10.0.0.0/8', '2001:db8::/32', '192.0.2.7'];
  it('matches IPv4, IPv6, IPv4-mapped and single addresses', () => {
    assert.equal(isTrustedClient('127.0.0.1', nets), true);
    assert.equal(isTrustedClient('127.0.0.2', nets), false);
    assert.equal(isTrustedClient('10.200.1.1', nets), true);
    assert.equal(isTrustedClient('::ffff:10.1.2.3', nets), true);
    assert.equal(isTrustedClient('2001:db8:1::5', nets), true);
    assert.equal(isTrustedClient('2001:db9::5', nets), false);
    assert.equal(isTrustedClient('192.0.2.7', nets), true);
    assert.equal(isTrustedClient('192.0.2.8', nets), false);
    assert.equal(isTrustedClient('not an ip', nets), false);
    assert.equal(isTrustedClient('127.0.0.1', []), false);
  });
});
