// spam.external: both engines off by default, defaults filled in when a block is present,
// bad values refused with a message that says what to write.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import {
  defaultExternalEngines,
  externalEnginesSchema,
  resolveExternalEngines,
} from '../../src/spam-engines/settings.js';

const resolve = (doc: unknown) => resolveExternalEngines(externalEnginesSchema.parse(doc));

const problems = (doc: unknown): string[] => {
  const r = externalEnginesSchema.safeParse(doc);
  assert.equal(r.success, false, `accepted ${JSON.stringify(doc)}`);
  return r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

test('nothing configured: no engine', () => {
  assert.deepEqual(defaultExternalEngines(), { retryAfter: 30_000 });
  assert.deepEqual(resolve({}), { retryAfter: 30_000 });
});

test('an empty block turns an engine on with its defaults', () => {
  assert.deepEqual(resolve({ rspamd: {}, spamassassin: {} }), {
    retryAfter: 30_000,
    rspamd: { url: 'http://127.0.0.1:11333', timeout: 10_000, weight: 1, maxSize: 20 * 1024 * 1024 },
    spamassassin: {
      address: { kind: 'tcp', host: '127.0.0.1', port: 783 },
      timeout: 10_000,
      weight: 1,
      maxSize: 512 * 1024,
    },
  });
});

test('every setting, in the units administrators write', () => {
  assert.deepEqual(
    resolve({
      rspamd: {
        url: 'https://rspamd.internal:11332',
        timeout: '1500ms',
        weight: 0.5,
        threshold: 6,
        password: 'pw',
        maxSize: '5MB',
      },
      spamassassin: {
        host: 'unix:/run/spamd.sock',
        timeout: 20,
        weight: 2,
        threshold: 4,
        user: 'sekimori',
        maxSize: '1MB',
      },
      retryAfter: '2m',
    }),
    {
      retryAfter: 120_000,
      rspamd: {
        url: 'https://rspamd.internal:11332',
        timeout: 1500,
        weight: 0.5,
        threshold: 6,
        password: 'pw',
        maxSize: 5 * 1024 ** 2,
      },
      spamassassin: {
        address: { kind: 'unix', path: '/run/spamd.sock' },
        timeout: 20_000,
        weight: 2,
        threshold: 4,
        user: 'sekimori',
        maxSize: 1024 ** 2,
      },
    },
  );
});

test('enabled: false keeps the block but turns the engine off', () => {
  assert.deepEqual(
    resolve({ rspamd: { enabled: false }, spamassassin: { enabled: false, host: '10.0.0.5' } }),
    {
      retryAfter: 30_000,
    },
  );
});

test('bad values are refused, each with a hint', () => {
  assert.deepEqual(problems({ rspamd: { url: 'ftp://h' } }), [
    'rspamd.url: not an http(s) URL without credentials (write e.g. http://127.0.0.1:11333; a password goes in password)',
  ]);
  assert.equal(problems({ rspamd: { url: 'http://user:pw@h:11333' } }).length, 1);
  assert.match(problems({ rspamd: { timeout: '0s' } })[0] ?? '', /^rspamd\.timeout: not a duration/);
  assert.match(problems({ rspamd: { timeout: 'soon' } })[0] ?? '', /^rspamd\.timeout: not a duration/);
  assert.match(problems({ rspamd: { weight: -1 } })[0] ?? '', /^rspamd\.weight/);
  assert.match(problems({ rspamd: { weight: 11 } })[0] ?? '', /^rspamd\.weight/);
  assert.match(problems({ rspamd: { threshold: 0 } })[0] ?? '', /^rspamd\.threshold/);
  assert.match(problems({ rspamd: { maxSize: 'big' } })[0] ?? '', /^rspamd\.maxSize: not a size/);
  assert.deepEqual(problems({ spamassassin: { host: 'http://h:783' } }), [
    'spamassassin.host: not a spamd address (write e.g. 127.0.0.1:783 or unix:/run/spamd.sock)',
  ]);
  assert.match(problems({ spamassassin: { user: 'two words' } })[0] ?? '', /^spamassassin\.user/);
  assert.match(problems({ spamassassin: { port: 783 } })[0] ?? '', /^spamassassin: Unrecognized key/);
  assert.match(problems({ clamd: {} })[0] ?? '', /Unrecognized key/);
});

test('mounts as a field of another section (how spam.external is meant to be used)', () => {
  const spam = z
    .strictObject({ enabled: z.boolean().default(true), external: externalEnginesSchema })
    .prefault({});
  const doc = spam.parse({ external: { rspamd: { weight: 0.7 } } });
  assert.equal(resolveExternalEngines(doc.external).rspamd?.weight, 0.7);
  assert.deepEqual(resolveExternalEngines(spam.parse(undefined).external), { retryAfter: 30_000 });
});
