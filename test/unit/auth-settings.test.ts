// The "auth" settings section: defaults, errors that name the bad key, the runtime form.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { authSettingsSchema, resolveAuthSettings } from '../../src/auth/auth-settings.js';

test('defaults: everything verified, p= honoured, header added, signing off, RFC 8301 limits', () => {
  const s = resolveAuthSettings(authSettingsSchema.parse(undefined));
  assert.equal(s.enabled, true);
  assert.deepEqual([s.spf, s.dkim, s.arc, s.dmarc.enabled], [true, true, true, true]);
  assert.equal(s.dmarc.honorPolicy, true);
  assert.deepEqual(s.dmarc.actions, {
    reject: 'reject',
    quarantine: 'quarantine',
    none: 'none',
    noRecord: 'none',
  });
  assert.deepEqual(s.dmarc.exceptions, []);
  assert.equal(s.addResultsHeader, true);
  assert.equal(s.minKeyBits, 1024);
  assert.equal(s.allowSha1, false);
  assert.equal(s.lookupTimeout, 5000);
  assert.equal(s.timeout, 20_000);
  assert.deepEqual(s.dkimSigning, { enabled: false, domains: [] });
  assert.deepEqual([s.dkimApproved, s.dkimEnforced], [[], []]);
});

test('the runtime form: lists as entries, durations in ms, domains lower-cased', () => {
  const s = resolveAuthSettings(
    authSettingsSchema.parse({
      lookupTimeout: '1500ms',
      dmarc: {
        exceptions: ['192.0.2.0/24', 'Lists.Example.org'],
        actions: { reject: 'quarantine', noRecord: 'tag' },
      },
      dkimSigning: {
        enabled: true,
        domains: [{ domain: 'Example.COM', selector: 'S2026' }, { domain: 'b.test' }],
      },
      dkimApproved: ['*.bank.test'],
      dkimEnforced: ['paypal.test'],
    }),
  );
  assert.equal(s.lookupTimeout, 1500);
  assert.deepEqual(s.dmarc.exceptions, [{ entry: '192.0.2.0/24' }, { entry: 'Lists.Example.org' }]);
  assert.equal(s.dmarc.actions.reject, 'quarantine');
  assert.equal(s.dmarc.actions.quarantine, 'quarantine');
  assert.equal(s.dmarc.actions.noRecord, 'tag');
  assert.deepEqual(s.dkimSigning.domains, [
    { domain: 'example.com', selector: 's2026' },
    { domain: 'b.test' },
  ]);
  assert.deepEqual(s.dkimApproved, [{ entry: '*.bank.test' }]);
});

test('bad values are refused with the key that is wrong', () => {
  const bad: [unknown, RegExp][] = [
    [{ dmarc: { actions: { reject: 'bounce' } } }, /dmarc\.actions\.reject/],
    [{ dmarc: { exceptions: ['user@example.com'] } }, /not an IP address, CIDR block or domain/],
    [{ dmarc: { exceptions: ['10.0.0.0/33'] } }, /dmarc\.exceptions\.0/],
    [{ dkimSigning: { domains: [{ domain: '*.example.com' }] } }, /not a domain name/],
    [{ dkimSigning: { domains: [{ domain: 'example.com', selector: 'a b' }] } }, /not a DKIM selector/],
    [{ dkimApproved: ['not a domain'] }, /dkimApproved\.0/],
    [{ minKeyBits: 256 }, /minKeyBits/],
    [{ lookupTimeout: '0s' }, /lookupTimeout/],
    [{ spf: 'yes' }, /spf/],
    [{ dkimSigning: { keys: [] } }, /keys/],
  ];
  for (const [doc, re] of bad) {
    const r = authSettingsSchema.safeParse(doc);
    assert.equal(r.success, false, JSON.stringify(doc));
    const text = r.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') ?? '';
    assert.match(text, re, JSON.stringify(doc));
  }
});
