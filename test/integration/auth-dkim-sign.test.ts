// Messages signed by Sekimori verify with an independent verifier — dkimpy (Debian
// python3-dkim), fetching the public key from a real DNS server (dnsmasq) — and break where
// oversigning says they must. The other way round, messages dkimpy signs (DKIM and ARC)
// verify with ours.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createPrivateKey } from 'node:crypto';
import { dnsRecord, generateKeyMaterial, type KeyMaterial } from '../../src/auth/dkim-keys.js';
import { signMessage } from '../../src/auth/dkim-sign.js';
import { authenticate } from '../../src/auth/verify.js';
import { authSettingsSchema, resolveAuthSettings } from '../../src/auth/auth-settings.js';
import { startDnsServer, type DnsServer } from '../helpers/dns-server.js';
import { dkimpy, dkimpyVerify, haveDkimpy } from '../helpers/dkimpy.js';
import { tempDir } from '../helpers/tmp.js';

const skip = haveDkimpy ? false : 'dkimpy missing (apt-get install python3-dkim)';

let dns: DnsServer;
let rsa: KeyMaterial;
let ed: KeyMaterial;
let tmp: { dir: string; cleanup: () => Promise<void> };

before(async () => {
  [rsa, ed] = await Promise.all([generateKeyMaterial('rsa'), generateKeyMaterial('ed25519')]);
  const record = (selector: string, m: KeyMaterial) => {
    const r = dnsRecord({ domain: 'sekimori.test', selector, type: m.type, publicKey: m.publicKey });
    return { name: r.name, text: r.strings };
  };
  // the RSA record is longer than one 255-byte string: dnsmasq serves it split
  dns = await startDnsServer({ txt: [record('rsa1', rsa), record('ed1', ed)] });
  tmp = await tempDir();
});
after(async () => {
  await dns?.stop();
  await tmp?.cleanup();
});

const crlf = (lines: string[]) => Buffer.from(lines.join('\r\n'), 'utf8');

const MESSAGES: Record<string, Buffer> = {
  plain: crlf([
    'From: Alice <alice@sekimori.test>',
    'To: bob@example.net',
    'Subject: quarterly report',
    'Date: Sat, 28 Nov 2026 12:00:00 +0000',
    'Message-ID: <1@sekimori.test>',
    '',
    'Hello Bob.',
    '',
  ]),
  multipart: crlf([
    'From: =?UTF-8?B?5bGx55Sw?= <yamada@sekimori.test>',
    'To: "Bob, B." <bob@example.net>, carol@example.net',
    'Cc: dave@example.net',
    'Subject: =?UTF-8?B?44GK55+l44KJ44Gb?=',
    '  =?UTF-8?B?44Gn44GZ?=',
    'Date: Sat, 28 Nov 2026 12:00:00 +0900',
    'Message-ID: <2@sekimori.test>',
    'MIME-Version: 1.0',
    'Content-Type: multipart/alternative;',
    '\tboundary="b1"',
    '',
    '--b1',
    'Content-Type: text/plain; charset=UTF-8',
    'Content-Transfer-Encoding: 8bit',
    '',
    'こんにちは  世界 \t',
    'trailing spaces   ',
    '--b1',
    'Content-Type: text/html; charset=UTF-8',
    '',
    '<p>' + 'x'.repeat(900) + '</p>',
    '--b1--',
    '',
    '',
    '',
  ]),
  'empty body': crlf(['From: a@sekimori.test', 'To: b@example.net', 'Subject: (no body)', '', '']),
  'header only': crlf(['From: a@sekimori.test', 'To: b@example.net', 'Subject: nothing after me', '']),
};

const sign = (raw: Buffer, selector: string, m: KeyMaterial) =>
  signMessage(raw, 'sekimori.test', { domain: 'sekimori.test', selector, privateKey: m.privateKey });

/** dkimpy's verdict: "pass", or "fail …" with its reason (a body hash mismatch is an exception there). */
function verify(raw: Buffer): Promise<string> {
  return dkimpyVerify(raw, dns.port);
}

test('dkimpy verifies what Sekimori signs (RSA-2048 and Ed25519, varied messages)', { skip }, async () => {
  for (const [name, raw] of Object.entries(MESSAGES)) {
    for (const [selector, m] of [
      ['rsa1', rsa],
      ['ed1', ed],
    ] as const) {
      const signed = sign(raw, selector, m);
      assert.equal(await verify(signed), 'pass', `${name} / ${selector}`);
    }
  }
});

test(
  'a message with LF line ends, signed and then carried with CRLF (as SMTP does), verifies',
  { skip },
  async () => {
    const lf = Buffer.from(MESSAGES.multipart!.toString('utf8').replace(/\r\n/g, '\n'), 'utf8');
    const signed = sign(lf, 'rsa1', rsa);
    assert.ok(!signed.includes('\r'), 'the signature uses the message’s own line ends');
    const onTheWire = Buffer.from(signed.toString('utf8').replace(/\n/g, '\r\n'), 'utf8');
    assert.equal(await verify(onTheWire), 'pass');
  },
);

test(
  'oversigning: a From or Reply-To added after signing breaks the signature; a Received does not',
  { skip },
  async () => {
    const signed = sign(MESSAGES.plain!, 'rsa1', rsa);
    const prepend = (field: string) => Buffer.concat([Buffer.from(`${field}\r\n`), signed]);
    const insertAfterSignature = (field: string) => {
      const text = signed.toString('utf8');
      const at = text.indexOf('\r\nFrom:') + 2;
      return Buffer.from(text.slice(0, at) + `${field}\r\n` + text.slice(at), 'utf8');
    };
    assert.equal(await verify(prepend('Received: from relay.example.net by mx.example.net')), 'pass');
    assert.match(await verify(insertAfterSignature('From: Mallory <ceo@sekimori.test>')), /^fail/);
    assert.match(await verify(insertAfterSignature('Reply-To: mallory@evil.test')), /^fail/);
    assert.match(
      await verify(Buffer.from(signed.toString().replace('Hello Bob.', 'Hello Eve.'))),
      /^fail.*body hash/,
    );
  },
);

test(
  'Sekimori verifies what dkimpy signs (RSA and Ed25519) and rejects it when altered',
  { skip },
  async () => {
    const settings = resolveAuthSettings(
      authSettingsSchema.parse({ spf: false, dmarc: { enabled: false }, arc: false }),
    );
    const o = {
      ip: '192.0.2.1',
      helo: 'c.example',
      sender: '',
      mta: 'gw.sekimori.test',
      resolvers: [dns.address],
    };
    const rsaFile = join(tmp.dir, 'rsa.pem');
    await writeFile(rsaFile, rsa.privateKey);
    // dkimpy takes an Ed25519 private key as the base64 of its 32-byte seed
    const seed = createPrivateKey(ed.privateKey).export({ type: 'pkcs8', format: 'der' }).subarray(-32);
    const edFile = join(tmp.dir, 'ed.key');
    await writeFile(edFile, seed.toString('base64'));
    for (const [selector, alg, file] of [
      ['rsa1', 'rsa-sha256', rsaFile],
      ['ed1', 'ed25519-sha256', edFile],
    ] as const) {
      const signed = await dkimpy(
        ['sign', String(dns.port), selector, 'sekimori.test', alg, file],
        MESSAGES.multipart!,
      );
      assert.equal(signed.code, 0);
      const r = await authenticate(signed.out, o, settings);
      assert.equal(r.dkimResult, 'pass', `${alg}: ${r.dkim.map((s) => s.reason).join()}`);
      assert.equal(r.dkim[0]?.algorithm, alg);
      const altered = Buffer.from(
        signed.out.toString('utf8').replace('trailing spaces', 'trailing space'),
        'utf8',
      );
      assert.equal((await authenticate(altered, o, settings)).dkimResult, 'fail', alg);
    }
  },
);

test(
  'an ARC set sealed by dkimpy verifies (arc=pass); a body changed after sealing does not',
  { skip },
  async () => {
    const settings = resolveAuthSettings(authSettingsSchema.parse({ spf: false, dmarc: { enabled: false } }));
    const o = {
      ip: '192.0.2.1',
      helo: 'c.example',
      sender: '',
      mta: 'gw.sekimori.test',
      resolvers: [dns.address],
    };
    const keyFile = join(tmp.dir, 'arc.pem');
    await writeFile(keyFile, rsa.privateKey);
    const relayed = Buffer.concat([
      Buffer.from(
        'Authentication-Results: relay.example.net; spf=pass smtp.mailfrom=alice@sekimori.test\r\n',
      ),
      MESSAGES.plain!,
    ]);
    const sealed = await dkimpy(
      ['arc', String(dns.port), 'rsa1', 'sekimori.test', 'rsa-sha256', keyFile],
      relayed,
    );
    assert.equal(sealed.code, 0);
    const r = await authenticate(sealed.out, o, settings);
    assert.deepEqual([r.arc?.result, r.arc?.instances], ['pass', 1]);
    assert.match(r.header, /arc=pass/);
    const changed = Buffer.from(sealed.out.toString().replace('Hello Bob.', 'Hello Eve.'));
    assert.equal((await authenticate(changed, o, settings)).arc?.result, 'fail');
  },
);
