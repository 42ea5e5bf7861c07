import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Spool } from '../../src/queue/spool.js';
import { QueueManager, type FailedRecipient, type MessageHandler } from '../../src/queue/manager.js';
import type { Envelope, RecipientResult } from '../../src/queue/types.js';
import { toRuntimeSettings, validateSettings } from '../../src/config/settings.js';
import { silentLogger } from '../../src/util/log.js';
import { tempDir, waitUntil } from '../helpers/tmp.js';

const log = silentLogger();

function partialEnvelope(sender: string, rcpts: string[]): Omit<Envelope, 'id' | 'size'> {
  return {
    sender,
    recipients: rcpts.map((address) => ({ address })),
    receivedAt: Date.now(),
    client: { ip: '127.0.0.1', helo: 'test', tls: false },
    origin: 'smtp',
  };
}

async function withSpool(fn: (spool: Spool, dir: string) => Promise<void>): Promise<void> {
  const t = await tempDir();
  try {
    const spool = new Spool(join(t.dir, 'queue'), log);
    await spool.init();
    await fn(spool, join(t.dir, 'queue'));
  } finally {
    await t.cleanup();
  }
}

test('a committed message reads back byte for byte with its envelope; an aborted one leaves nothing', async () => {
  await withSpool(async (spool) => {
    const w = await spool.startMessage();
    const body = Buffer.from(
      'Subject: hi\r\n\r\nbody with \u00e9 and a trailer look-alike\n#SEKIMORI-Q1 0000000001\n',
    );
    await w.write(body.subarray(0, 10));
    await w.write(body.subarray(10));
    const env = await w.commit(partialEnvelope('a@b.test', ['c@example.com']));
    assert.equal(env.size, body.length);
    const info = await spool.read('incoming', env.id);
    assert.equal(info.envelope.sender, 'a@b.test');
    assert.deepEqual(await spool.readBody('incoming', env.id, info.bodyLength), body);

    const w2 = await spool.startMessage();
    await w2.write(Buffer.from('partial'));
    await w2.abort();
    assert.deepEqual(await spool.list('incoming'), [env.id]);
  });
});

test('concurrent commits share directory fsyncs (group commit)', async () => {
  await withSpool(async (spool) => {
    await Promise.all(
      Array.from({ length: 60 }, async () => {
        const w = await spool.startMessage();
        await w.write(Buffer.alloc(10_000, 65));
        await w.commit(partialEnvelope('a@b.test', ['c@example.com']));
      }),
    );
    const s = spool.syncStats();
    assert.equal(s.callers, 60);
    assert.ok(s.syncs < 60, `expected fewer fsyncs than commits, got ${s.syncs}`);
    assert.equal((await spool.list('incoming')).length, 60);
  });
});

function manager(spool: Spool, handler: MessageHandler, bounces: FailedRecipient[][], settingsDoc = {}) {
  const settings = toRuntimeSettings(validateSettings(settingsDoc));
  return new QueueManager({
    spool,
    handler,
    settings: () => settings,
    log,
    bounce: async (msg, failed) => {
      bounces.push(failed);
      return Buffer.from(
        `From: MAILER-DAEMON\r\nSubject: failure notice for ${msg.envelope.id}\r\n\r\nfailed\r\n`,
      );
    },
  });
}

/** A handler answering per recipient by its local part: ok*, defer*, bounce*. */
function scripted(calls: string[][]): MessageHandler {
  return {
    async handle(_msg, rcpts): Promise<RecipientResult[]> {
      calls.push(rcpts);
      return rcpts.map((address) => {
        if (address.startsWith('defer'))
          return { address, outcome: 'deferred', reply: '451 4.3.0 later', code: 451 };
        if (address.startsWith('bounce'))
          return { address, outcome: 'bounced', reply: '550 5.1.1 unknown', code: 550 };
        return { address, outcome: 'delivered', reply: '250 ok', code: 250 };
      });
    },
  };
}

test('delivered messages leave the queue; a permanent failure bounces to the sender, never to <>', async () => {
  await withSpool(async (spool) => {
    const calls: string[][] = [];
    const bounces: FailedRecipient[][] = [];
    const m = manager(spool, scripted(calls), bounces);
    await m.load();
    m.start();
    const env1 = await spool.enqueueLocal(
      partialEnvelope('alice@sender.test', ['ok@example.com', 'bounce@example.com']),
      Buffer.from('Subject: x\r\n\r\nhi\r\n'),
    );
    m.accept(env1);
    const env2 = await spool.enqueueLocal(
      partialEnvelope('', ['bounce2@example.com']),
      Buffer.from('Subject: y\r\n\r\nhi\r\n'),
    );
    m.accept(env2);
    await waitUntil(() => m.list({ olderThan: 0 }).length === 0 && calls.length >= 3, 'all handled');
    assert.equal(bounces.length, 1, 'one bounce, for the message with a real sender');
    assert.deepEqual(
      bounces[0]?.map((f) => f.address),
      ['bounce@example.com'],
    );
    // the bounce itself went through the queue to the original sender
    assert.ok(calls.some((c) => c.length === 1 && c[0] === 'alice@sender.test'));
    await m.stop();
  });
});

test('temporary failures are deferred with state, not retried before due, and retried on flush; delivered recipients are not sent twice', async () => {
  await withSpool(async (spool) => {
    const calls: string[][] = [];
    const m = manager(spool, scripted(calls), []);
    await m.load();
    m.start();
    const env = await spool.enqueueLocal(
      partialEnvelope('a@s.test', ['ok@example.com', 'defer@example.com']),
      Buffer.from('Subject: z\r\n\r\nhi\r\n'),
    );
    m.accept(env);
    await waitUntil(() => m.list({ queue: 'deferred' }).length === 1, 'deferred');
    const entry = m.list({ queue: 'deferred' })[0];
    assert.deepEqual(entry?.pendingRecipients, ['defer@example.com']);
    assert.equal(entry?.attempts, 1);
    assert.ok(
      (entry?.nextAttemptAt ?? 0) > Date.now() + 60_000,
      'next attempt after the minimum retry interval',
    );
    assert.ok(entry?.lastError?.includes('451'));
    assert.deepEqual(await readdir(join(spool.dir, 'deferred')), [env.id]);

    await m.flush({ ids: [env.id] });
    await waitUntil(() => calls.length === 2 && m.list({ queue: 'deferred' })[0]?.attempts === 2, 'retried');
    assert.deepEqual(calls[1], ['defer@example.com'], 'only the pending recipient is tried again');
    await m.stop();

    // A restart finds the deferred message and its state.
    const m2 = manager(spool, scripted(calls), []);
    await m2.load();
    assert.equal(m2.list({ queue: 'deferred' })[0]?.attempts, 2);
  });
});

test('a message still failing after the queue lifetime bounces as expired', async () => {
  await withSpool(async (spool) => {
    const bounces: FailedRecipient[][] = [];
    const m = manager(spool, scripted([]), bounces, {
      delivery: { maxQueueLifetime: '1s', minRetryInterval: '1s' },
    });
    await m.load();
    m.start();
    const env = await spool.enqueueLocal(
      { ...partialEnvelope('a@s.test', ['defer@example.com']), receivedAt: Date.now() - 5000 },
      Buffer.from('Subject: old\r\n\r\nhi\r\n'),
    );
    m.accept(env);
    await waitUntil(() => bounces.length === 1, 'expired bounce');
    assert.equal(bounces[0]?.[0]?.expired, true);
    await waitUntil(() => m.list({ ids: [env.id] }).length === 0, 'original removed');
    await m.stop();
  });
});

test('hold, release and delete by filter; an empty filter is refused', async () => {
  await withSpool(async (spool) => {
    const m = manager(spool, scripted([]), []);
    await m.load(); // not started: nothing is delivered
    const a = await spool.enqueueLocal(
      partialEnvelope('spammer@bad.test', ['x@example.com']),
      Buffer.from('a'),
    );
    const b = await spool.enqueueLocal(
      partialEnvelope('friend@good.test', ['y@example.com']),
      Buffer.from('b'),
    );
    m.accept(a);
    m.accept(b);
    await assert.rejects(m.delete({}), /refusing/);
    assert.deepEqual((await m.hold({ sender: '*@bad.test' })).affected, [a.id]);
    assert.deepEqual(await spool.list('hold'), [a.id]);
    assert.deepEqual((await m.release({ queue: 'hold' })).affected, [a.id]);
    assert.deepEqual((await m.delete({ recipient: 'Y@EXAMPLE.COM' })).affected, [b.id]);
    assert.deepEqual(await spool.list('incoming'), [a.id]);
  });
});

test('recovery: active goes back to incoming, uncommitted files are dropped', async () => {
  await withSpool(async (spool, dir) => {
    const env = await spool.enqueueLocal(partialEnvelope('a@s.test', ['ok@example.com']), Buffer.from('x'));
    await spool.move(env.id, 'incoming', 'active');
    await mkdir(join(dir, 'incoming'), { recursive: true });
    await writeFile(join(dir, 'incoming', '0000000000000000'), 'half a message, no envelope');
    await writeFile(join(dir, 'state', 'ORPHAN0000000000.json'), '{}');
    const calls: string[][] = [];
    const m = manager(spool, scripted(calls), []);
    await m.load();
    assert.deepEqual(await spool.list('incoming'), [env.id]);
    assert.deepEqual(await spool.list('active'), []);
    assert.deepEqual(await readdir(join(dir, 'state')), []);
    m.start();
    await waitUntil(() => calls.length === 1, 'recovered message delivered');
    await m.stop();
  });
});
