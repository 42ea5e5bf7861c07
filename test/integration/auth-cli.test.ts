// `sekimori dkim …` on both stores, through the real bin/sekimori.js: output, JSON, and exit
// codes (0 ok, 2 bad input, 3 not found).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import { EXIT } from '../../src/cli/common.js';
import { openStore } from '../../src/store/store.js';
import { runCli } from '../helpers/gateway.js';
import { STORE_KINDS, type TestStore } from '../helpers/stores.js';
import { tempDir } from '../helpers/tmp.js';

for (const kind of STORE_KINDS) {
  describe(`sekimori dkim on ${kind.name}`, () => {
    let t: TestStore;
    let tmp: { dir: string; cleanup: () => Promise<void> };
    const cli = (...args: string[]) => {
      const full = [...args, '--database-url', t.url, '--data-dir', tmp.dir];
      return runCli(full);
    };

    before(async () => {
      t = await kind.open();
      await t.store.close();
      // the CLI opens the store itself; reopen ours only for cleanup
      t.store = await openStore(t.url, { migrate: false });
      tmp = await tempDir();
    });
    after(async () => {
      await t.cleanup();
      await tmp.cleanup();
    });

    test('generate prints the key and the record to publish; --json never shows the private key', async () => {
      const ed = await cli('dkim', 'generate', 'Example.TEST', '--type', 'ed25519', '--selector', 'ed1');
      assert.equal(ed.code, 0, ed.stderr);
      assert.match(ed.stdout, /^ed25519 key ed1 for example\.test is now active\n/);
      assert.match(
        ed.stdout,
        /ed1\._domainkey\.example\.test\. IN TXT "v=DKIM1; k=ed25519; p=[A-Za-z0-9+/=]{44}"/,
      );
      const rsa = await cli('dkim', 'generate', 'example.test', '--json');
      assert.equal(rsa.code, 0, rsa.stderr);
      const key = JSON.parse(rsa.stdout) as Record<string, unknown> & { dns: { strings: string[] } };
      assert.equal(key.type, 'rsa');
      assert.equal(key.bits, 2048);
      assert.equal(key.status, 'active');
      assert.match(String(key.selector), /^s\d{8}$/);
      assert.equal(key.privateKey, undefined);
      assert.doesNotMatch(rsa.stdout, /PRIVATE KEY/);
      assert.ok(key.dns.strings.length > 1);
    });

    test('list, dns and export', async () => {
      const list = await cli('dkim', 'list');
      assert.equal(list.code, 0);
      assert.match(list.stdout, /^DOMAIN\s+SELECTOR\s+TYPE\s+STATUS\s+CREATED\s+RETIRED\n/);
      assert.match(list.stdout, /example\.test\s+s\d{8}\s+rsa-2048\s+active/);
      assert.match(list.stdout, /example\.test\s+ed1\s+ed25519\s+retired/);
      const json = JSON.parse((await cli('dkim', 'list', '--json')).stdout) as { selector: string }[];
      assert.equal(json.length, 2);
      assert.equal((await cli('dkim', 'list', 'nokeys.test')).code, EXIT.notFound);

      const dns = await cli('dkim', 'dns', 'example.test');
      assert.equal(dns.code, 0);
      assert.equal(dns.stdout.trim().split('\n').length, 2);
      assert.match(
        dns.stdout,
        /^s\d{8}\._domainkey\.example\.test\. IN TXT "v=DKIM1; k=rsa; p=[^"]+" "[^"]+"/,
      );
      const one = await cli('dkim', 'dns', 'example.test', '--selector', 'ed1', '--json');
      assert.equal((JSON.parse(one.stdout) as { name: string }[])[0]?.name, 'ed1._domainkey.example.test');
      assert.equal((await cli('dkim', 'dns', 'example.test', '--selector', 'nosuch')).code, EXIT.notFound);

      const pem = await cli('dkim', 'export', 'example.test', '--selector', 'ed1');
      assert.equal(pem.code, 0);
      assert.match(pem.stdout, /^-----BEGIN PRIVATE KEY-----\n[\s\S]+-----END PRIVATE KEY-----\n$/);
    });

    // The key store itself runs on both back-ends in auth-dkim-keys.test.ts; each CLI call is a
    // process start, so PostgreSQL gets the first two only.
    const full = { skip: kind.name !== 'SQLite' && 'covered on SQLite' };

    test(
      'import: a PEM private key; a public key, a missing file or no selector is bad input',
      full,
      async () => {
        const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
        const priv = join(tmp.dir, 'priv.pem');
        const pub = join(tmp.dir, 'pub.pem');
        await writeFile(priv, pair.privateKey.export({ type: 'pkcs1', format: 'pem' }));
        await writeFile(pub, pair.publicKey.export({ type: 'spki', format: 'pem' }));
        const ok = await cli('dkim', 'import', 'other.test', '--selector', 'imp', '--key', priv);
        assert.equal(ok.code, 0, ok.stderr);
        assert.match(ok.stdout, /rsa-2048 key imp for other\.test is now active/);
        const again = await cli('dkim', 'import', 'other.test', '--selector', 'imp', '--key', priv);
        assert.equal(again.code, EXIT.usage);
        assert.match(again.stderr, /already has a key with selector imp/);
        const bad = await cli('dkim', 'import', 'other.test', '--selector', 'pub', '--key', pub);
        assert.equal(bad.code, EXIT.usage);
        assert.match(bad.stderr, /public key/);
        assert.equal(
          (await cli('dkim', 'import', 'other.test', '--selector', 'x', '--key', join(tmp.dir, 'none'))).code,
          EXIT.usage,
        );
        assert.equal((await cli('dkim', 'import', 'other.test', '--key', priv)).code, EXIT.usage);
        assert.equal((await cli('dkim', 'generate', 'not a domain')).code, EXIT.usage);
        assert.equal((await cli('dkim', 'generate', 'x.test', '--type', 'dsa')).code, EXIT.usage);
      },
    );

    test('rotate, then remove: the active key needs --force', full, async () => {
      const rotated = await cli('dkim', 'rotate', 'other.test', '--json');
      assert.equal(rotated.code, 0, rotated.stderr);
      const { key, previous } = JSON.parse(rotated.stdout) as {
        key: { selector: string; status: string };
        previous: { selector: string; status: string };
      };
      assert.equal(previous.selector, 'imp');
      assert.equal(previous.status, 'retired');
      assert.equal(key.status, 'active');
      const text = await cli('dkim', 'rotate', 'other.test', '--type', 'ed25519');
      assert.equal(text.code, 0);
      assert.match(text.stdout, /^ed25519 key s\d{8}-2 for other\.test is now active\n/);
      assert.match(text.stdout, new RegExp(`${key.selector} is retired`));
      assert.match(text.stdout, new RegExp(`sekimori dkim remove other\\.test --selector ${key.selector}`));
      assert.equal((await cli('dkim', 'rotate', 'nokeys.test')).code, EXIT.notFound);

      const removed = await cli('dkim', 'remove', 'other.test', '--selector', 'imp');
      assert.equal(removed.code, 0);
      assert.match(
        removed.stdout,
        /removed retired key imp of other\.test; its DNS record imp\._domainkey\.other\.test can go/,
      );
      assert.equal((await cli('dkim', 'remove', 'other.test', '--selector', 'imp')).code, EXIT.notFound);
      const active = await cli('dkim', 'remove', 'other.test', '--selector', `${key.selector}-2`);
      assert.equal(active.code, EXIT.usage);
      assert.match(active.stderr, /active key/);
      assert.equal(
        (await cli('dkim', 'remove', 'other.test', '--selector', `${key.selector}-2`, '--force')).code,
        0,
      );
      const left = JSON.parse((await cli('dkim', 'list', 'other.test', '--json')).stdout) as {
        selector: string;
      }[];
      assert.deepEqual(
        left.map((k) => k.selector),
        [key.selector],
      );
    });
  });
}
