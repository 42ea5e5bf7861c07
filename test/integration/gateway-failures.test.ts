// What happens when things go wrong around the gateway: a next hop that never takes the
// message (expiry and bounce), a full disk while receiving.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startGateway } from '../helpers/gateway.js';
import { startSink } from '../helpers/sink.js';
import { swaks } from '../helpers/swaks.js';
import { tempDir } from '../helpers/tmp.js';

test('a message the next hop keeps deferring bounces as expired after the queue lifetime', async () => {
  const sink = await startSink({
    rcpt: (a) => (a.startsWith('stuck') ? { code: 421, message: '4.3.2 system not accepting' } : undefined),
  });
  const gw = await startGateway({
    settings: {
      domains: [
        { name: 'example.com', nextHops: [`127.0.0.1:${sink.port}`] },
        { name: 'sender.test', nextHops: [`127.0.0.1:${sink.port}`] },
      ],
      delivery: { maxQueueLifetime: '3s', minRetryInterval: '1s', maxRetryInterval: '1s' },
    },
  });
  try {
    const sent = await swaks({
      server: `${gw.host}:${gw.port}`,
      from: 'alice@sender.test',
      to: 'stuck@example.com',
      subject: 'will expire',
    });
    assert.equal(sent.code, 0, sent.output);
    const all = await sink.waitFor(
      (m) => m.some((x) => x.from === '' && x.to[0] === 'alice@sender.test'),
      30_000,
    );
    const dsn = all.find((x) => x.from === '')?.raw.toString() ?? '';
    assert.match(dsn, /Action: failed/i);
    assert.match(dsn, /Status: 4\.4\.7/);
    assert.match(dsn, /421/);
    const attempts = all.filter((x) => x.to[0] === 'stuck@example.com').length;
    assert.equal(attempts, 0, 'the next hop never accepted the message');
    const tracked = await gw.cli(['log', 'tracking', '--json', '--id', sent.queueId ?? '']);
    const [t] = JSON.parse(tracked.stdout) as { status: string; deliveries: { result: string }[] }[];
    assert.ok(
      (t?.deliveries.filter((d) => d.result === 'deferred').length ?? 0) >= 2,
      'retried before expiring',
    );
    assert.equal(t?.status, 'expired');
  } finally {
    await gw.stop();
    await sink.close();
  }
});

test('a full disk while receiving answers 4xx, keeps the node up, and mail flows again once space is back', async (t) => {
  const dir = await tempDir();
  const queueDir = join(dir.dir, 'queue');
  mkdirSync(queueDir);
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', queueDir]);
  } catch {
    t.skip('cannot mount a small tmpfs here (needs root)');
    await dir.cleanup();
    return;
  }
  const sink = await startSink();
  const gw = await startGateway({
    settings: { domains: [{ name: 'example.com', nextHops: [`127.0.0.1:${sink.port}`] }] },
    env: { SEKIMORI_DATA_DIR: dir.dir },
  });
  try {
    const big = await swaks({
      server: `${gw.host}:${gw.port}`,
      from: 'alice@sender.test',
      to: 'bob@example.com',
      body: 'y'.repeat(2 * 1024 * 1024),
    });
    assert.notEqual(big.code, 0);
    assert.match(big.output, /<\*\* +452 4\.3\.1 /, `a 4xx reply: ${big.output.slice(-500)}`);
    assert.doesNotMatch(big.output, /<\*\* +5\d\d /);
    const small = await swaks({
      server: `${gw.host}:${gw.port}`,
      from: 'alice@sender.test',
      to: 'bob@example.com',
    });
    assert.equal(small.code, 0, small.output);
    await sink.waitFor(1);
  } finally {
    await gw.stop();
    await sink.close();
    execFileSync('umount', [queueDir]);
    await dir.cleanup();
  }
});
