// The small parts of sender authentication: DKIM tag lists and signature checks, alignment,
// the DMARC action table, the Authentication-Results header, the signer's field list.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { checkSignature, decodeDkimQp, parseTagList } from '../../src/auth/dkim-checks.js';
import { dmarcAction, isAligned, organizationalDomain, type DmarcEvaluation } from '../../src/auth/dmarc.js';
import { arComment, arValue, formatResultsHeader, prependHeader } from '../../src/auth/results-header.js';
import { dkimSignature, keysFor, signMessage } from '../../src/auth/dkim-sign.js';
import { authSettingsSchema, resolveAuthSettings } from '../../src/auth/auth-settings.js';
import type { AuthResults } from '../../src/auth/types.js';

test('tag lists (RFC 6376 §3.2)', () => {
  const t = parseTagList(' v=1; a = rsa-sha256;\r\n\tb=abc\r\n def ; ');
  assert.deepEqual(
    [...t.tags],
    [
      ['v', '1'],
      ['a', 'rsa-sha256'],
      ['b', 'abc def'],
    ],
  );
  assert.equal(t.error, undefined);
  assert.match(parseTagList('k=rsa; t; p=x').error ?? '', /without "="/);
  assert.match(parseTagList('a=1; a=2').error ?? '', /repeated/);
  assert.match(parseTagList('1a=x').error ?? '', /bad tag name/);
  assert.equal(decodeDkimQp('jlong=40messiah=2Eedu'), 'jlong@messiah.edu');
});

const sig = (tags: string) =>
  checkSignature(`v=1; a=rsa-sha256; d=example.com; s=sel; h=from:to; bh=AAAA; b=BBBB; ${tags}`, {
    allowSha1: false,
    now: Date.UTC(2026, 0, 1),
  });

test('signature checks: what RFC 6376 §6.1.1 and RFC 8301 refuse', () => {
  assert.equal(sig('').error, undefined);
  assert.equal(sig('').info.domain, 'example.com');
  const bad: [string, RegExp][] = [
    ['v=2', /repeated/],
    ['c=future', /canonicalization/],
    ['q=http', /query method/],
    ['i=a@evil.test', /i= is not within/],
    ['x=1000', /expired/],
    ['l=abc', /l= is not a number/],
  ];
  for (const [tags, re] of bad) assert.match(sig(tags).error ?? '', re, tags);
  const base = { allowSha1: false };
  assert.match(
    checkSignature('v=5; a=rsa-sha256; d=e.com; s=s; h=from; bh=A; b=B', base).error ?? '',
    /version/,
  );
  assert.match(
    checkSignature('v=1; a=rsa-sha1; d=e.com; s=s; h=from; bh=A; b=B', base).error ?? '',
    /RFC 8301/,
  );
  assert.equal(
    checkSignature('v=1; a=rsa-sha1; d=e.com; s=s; h=from; bh=A; b=B', { allowSha1: true }).error,
    undefined,
  );
  assert.match(
    checkSignature('v=1; a=dsa-sha1; d=e.com; s=s; h=from; bh=A; b=B', base).error ?? '',
    /algorithm/,
  );
  assert.match(
    checkSignature('v=1; a=rsa-sha256; d=e.com; s=s; h=to:subject; bh=A; b=B', base).error ?? '',
    /From is not signed/,
  );
  assert.match(
    checkSignature('v=1; a=rsa-sha256; d=e.com; h=from; bh=A; b=B', base).error ?? '',
    /no s= tag/,
  );
  assert.equal(
    checkSignature('v=1; a=rsa-sha256; d=e.com; s=s; h=from; bh=A; b=B; i=x@sub.e.com', base).error,
    undefined,
  );
});

test('alignment: strict is the same name, relaxed the same organizational domain', () => {
  assert.equal(organizationalDomain('a.b.example.co.uk'), 'example.co.uk');
  assert.equal(organizationalDomain('mail.example.com.'), 'example.com');
  assert.equal(isAligned('mail.example.com', 'example.com', false), true);
  assert.equal(isAligned('mail.example.com', 'example.com', true), false);
  assert.equal(isAligned('Example.COM', 'example.com', true), true);
  assert.equal(isAligned('example.co.uk', 'other.co.uk', false), false);
  assert.equal(isAligned('evil-example.com', 'example.com', false), false);
});

const evaluation = (over: Partial<DmarcEvaluation> = {}): DmarcEvaluation => ({
  result: 'fail',
  domain: 'example.com',
  pct: 100,
  sampled: true,
  p: 'reject',
  sp: 'reject',
  policy: 'reject',
  alignment: { spf: { mode: 'relaxed', aligned: false }, dkim: { mode: 'relaxed', aligned: false } },
  ...over,
});

test('the DMARC action table', () => {
  const s = resolveAuthSettings(
    authSettingsSchema.parse({ dmarc: { actions: { quarantine: 'tag', noRecord: 'tag' } } }),
  );
  const ctx = { settings: s.dmarc, clientIp: '203.0.113.5', suspicious: false };
  assert.deepEqual(dmarcAction(evaluation(), ctx), { action: 'reject', reason: 'p=reject' });
  assert.equal(dmarcAction(evaluation({ policy: 'quarantine' }), ctx).action, 'tag');
  assert.equal(dmarcAction(evaluation({ result: 'pass' }), ctx).action, 'none');
  assert.equal(dmarcAction(evaluation({ result: 'temperror' }), ctx).action, 'none');
  assert.equal(dmarcAction(evaluation({ result: 'none' }), ctx).action, 'tag');
  const authenticated = evaluation({
    result: 'none',
    alignment: { spf: { mode: 'relaxed', aligned: true }, dkim: { mode: 'relaxed', aligned: false } },
  });
  assert.equal(dmarcAction(authenticated, ctx).action, 'none');
  assert.equal(dmarcAction(authenticated, { ...ctx, suspicious: true }).action, 'tag');
  const exempt = resolveAuthSettings(
    authSettingsSchema.parse({ dmarc: { exceptions: ['203.0.113.0/24', '*.example.org'] } }),
  );
  assert.match(
    dmarcAction(evaluation(), { ...ctx, settings: exempt.dmarc }).reason,
    /^exception 203\.0\.113\.0\/24/,
  );
  const sub = evaluation({ domain: 'lists.example.org' });
  assert.equal(dmarcAction(sub, { ...ctx, clientIp: '192.0.2.1', settings: exempt.dmarc }).action, 'none');
});

test('Authentication-Results: values quoted, comments escaped, nothing from outside can end the field', () => {
  assert.equal(arValue('example.com'), 'example.com');
  assert.equal(arValue('user@example.com'), 'user@example.com');
  assert.equal(arValue('a b;c'), '"a b;c"');
  assert.equal(arValue('x\r\nInjected: yes'), '"x Injected: yes"');
  assert.equal(arComment('a (b) \\ c\r\nd'), '(a \\(b\\) \\\\ c d)');
  const r: Omit<AuthResults, 'header'> = {
    authservId: 'gw.example.com',
    spf: { result: 'pass', domain: 'example.com', scope: 'mailfrom' },
    dkim: [
      {
        domain: 'example.com\r\nX-Evil: 1',
        selector: 's;1',
        algorithm: 'rsa-sha256',
        result: 'fail',
        reason: 'body hash did not verify',
        aligned: true,
        b: 'abcdefghij',
      },
    ],
    dkimResult: 'fail',
    suspicious: [],
    forgedAuthResults: 0,
  };
  const h = formatResultsHeader(r);
  assert.equal(
    h,
    'Authentication-Results: gw.example.com;\r\n\tspf=pass smtp.mailfrom=example.com;\r\n\t' +
      'dkim=fail (body hash did not verify) header.d="example.com X-Evil: 1" header.s="s;1" header.a=rsa-sha256 header.b=abcdefgh',
  );
  assert.deepEqual(
    h
      .split('\r\n')
      .slice(1)
      .map((l) => l[0]),
    ['\t', '\t'],
    'every line after the first is a continuation',
  );
  assert.equal(
    formatResultsHeader({ ...r, spf: undefined, dkim: [], dkimResult: undefined }),
    'Authentication-Results: gw.example.com; none',
  );
  assert.equal(prependHeader(Buffer.from('A: b\n\nx\n'), 'X: 1\r\n\t2').toString(), 'X: 1\n\t2\nA: b\n\nx\n');
  assert.equal(
    prependHeader(Buffer.from('A: b\r\n\r\nx\r\n'), 'X: 1').toString(),
    'X: 1\r\nA: b\r\n\r\nx\r\n',
  );
});

const pem = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

test('the signer lists the fields present and oversigns From, Reply-To, Subject, To, Cc, MIME fields', () => {
  const raw = Buffer.from(
    'Received: x\r\nFrom: a@example.com\r\nTo: b@example.net\r\nTo: c@example.net\r\nSubject: s\r\nX-Other: 1\r\n\r\nbody\r\n',
  );
  const h = dkimSignature(
    raw,
    { domain: 'example.com', selector: 'sel', privateKey: pem },
    new Date(Date.UTC(2026, 0, 1)),
  );
  const list = /h=([^;]+);/.exec(h.replace(/\r\n\s*/g, ''))?.[1];
  assert.equal(list, 'From:From:Reply-To:Subject:Subject:To:To:To:Cc:MIME-Version:Content-Type');
  assert.match(h, /^DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed\/relaxed; d=example\.com;/);
  assert.match(h, /t=1767225600;/);
  assert.doesNotMatch(h, /Received|X-Other/i);
});

test('keys are chosen for the sender domain or its closest parent; none fits: unchanged', () => {
  const keys = [
    { domain: 'example.com', selector: 'a', privateKey: pem, status: 'active' as const },
    { domain: 'example.com', selector: 'old', privateKey: pem, status: 'retired' as const },
    { domain: 'news.example.com', selector: 'n', privateKey: pem },
  ];
  assert.deepEqual(
    keysFor('example.com', keys).map((k) => k.selector),
    ['a'],
  );
  assert.deepEqual(
    keysFor('shop.example.com', keys).map((k) => k.selector),
    ['a'],
  );
  assert.deepEqual(
    keysFor('x.news.example.com', keys).map((k) => k.selector),
    ['n'],
  );
  assert.deepEqual(keysFor('badexample.com', keys), []);
  const raw = Buffer.from('From: a@other.test\r\n\r\nx\r\n');
  assert.equal(signMessage(raw, 'other.test', keys), raw);
  assert.match(signMessage(raw, 'example.com', keys).toString(), /^DKIM-Signature: .*s=a;/s);
});
