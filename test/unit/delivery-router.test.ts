import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toRuntimeSettings, validateSettings, type Settings } from '../../src/config/settings.js';
import { findDomain, normalizeDomain, resolveRoute } from '../../src/delivery/router.js';

function settings(doc: Record<string, unknown>): Settings {
  return toRuntimeSettings(validateSettings(doc));
}

const base = {
  domains: [
    { name: 'example.com', nextHops: ['10.0.0.1:2525', 'mail2.example.com'] },
    { name: '*.example.com', nextHops: ['10.0.0.9'] },
    { name: '*.deep.example.com', nextHops: ['10.0.0.7:26'] },
    { name: 'mx-only.example', nextHops: [] },
    { name: '*.wild.example' },
  ],
};

test('static next hops of an accepted domain, in their order, case-insensitive', () => {
  const s = settings(base);
  for (const d of ['example.com', 'EXAMPLE.Com', 'example.com.']) {
    const r = resolveRoute(d, s);
    assert.equal(r.kind, 'static');
    assert.ok(r.kind === 'static');
    assert.equal(r.via, 'nexthop');
    assert.deepEqual(r.hosts, [
      { host: '10.0.0.1', port: 2525 },
      { host: 'mail2.example.com', port: 25 },
    ]);
  }
});

test('*.domain matches subdomains at any depth but not the domain itself; the most specific pattern wins', () => {
  const s = settings(base);
  const sub = resolveRoute('a.example.com', s);
  assert.ok(sub.kind === 'static');
  assert.deepEqual(sub.hosts, [{ host: '10.0.0.9', port: 25 }]);
  const deeper = resolveRoute('x.y.example.com', s);
  assert.ok(deeper.kind === 'static');
  assert.deepEqual(deeper.hosts, [{ host: '10.0.0.9', port: 25 }]);
  const deep = resolveRoute('a.deep.example.com', s);
  assert.ok(deep.kind === 'static');
  assert.deepEqual(deep.hosts, [{ host: '10.0.0.7', port: 26 }]);
  // "deep.example.com" itself only matches *.example.com
  const parent = resolveRoute('deep.example.com', s);
  assert.ok(parent.kind === 'static');
  assert.deepEqual(parent.hosts, [{ host: '10.0.0.9', port: 25 }]);
  assert.equal(findDomain('wild.example', s.domains), undefined);
  assert.equal(findDomain('A.Wild.Example', s.domains)?.name, '*.wild.example');
  // a look-alike suffix is not a subdomain
  assert.equal(findDomain('notexample.com', s.domains), undefined);
});

test('accepted domains without next hops go by MX, even when a smart host is set', () => {
  const s = settings({ ...base, delivery: { default: 'smarthost.example.net:587' } });
  const r = resolveRoute('MX-Only.Example', s);
  assert.deepEqual(r, { kind: 'mx', key: 'mx:mx-only.example', domain: 'mx-only.example' });
  const w = resolveRoute('b.wild.example', s);
  assert.equal(w.kind, 'mx');
});

test('other domains go to the smart host when one is set, else by MX', () => {
  const smart = resolveRoute(
    'gmail.com',
    settings({ ...base, delivery: { default: 'relay.example.net:587' } }),
  );
  assert.ok(smart.kind === 'static');
  assert.equal(smart.via, 'smarthost');
  assert.deepEqual(smart.hosts, [{ host: 'relay.example.net', port: 587 }]);
  assert.deepEqual(resolveRoute('Gmail.COM.', settings(base)), {
    kind: 'mx',
    key: 'mx:gmail.com',
    domain: 'gmail.com',
  });
});

test('destinations with the same next hops share a key (and so connections and the concurrency limit)', () => {
  const s = settings({
    domains: [
      { name: 'a.test', nextHops: ['10.0.0.1'] },
      { name: 'b.test', nextHops: ['10.0.0.1:25'] },
      { name: 'c.test', nextHops: ['10.0.0.2'] },
    ],
    delivery: { default: '10.0.0.1' },
  });
  const a = resolveRoute('a.test', s).key;
  assert.equal(resolveRoute('b.test', s).key, a);
  assert.equal(resolveRoute('elsewhere.test', s).key, a);
  assert.notEqual(resolveRoute('c.test', s).key, a);
  assert.notEqual(resolveRoute('x.test', settings({})).key, resolveRoute('y.test', settings({})).key);
});

test('normalizeDomain lower-cases and drops the trailing dot', () => {
  assert.equal(normalizeDomain(' Example.COM. '), 'example.com');
});
