// URL reputation without DNS: registered domains under the Public Suffix List, the URL forms
// browsers accept, and the local block/allow lists.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { matchUrlList, urlTarget, type UrlTarget } from '../../src/reputation/local-lists.js';
import { registeredDomain } from '../../src/reputation/uribl.js';

const target = (url: string) => urlTarget(url) as UrlTarget;

test('registered domains: multi-part public suffixes, private suffixes, IDN, bare suffixes', () => {
  const cases: [string, string | undefined][] = [
    ['www.example.com', 'example.com'],
    ['a.b.shop.example.co.jp', 'example.co.jp'],
    ['example.co.uk', 'example.co.uk'],
    ['www.example.com.au', 'example.com.au'],
    ['mail.city.kawasaki.jp', 'city.kawasaki.jp'],
    ['evil.blogspot.com', 'evil.blogspot.com'],
    ['xn--r8jz45g.xn--wgv71a119e.jp', 'xn--wgv71a119e.jp'],
    ['x.y.example.test', 'example.test'],
    ['co.jp', undefined],
    ['localhost', undefined],
  ];
  for (const [host, domain] of cases) assert.equal(registeredDomain(host), domain, host);
});

test('URLs as browsers read them: IDN to punycode, numeric and hex IPv4, IPv6, user info', () => {
  assert.deepEqual(target('https://Shop.Example.COM./Path?q=1#frag'), {
    url: 'https://Shop.Example.COM./Path?q=1#frag',
    host: 'shop.example.com',
    rest: 'shop.example.com/path?q=1',
  });
  assert.equal(target('http://例え.テスト/').host, 'xn--r8jz45g.xn--zckzah');
  assert.equal(target('http://3232235777/').ip, '192.168.1.1');
  assert.equal(target('http://0x7f.1/').ip, '127.0.0.1');
  assert.equal(target('http://[2001:DB8::1]:8080/x').ip, '2001:db8::1');
  assert.equal(target('http://paypal.com@198.51.100.7/login').ip, '198.51.100.7');
  assert.equal(urlTarget('mailto:someone@example.com'), undefined);
  assert.equal(urlTarget('javascript:alert(1)'), undefined);
  assert.equal(urlTarget('not a url'), undefined);
});

test('local lists: domains with subdomains, *.subdomains only, IPs and CIDRs, URL prefixes', () => {
  const list = [
    'bad.example',
    '*.tracker.example',
    '198.51.100.0/24',
    'https://cdn.example/evil/',
    '例え.テスト',
  ];
  assert.equal(matchUrlList(list, target('http://bad.example/')), 'bad.example');
  assert.equal(matchUrlList(list, target('http://www.BAD.example/x')), 'bad.example');
  assert.equal(matchUrlList(list, target('http://notbad.example/')), undefined);
  assert.equal(matchUrlList(list, target('http://a.tracker.example/')), '*.tracker.example');
  assert.equal(matchUrlList(list, target('http://tracker.example/')), undefined, '*. is for subdomains only');
  assert.equal(matchUrlList(list, target('http://198.51.100.9/')), '198.51.100.0/24');
  assert.equal(
    matchUrlList(list, target('http://3325256713/')),
    '198.51.100.0/24',
    'numeric form of 198.51.100.9',
  );
  assert.equal(matchUrlList(list, target('http://cdn.example/evil/payload.exe')), 'cdn.example/evil/');
  assert.equal(
    matchUrlList(list, target('HTTPS://CDN.example/EVIL/x')),
    'cdn.example/evil/',
    'any scheme, any case',
  );
  assert.equal(matchUrlList(list, target('http://cdn.example/good/')), undefined);
  assert.equal(matchUrlList(list, target('http://www.例え.テスト/')), 'xn--r8jz45g.xn--zckzah');
  assert.equal(matchUrlList([], target('http://bad.example/')), undefined);
});
