// End to end through the real CLI, a real SMTP client (swaks) and a real SMTP next hop.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startGateway, runCli, type TestGateway } from '../helpers/gateway.js';
import { startSink, type Sink, type SinkReply } from '../helpers/sink.js';
import { swaks } from '../helpers/swaks.js';
import { tempDir, waitUntil } from '../helpers/tmp.js';
import { freePort } from '../helpers/ports.js';

interface TrackedJson {
  queueId: string;
  status: string;
  sender: string;
  subject: string | null;
  deliveries: { recipient: string; result: string; reply: string }[];
}
interface QueueJson {
  id: string;
  queue: string;
  pendingRecipients: string[];
  attempts: number;
  lastError?: string;
}

describe('gateway end to end', () => {
  let sink: Sink;
  let gw: TestGateway;
  /** Replies the next hop gives per recipient; tests change it. */
  let rcptReply: (address: string) => SinkReply | undefined = () => undefined;

  before(async () => {
    sink = await startSink({ rcpt: (a) => rcptReply(a) });
    gw = await startGateway({
      settings: {
        smtp: { hostname: 'gw.example.test' },
        domains: [
          { name: 'example.com', nextHops: [`127.0.0.1:${sink.port}`] },
          { name: 'sender.test', nextHops: [`127.0.0.1:${sink.port}`] },
        ],
        trustedNetworks: ['127.0.0.1/32'],
        delivery: { minRetryInterval: '1h', maxRetryInterval: '1h' },
      },
    });
  });
  after(async () => {
    await gw?.stop();
    await sink?.close();
  });

  const server = () => `${gw.host}:${gw.port}`;
  const tracking = async (args: string[]) => {
    const r = await gw.cli(['log', 'tracking', '--json', ...args]);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as TrackedMessageList;
  };
  type TrackedMessageList = TrackedJson[];
  const queueList = async (args: string[] = []) => {
    const r = await gw.cli(['queue', 'list', '--json', ...args]);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as QueueJson[];
  };

  test('a message for an accepted domain reaches its next hop and is tracked as delivered', async () => {
    const before = sink.messages.length;
    const sent = await swaks({
      server: server(),
      from: 'alice@sender.test',
      to: 'bob@example.com',
      subject: 'e2e one',
    });
    assert.equal(sent.code, 0, sent.output);
    assert.ok(sent.queueId, `queued as ID in: ${sent.output}`);
    const [m] = (await sink.waitFor(before + 1)).slice(before);
    assert.deepEqual(m?.to, ['bob@example.com']);
    assert.equal(m?.from, 'alice@sender.test');
    const raw = m?.raw.toString() ?? '';
    assert.match(raw, /^Received: from .*\s+by gw\.example\.test \(Sekimori\)/);
    assert.match(raw, /Subject: e2e one/);
    await waitUntil(
      async () => (await tracking(['--id', sent.queueId ?? '']))[0]?.status === 'delivered',
      'tracked',
    );
    const [t] = await tracking(['--id', sent.queueId ?? '']);
    assert.equal(t?.subject, 'e2e one');
    assert.equal(t?.deliveries[0]?.result, 'delivered');
    assert.match(t?.deliveries[0]?.reply ?? '', /^250/);
  });

  test('a 5xx from the next hop bounces a DSN to the sender; the bounce is never bounced', async () => {
    rcptReply = (a) => (a.startsWith('nobody') ? { code: 550, message: '5.1.1 no such user' } : undefined);
    try {
      const sent = await swaks({
        server: server(),
        from: 'alice@sender.test',
        to: 'nobody@example.com',
        subject: 'to bounce',
      });
      assert.equal(sent.code, 0, sent.output);
      const msgs = await sink.waitFor((all) =>
        all.some((m) => m.from === '' && m.to[0] === 'alice@sender.test'),
      );
      const dsn = msgs.find((m) => m.from === '' && m.to[0] === 'alice@sender.test');
      const text = dsn?.raw.toString() ?? '';
      assert.match(text, /Content-Type: multipart\/report; report-type=delivery-status/i);
      assert.match(text, /Final-Recipient: rfc822; ?nobody@example\.com/i);
      assert.match(text, /Action: failed/i);
      assert.match(text, /Status: 5\.1\.1/);
      assert.match(text, /Subject: to bounce/);
      await waitUntil(
        async () => (await tracking(['--id', sent.queueId ?? '']))[0]?.status === 'bounced',
        'tracked',
      );
      assert.equal(
        (await tracking(['--result', 'bounced', '--sender', 'alice@sender.test'])).length >= 1,
        true,
      );
    } finally {
      rcptReply = () => undefined;
    }
  });

  test('a 4xx defers: the queue shows it with its error, hold/release/flush work, it is delivered when the hop recovers', async () => {
    rcptReply = (a) => (a.startsWith('later') ? { code: 451, message: '4.2.0 try again later' } : undefined);
    const sent = await swaks({
      server: server(),
      from: 'alice@sender.test',
      to: 'later@example.com',
      subject: 'deferred',
    });
    assert.equal(sent.code, 0, sent.output);
    const id = sent.queueId ?? '';
    await waitUntil(
      async () => (await queueList(['--queue', 'deferred'])).some((e) => e.id === id),
      'deferred',
    );
    const [entry] = await queueList(['--recipient', 'later@example.com']);
    assert.equal(entry?.attempts, 1);
    assert.match(entry?.lastError ?? '', /451/);
    const shown = await gw.cli(['queue', 'show', id]);
    assert.equal(shown.code, 0);
    assert.match(shown.stdout, /Subject: deferred/);

    assert.equal((await gw.cli(['queue', 'hold', id])).code, 0);
    assert.equal((await queueList(['--queue', 'hold']))[0]?.id, id);
    const flushAll = await gw.cli(['queue', 'flush']);
    assert.equal(flushAll.code, 2, 'a bulk action without IDs or filters needs --all');
    assert.match(flushAll.stderr, /--all/);

    rcptReply = () => undefined;
    assert.equal((await gw.cli(['queue', 'release', '--queue', 'hold', '--json'])).code, 0);
    await sink.waitFor((all) => all.some((m) => m.to[0] === 'later@example.com'));
    await waitUntil(async () => (await queueList()).every((e) => e.id !== id), 'left the queue');
    const [t] = await tracking(['--id', id]);
    assert.deepEqual(
      t?.deliveries.map((d) => d.result),
      ['deferred', 'delivered'],
    );
  });

  test('queue delete removes a held message without delivering it', async () => {
    rcptReply = (a) => (a.startsWith('hold') ? { code: 452, message: '4.3.1 full' } : undefined);
    try {
      const sent = await swaks({ server: server(), from: 'alice@sender.test', to: 'holdme@example.com' });
      const id = sent.queueId ?? '';
      await waitUntil(
        async () => (await queueList(['--queue', 'deferred'])).some((e) => e.id === id),
        'deferred',
      );
      const del = await gw.cli(['queue', 'delete', '--sender', 'alice@sender.test', '--queue', 'deferred']);
      assert.equal(del.code, 0, del.stderr);
      assert.match(del.stdout, new RegExp(id));
      assert.deepEqual(await queueList(), []);
      await waitUntil(
        async () => (await tracking(['--id', id]))[0]?.status === 'deleted',
        'tracked as deleted',
      );
      const missing = await gw.cli(['queue', 'show', id]);
      assert.equal(missing.code, 3);
    } finally {
      rcptReply = () => undefined;
    }
  });

  test('status reports the running node', async () => {
    const r = await gw.cli(['status', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const s = JSON.parse(r.stdout) as { running: boolean; smtp: { listen: string } };
    assert.equal(s.running, true);
    assert.equal(s.smtp.listen, server());
  });
});

describe('gateway settings and start-up errors', () => {
  test('settings import validates, names the bad key and changes nothing; export prints what was imported', async () => {
    const t = await tempDir();
    try {
      const env = { SEKIMORI_DATA_DIR: t.dir };
      const good = join(t.dir, 'good.yaml');
      await writeFile(
        good,
        [
          'smtp:',
          '  hostname: gw.example.test',
          '  maxMessageSize: 20MB',
          '  maxRecipientsPerMessage: 100',
          'domains:',
          '  - name: example.com',
          '    nextHops: ["127.0.0.1:2626"]',
          'trustedNetworks: ["127.0.0.1/32"]',
          'delivery:',
          '  default: mx',
          '  maxQueueLifetime: 5d',
          '',
        ].join('\n'),
      );
      const imported = await runCli(['settings', 'import', good], env);
      assert.equal(imported.code, 0, imported.stderr);
      assert.match(imported.stdout, /version 1/);
      const bad = join(t.dir, 'bad.yaml');
      await writeFile(bad, 'smtp:\n  maxMessageSize: lots\n  hostnme: x\n');
      const refused = await runCli(['settings', 'import', bad], env);
      assert.equal(refused.code, 2);
      assert.match(refused.stderr, /smtp\.maxMessageSize: not a size/);
      assert.match(refused.stderr, /smtp\.hostnme: unknown setting/);
      const notYaml = join(t.dir, 'broken.yaml');
      await writeFile(notYaml, 'smtp: [unclosed\n');
      assert.equal((await runCli(['settings', 'import', notYaml], env)).code, 2);
      const exported = await runCli(['settings', 'export'], env);
      assert.equal(exported.code, 0);
      assert.match(exported.stdout, /version 1/);
      assert.match(exported.stdout, /hostname: gw\.example\.test/);
      assert.match(exported.stdout, /maxMessageSize: 20MB/);
      assert.match(exported.stdout, /127\.0\.0\.1:2626/);
      // what export prints imports again as it is
      const again = join(t.dir, 'again.yaml');
      await writeFile(again, exported.stdout);
      assert.equal((await runCli(['settings', 'import', again], env)).code, 0);
    } finally {
      await t.cleanup();
    }
  });

  test('start fails clearly when the SMTP port is taken', async () => {
    const t = await tempDir();
    const sink = await startSink();
    try {
      const r = await runCli(['start', '--smtp-listen', `127.0.0.1:${sink.port}`], {
        SEKIMORI_DATA_DIR: t.dir,
      });
      assert.equal(r.code, 1);
      assert.match(r.stderr, new RegExp(`cannot listen on 127\\.0\\.0\\.1:${sink.port}.*in use`, 'i'));
    } finally {
      await sink.close();
      await t.cleanup();
    }
  });

  test('a bad listen address is a usage error', async () => {
    const port = await freePort();
    const r = await runCli(['start', '--smtp-listen', `nowhere:${port}:x`]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--smtp-listen/);
  });
});
