// Settings of the reputation section, return-code patterns and the names lists are asked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateSettings, toRuntimeSettings, SettingsError } from '../../src/config/settings.js';
import { ipv4ToInt, matchesAnswer, parseCodePattern } from '../../src/reputation/codes.js';
import { canonicalIp, isPublicIp, reversedIp, strictIp } from '../../src/reputation/query.js';
import {
  reputationSettingsSchema,
  resolveReputationSettings,
  type ZoneSettings,
} from '../../src/reputation/reputation-settings.js';
import { evaluateAnswers } from '../../src/reputation/zones.js';

const matches = (key: string, answer: string, bitmask = false) => {
  const m = parseCodePattern(key, bitmask);
  assert.ok(m, `${key} parses`);
  return matchesAnswer(m, ipv4ToInt(answer) as number);
};

const resolved = (reputation: unknown) => toRuntimeSettings(validateSettings({ reputation })).reputation;

test('code patterns: single answers, octet ranges, wildcards, CIDR blocks, bit fields', () => {
  assert.ok(matches('127.0.0.2', '127.0.0.2'));
  assert.ok(!matches('127.0.0.2', '127.0.0.3'));
  assert.ok(matches('127.0.0.10-11', '127.0.0.10'));
  assert.ok(matches('127.0.0.10-11', '127.0.0.11'));
  assert.ok(!matches('127.0.0.10-11', '127.0.0.12'));
  assert.ok(matches('127.0.*.3', '127.0.15.3'), 'DNSWL high trust, any category');
  assert.ok(!matches('127.0.*.3', '127.0.15.2'));
  assert.ok(matches('127.0.0.0/24', '127.0.0.200'));
  assert.ok(matches('127.0.0.0/30', '127.0.0.3'));
  assert.ok(!matches('127.0.0.0/30', '127.0.0.4'));
  assert.ok(matches('127.0.0.8', '127.0.0.24', true), 'SURBL PH+MW has the PH bit');
  assert.ok(matches('127.0.0.16', '127.0.0.24', true));
  assert.ok(!matches('127.0.0.64', '127.0.0.24', true));
  assert.ok(!matches('127.0.0.8', '127.0.1.8', true), 'bit fields keep their first three octets');
  for (const bad of ['127.0.0', '127.0.0.256', '127.0.0.5-4', '127.0.0.x', '127.0.0.0/33', '::1']) {
    assert.equal(parseCodePattern(bad), undefined, bad);
  }
  assert.equal(parseCodePattern('127.0.0.0/24', true), undefined, 'a bit field key is one address');
  assert.equal(parseCodePattern('127.0.0.0', true), undefined, 'with at least one bit');
});

test('query names: reversed IPv4 octets, IPv6 nibbles, IPv4-mapped IPv6 as IPv4', () => {
  assert.equal(reversedIp('192.0.2.1'), '1.2.0.192');
  assert.equal(reversedIp('127.0.0.2'), '2.0.0.127');
  assert.equal(reversedIp('::ffff:192.0.2.1'), '1.2.0.192');
  // RFC 5782 §2.4's own example
  assert.equal(
    reversedIp('2001:db8:1:2:3:4:567:89ab'),
    'b.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.8.b.d.0.1.0.0.2',
  );
  assert.equal(reversedIp('2001:DB8::1'), '1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2');
  assert.equal(reversedIp('mail.example.com'), undefined);
  assert.equal(canonicalIp('::FFFF:198.51.100.7'), '198.51.100.7');
  assert.equal(strictIp('1234'), undefined, 'no numeric shorthand read from text');
  assert.equal(strictIp('1.2.3'), undefined);
  assert.equal(strictIp('192.0.2.1'), '192.0.2.1');
  assert.ok(isPublicIp('8.8.8.8'));
  assert.ok(isPublicIp('2a00:1450::1'));
  for (const ip of ['127.0.0.2', '10.1.2.3', '192.168.0.1', '169.254.1.1', '::1', 'fe80::1', 'fc00::1'])
    assert.ok(!isPublicIp(ip), ip);
});

test('the default set: Spamhaus ZEN, SpamCop, Barracuda (off), DNSWL.org, DBL, SURBL, URIBL', () => {
  const doc = reputationSettingsSchema.parse(undefined);
  assert.deepEqual(
    doc.dnsbl.zones.map((z) => [z.zone, z.enabled]),
    [
      ['zen.spamhaus.org', true],
      ['bl.spamcop.net', true],
      ['b.barracudacentral.org', false],
    ],
  );
  const s = resolveReputationSettings(doc);
  assert.deepEqual(
    s.dnsbl.zones.map((z) => z.zone),
    ['zen.spamhaus.org', 'bl.spamcop.net'],
    'disabled zones are left out',
  );
  assert.deepEqual(
    s.dnswl.map((z) => z.zone),
    ['list.dnswl.org'],
  );
  assert.deepEqual(
    s.uribl.zones.map((z) => [z.zone, z.type, z.bitmask]),
    [
      ['dbl.spamhaus.org', 'domain', false],
      ['multi.surbl.org', 'domain', true],
      ['multi.uribl.com', 'domain', true],
      ['zen.spamhaus.org', 'ip', false],
    ],
  );
  assert.equal(s.timeout, 2000);
  assert.equal(s.cacheTtl, 600_000);
  assert.equal(s.dnsbl.reply.mode, 'intelligent');

  const zen = s.dnsbl.zones[0] as ZoneSettings;
  const act = (answer: string) => {
    const v = evaluateAnswers('dnsbl', zen, 'q', [answer]);
    return v.hits[0] ? `${v.hits[0].action} ${v.hits[0].name}` : v.errors.length ? 'error' : 'none';
  };
  assert.equal(act('127.0.0.2'), 'reject SBL');
  assert.equal(act('127.0.0.4'), 'reject XBL');
  assert.equal(act('127.0.0.9'), 'reject DROP');
  assert.equal(act('127.0.0.10'), 'tempfail PBL', 'the dynamic list answers 450 (SPEC §12)');
  assert.equal(act('127.0.0.11'), 'tempfail PBL');
  assert.equal(act('127.255.255.254'), 'error', 'a refused query (public resolver) is no listing');
  assert.equal(act('127.0.0.200'), 'none', 'an undocumented code is ignored');
  assert.equal(act('198.51.100.1'), 'error', 'an answer outside 127/8 is a rewriting resolver');

  const dnswl = s.dnswl[0] as ZoneSettings;
  const wl = (answer: string) => evaluateAnswers('dnswl', dnswl, 'q', [answer]).hits[0];
  assert.deepEqual([wl('127.0.15.3')?.action, wl('127.0.15.3')?.score], ['allow', -2]);
  assert.equal(wl('127.0.5.2')?.action, 'allow');
  assert.deepEqual([wl('127.0.5.1')?.action, wl('127.0.5.1')?.score], ['score', -0.5]);
  assert.equal(wl('127.0.5.0'), undefined, 'trust level none counts for nothing');
  assert.equal(evaluateAnswers('dnswl', dnswl, 'q', ['127.0.0.255']).errors.length, 1, 'over the limit');

  const surbl = s.uribl.zones[1] as ZoneSettings;
  assert.deepEqual(
    evaluateAnswers('uribl', surbl, 'q', ['127.0.0.24']).hits.map((h) => [h.name, h.score]),
    [
      ['SURBL phishing', 4],
      ['SURBL malware', 4],
    ],
    'every bit of a bit field counts',
  );
});

test('zones, codes and replies are editable; the shorthands mean what they say', () => {
  const s = resolved({
    timeout: '500ms',
    dnsbl: {
      zones: [
        {
          zone: 'BL.Example.Test',
          codes: { '127.0.0.2': 'reject', '127.0.0.3': 2.5, '127.0.0.4': { score: 1, name: 'four' } },
          default: 'tempfail',
        },
        { zone: 'plain.example.test' },
      ],
      reply: { mode: 'custom', customCode: 554, customText: 'No thanks, %IP% (%ZONE% says %CODE%)' },
    },
    dnswl: [],
    uribl: { enabled: false, localBlock: ['Bad.Example', 'https://x.example/promo'] },
  });
  assert.equal(s.timeout, 500);
  const z = s.dnsbl.zones[0] as ZoneSettings;
  assert.equal(z.zone, 'bl.example.test', 'zones are lower-cased');
  assert.deepEqual(
    z.codes.map((c) => [c.key, c.action, c.score, c.name]),
    [
      ['127.0.0.2', 'reject', 0, undefined],
      ['127.0.0.3', 'score', 2.5, undefined],
      ['127.0.0.4', 'score', 1, 'four'],
    ],
  );
  assert.equal(z.default.action, 'tempfail');
  assert.equal(
    s.dnsbl.zones[1]?.default.action,
    'reject',
    'a zone without codes rejects any listing (like Postfix)',
  );
  assert.deepEqual(s.dnsbl.reply, {
    mode: 'custom',
    customCode: 554,
    customText: 'No thanks, %IP% (%ZONE% says %CODE%)',
    rejectText: 'Service unavailable; client [%IP%] blocked using %ZONE%',
    tempfailText: 'Service temporarily unavailable; client [%IP%] listed on %ZONE%; try again later',
  });
  assert.deepEqual(s.dnswl, []);
  assert.deepEqual(s.uribl.localBlock, ['bad.example', 'https://x.example/promo']);
});

test('bad reputation settings are refused with the key named', () => {
  const problems = (reputation: unknown) => {
    try {
      validateSettings({ reputation });
      return [];
    } catch (err) {
      assert.ok(err instanceof SettingsError);
      return err.problems;
    }
  };
  assert.deepEqual(problems({ dnsbl: { zones: [{ zone: 'x.test', codes: { '127.0.0.300': 'reject' } }] } }), [
    'reputation.dnsbl.zones[0].codes.127.0.0.300: not a return code (write e.g. 127.0.0.2, 127.0.0.10-11, 127.0.*.3 or 127.0.0.0/24; in a bitmask zone one address such as 127.0.0.8)',
  ]);
  assert.match(
    problems({ dnsbl: { zones: [{ zone: 'x.test', codes: { '127.0.0.2': { action: 'score' } } }] } }).join(),
    /action "score" needs a score/,
  );
  assert.match(
    problems({ dnsbl: { zones: [{ zone: 'x.test', codes: { '127.0.0.2': 'allow' } }] } }).join(),
    /codes/,
  );
  assert.match(problems({ dnswl: [{ zone: 'x.test', codes: { '127.0.0.2': 'reject' } }] }).join(), /dnswl/);
  assert.match(problems({ dnsbl: { zones: [{ zone: 'not a zone' }] } }).join(), /not a DNS zone/);
  assert.match(
    problems({ trustedRelays: ['192.0.2.0/33'] }).join(),
    /trustedRelays\[0\]: not an IP address or CIDR/,
  );
  assert.match(problems({ dnsbl: { reply: { customCode: 250 } } }).join(), /customCode/);
  assert.match(problems({ dnsbl: { reply: { rejectText: 'two\r\nlines' } } }).join(), /printable ASCII/);
  assert.match(problems({ uribl: { localAllow: ['http://[bad'] } }).join(), /uribl\.localAllow\[0\]/);
  assert.match(problems({ timeout: 'soon' }).join(), /timeout: not a duration/);
  assert.match(problems({ dnsbl: { nope: 1 } }).join(), /dnsbl\.nope: unknown setting/);
});
