// Other people's tricky and broken messages through the running gateway: every one it accepts
// ends delivered or quarantined (never lost), and the node stays up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { startGateway } from '../helpers/gateway.js';
import { startSink } from '../helpers/sink.js';
import { waitUntil } from '../helpers/tmp.js';
import { corpusPath } from '../helpers/corpora.js';

const CORPORA = corpusPath('mime');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return files(p);
    return /\.(eml|raw|txt|msg|mbox)$/i.test(name) || !name.includes('.') ? [p] : [];
  });
}

test(
  'every corpus message accepted by the gateway is delivered or quarantined',
  { skip: !existsSync(CORPORA) },
  async () => {
    const sink = await startSink();
    const gw = await startGateway({
      settings: { domains: [{ name: 'example.com', nextHops: [`127.0.0.1:${sink.port}`] }] },
    });
    const transport = nodemailer.createTransport({
      host: gw.host,
      port: gw.port,
      ignoreTLS: true,
      pool: true,
      maxConnections: 4,
    });
    try {
      const accepted = new Map<string, string>(); // queue ID -> file
      let refused = 0;
      const all = files(CORPORA);
      assert.ok(all.length > 100, `found ${all.length} corpus files`);
      for (const file of all) {
        try {
          const info = await transport.sendMail({
            envelope: { from: 'corpus@sender.test', to: ['user@example.com'] },
            raw: readFileSync(file),
          });
          const id = /queued as ([0-9A-Z]+)/.exec(info.response)?.[1];
          if (id) accepted.set(id, file);
        } catch {
          refused++; // e.g. over a limit: refused at SMTP, so not ours to lose
        }
      }
      assert.ok(
        accepted.size > all.length * 0.9,
        `accepted ${accepted.size} of ${all.length} (${refused} refused)`,
      );
      const final = new Set(['delivered', 'quarantined']);
      let statuses = new Map<string, string>();
      await waitUntil(
        async () => {
          const r = await gw.cli([
            'log',
            'tracking',
            '--json',
            '--limit',
            '1000',
            '--sender',
            'corpus@sender.test',
          ]);
          const rows = JSON.parse(r.stdout) as { queueId: string; status: string }[];
          statuses = new Map(rows.map((x) => [x.queueId, x.status]));
          return [...accepted.keys()].every((id) => final.has(statuses.get(id) ?? ''));
        },
        'every accepted corpus message delivered or quarantined',
        120_000,
        500,
      );
      const quarantined = [...accepted.keys()]
        .filter((id) => statuses.get(id) === 'quarantined')
        .map((id) => accepted.get(id));
      console.log(
        `corpora: ${accepted.size} accepted, ${refused} refused, ${quarantined.length} quarantined: ${quarantined.join(', ')}`,
      );
      assert.equal((await gw.cli(['status'])).code, 0, 'the node is up');
    } finally {
      transport.close();
      await gw.stop();
      await sink.close();
    }
  },
);
