// The DKIM key store on both back-ends (SQLite and PostgreSQL): generation (RSA-2048, Ed25519),
// import of PEM keys, rotation, removal, the DNS record, and outbound signing with the store's
// active key following a rotation.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { DkimKeyError, DkimKeyStore, dnsRecord } from '../../src/auth/dkim-keys.js';
import { OutboundSigner } from '../../src/auth/dkim-sign.js';
import { authSettingsSchema, resolveAuthSettings } from '../../src/auth/auth-settings.js';
import { STORE_KINDS, type TestStore } from '../helpers/stores.js';

const rejects = (p: Promise<unknown>, kind: DkimKeyError['kind'], re: RegExp) =>
  assert.rejects(p, (e: unknown) => e instanceof DkimKeyError && e.kind === kind && re.test(e.message));

for (const kind of STORE_KINDS) {
  describe(`DKIM keys on ${kind.name}`, () => {
    let t: TestStore;
    let keys: DkimKeyStore;
    let clock = Date.UTC(2026, 10, 28, 12);

    before(async () => {
      t = await kind.open();
      keys = new DkimKeyStore(t.store, () => clock);
    });
    after(async () => {
      await t.cleanup();
    });

    test('generate: RSA-2048 by default, Ed25519 on request, the newest active', async () => {
      const rsa = await keys.generate('Example.COM.');
      assert.equal(rsa.domain, 'example.com');
      assert.equal(rsa.selector, 's20261128');
      assert.equal(rsa.type, 'rsa');
      assert.equal(rsa.bits, 2048);
      assert.equal(rsa.status, 'active');
      assert.match(rsa.privateKey, /^-----BEGIN PRIVATE KEY-----/);
      const spki = createPublicKey({
        key: Buffer.from(rsa.publicKey, 'base64'),
        format: 'der',
        type: 'spki',
      });
      assert.equal(spki.asymmetricKeyDetails?.modulusLength, 2048);

      clock += 1000;
      const ed = await keys.generate('example.com', { selector: 'ed1', type: 'ed25519' });
      assert.equal(ed.type, 'ed25519');
      assert.equal(Buffer.from(ed.publicKey, 'base64').length, 32);
      assert.equal((await keys.active('example.com'))?.selector, 'ed1');
      assert.equal((await keys.get('example.com', rsa.selector))?.status, 'retired');
      assert.equal((await keys.get('example.com', rsa.selector))?.retiredAt, clock);
      // the stored private key is the one whose public half is published
      assert.equal(
        createPublicKey(ed.privateKey)
          .export({ type: 'spki', format: 'der' })
          .subarray(-32)
          .toString('base64'),
        ed.publicKey,
      );
    });

    test('the DNS record: v=DKIM1, the key type, p=, cut into 255-byte strings', async () => {
      const rsa = (await keys.list('example.com')).find((k) => k.type === 'rsa');
      assert.ok(rsa);
      const r = dnsRecord(rsa);
      assert.equal(r.name, `${rsa.selector}._domainkey.example.com`);
      assert.equal(r.value, `v=DKIM1; k=rsa; p=${rsa.publicKey}`);
      assert.ok(r.strings.length >= 2, 'a 2048-bit key does not fit one string');
      assert.ok(r.strings.every((s) => Buffer.byteLength(s) <= 255));
      assert.equal(r.strings.join(''), r.value);
      assert.equal(r.text, `${r.name}. IN TXT ${r.strings.map((s) => `"${s}"`).join(' ')}`);
      const ed = dnsRecord((await keys.get('example.com', 'ed1'))!);
      assert.match(ed.value, /^v=DKIM1; k=ed25519; p=[A-Za-z0-9+/]{43}=$/);
      assert.equal(ed.strings.length, 1);
    });

    test('import: PKCS#1 and PKCS#8 PEM; refuses public keys, short keys, other algorithms', async () => {
      const pkcs1 = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({
        type: 'pkcs1',
        format: 'pem',
      });
      const imported = await keys.import('other.test', 'mail2024', pkcs1.toString());
      assert.equal(imported.bits, 2048);
      assert.equal(imported.status, 'active');
      assert.match(imported.privateKey, /BEGIN PRIVATE KEY/);
      const pub = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({
        type: 'spki',
        format: 'pem',
      });
      await rejects(keys.import('other.test', 'x1', pub.toString()), 'invalid', /public key/);
      const short = generateKeyPairSync('rsa', { modulusLength: 768 }).privateKey.export({
        type: 'pkcs8',
        format: 'pem',
      });
      await rejects(keys.import('other.test', 'x2', short.toString()), 'invalid', /too short/);
      const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({
        type: 'pkcs8',
        format: 'pem',
      });
      await rejects(keys.import('other.test', 'x3', ec.toString()), 'invalid', /ec key/);
      await rejects(keys.import('other.test', 'x4', 'not a key'), 'invalid', /not a private key/);
      await rejects(keys.import('other.test', 'mail2024', pkcs1.toString()), 'exists', /already has/);
      await rejects(keys.generate('*.bad.test'), 'invalid', /not a domain/);
      await rejects(keys.generate('ok.test', { selector: 'bad selector' }), 'invalid', /not a selector/);
      assert.equal((await keys.list('other.test')).length, 1);
    });

    test('rotate: a new selector becomes active, the old one stays retired until removed', async () => {
      clock = Date.UTC(2026, 10, 28, 13);
      const before = await keys.active('other.test');
      const { key, previous } = await keys.rotate('other.test');
      assert.equal(previous.selector, before?.selector);
      assert.equal(key.type, 'rsa', 'the type of the current key');
      assert.equal(key.selector, 's20261128');
      const again = await keys.rotate('other.test', { type: 'ed25519' });
      assert.equal(again.key.selector, 's20261128-2');
      assert.equal(again.key.type, 'ed25519');
      const list = await keys.list('other.test');
      assert.deepEqual(
        list.map((k) => [k.selector, k.status]),
        [
          ['s20261128-2', 'active'],
          ['s20261128', 'retired'],
          ['mail2024', 'retired'],
        ],
      );
      await rejects(keys.rotate('nokeys.test'), 'not-found', /no active key/);
    });

    test('remove: retired keys go; the active one only with force', async () => {
      const removed = await keys.remove('other.test', 'mail2024');
      assert.equal(removed.selector, 'mail2024');
      await rejects(keys.remove('other.test', 'mail2024'), 'not-found', /no key/);
      await rejects(keys.remove('other.test', 's20261128-2'), 'active', /--force/);
      await keys.remove('other.test', 's20261128-2', { force: true });
      assert.equal(await keys.active('other.test'), undefined);
      assert.deepEqual(
        (await keys.list()).map((k) => `${k.domain}/${k.selector}/${k.status}`),
        ['example.com/ed1/active', 'example.com/s20261128/retired', 'other.test/s20261128/retired'],
      );
    });

    test('outbound signing uses the active key and follows a rotation', async () => {
      let settings = resolveAuthSettings(
        authSettingsSchema.parse({ dkimSigning: { enabled: true, domains: [{ domain: 'example.com' }] } }),
      );
      const signer = new OutboundSigner(keys, () => settings, 0);
      const raw = Buffer.from('From: a@news.example.com\r\nTo: b@example.net\r\nSubject: s\r\n\r\nbody\r\n');
      let r = await signer.sign(raw, 'bounce@example.com');
      assert.deepEqual(r.signedBy, ['d=example.com s=ed1']);
      assert.match(
        r.message.toString(),
        /^DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed\/relaxed; d=example\.com;/,
      );
      const { key } = await keys.rotate('example.com', { type: 'rsa' });
      r = await signer.sign(raw, 'bounce@example.com');
      assert.deepEqual(r.signedBy, [`d=example.com s=${key.selector}`]);
      // a fixed selector in settings wins over the active key
      settings = resolveAuthSettings(
        authSettingsSchema.parse({
          dkimSigning: { enabled: true, domains: [{ domain: 'example.com', selector: 'ed1' }] },
        }),
      );
      assert.deepEqual((await signer.sign(raw, '')).signedBy, ['d=example.com s=ed1']);
      // a From that reads two ways is not signed
      const twoFroms = Buffer.from('From: a@example.com\r\nFrom: b@example.com\r\n\r\nx\r\n');
      const refused = await signer.sign(twoFroms, 'a@example.com');
      assert.equal(refused.message, twoFroms);
      assert.match(refused.skipped ?? '', /ambiguous/);
      // other domains and signing off: untouched
      const foreign = Buffer.from('From: a@elsewhere.test\r\n\r\nx\r\n');
      assert.equal((await signer.sign(foreign, 'a@elsewhere.test')).message, foreign);
      settings = resolveAuthSettings(authSettingsSchema.parse({ dkimSigning: { enabled: false } }));
      assert.equal((await signer.sign(raw, '')).message, raw);
    });
  });
}
