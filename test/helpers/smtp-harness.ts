// Starts an SmtpListener on a free port with a real Spool in a temporary directory.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { toRuntimeSettings, validateSettings, type Settings } from '../../src/config/settings.js';
import { Spool } from '../../src/queue/spool.js';
import type { Envelope } from '../../src/queue/types.js';
import { SmtpListener } from '../../src/smtp/server.js';
import { silentLogger } from '../../src/util/log.js';
import { tempDir } from './tmp.js';
import { testCertificate as sinkCertificate } from './sink.js';

/** The test certificate (self-signed, made once per test process), as text. */
export async function testCertificate(): Promise<{ key: string; cert: string }> {
  const c = await sinkCertificate();
  return { key: c.key.toString(), cert: c.cert.toString() };
}

export interface HarnessOptions {
  /** settings.smtp in document form, e.g. { maxMessageSize: 1000, idleTimeout: '300ms' }. */
  smtp?: Record<string, unknown>;
  domains?: { name: string; recipients?: string[] }[];
  trustedNetworks?: string[];
  /** Wraps the real spool, e.g. to inject failures. */
  wrapSpool?: (spool: Spool) => Pick<Spool, 'startMessage'>;
}

export interface StoredMessage {
  envelope: Envelope;
  body: string;
}

export interface SmtpHarness {
  port: number;
  listener: SmtpListener;
  spool: Spool;
  settings: Settings;
  /** Replaces the live settings (the listener reads them on every connection and command). */
  setSettings(o: HarnessOptions): void;
  /** Envelopes passed to onAccepted, in order. */
  accepted: Envelope[];
  /** For each of them: was the queue file complete (body + envelope) when onAccepted ran? */
  committedWhenAccepted: boolean[];
  /** Committed messages in the incoming queue. */
  stored(): Promise<StoredMessage[]>;
  /** Any file in the incoming queue, committed or not. */
  incomingFiles(): Promise<string[]>;
  close(): Promise<void>;
}

export function makeSettings(o: HarnessOptions = {}): Settings {
  return toRuntimeSettings(
    validateSettings({
      smtp: { hostname: 'mx.test', ...o.smtp },
      domains: o.domains ?? [{ name: 'example.com' }],
      trustedNetworks: o.trustedNetworks ?? ['127.0.0.1/32'],
    }),
  );
}

export async function startSmtp(o: HarnessOptions = {}): Promise<SmtpHarness> {
  const { dir, cleanup } = await tempDir('sekimori-smtp-');
  const log = silentLogger();
  const spool = new Spool(join(dir, 'spool'), log);
  await spool.init();
  const accepted: Envelope[] = [];
  const committedWhenAccepted: boolean[] = [];
  const h = {
    settings: makeSettings(o),
  } as SmtpHarness;
  const listener = new SmtpListener({
    host: '127.0.0.1',
    port: 0,
    settings: () => h.settings,
    spool: o.wrapSpool ? o.wrapSpool(spool) : spool,
    tls: await testCertificate(),
    log,
    onAccepted: (e) => {
      accepted.push(e);
      // A committed file holds the message and then its envelope, so it is larger than the message.
      committedWhenAccepted.push(statSync(spool.path('incoming', e.id)).size > e.size);
    },
  });
  const { port } = await listener.listen();
  return Object.assign(h, {
    port,
    listener,
    spool,
    accepted,
    committedWhenAccepted,
    setSettings(next: HarnessOptions) {
      h.settings = makeSettings(next);
    },
    async stored() {
      const out: StoredMessage[] = [];
      for (const id of await spool.list('incoming')) {
        const info = await spool.read('incoming', id);
        const body = await spool.readBody('incoming', id, info.bodyLength);
        out.push({ envelope: info.envelope, body: body.toString('utf8') });
      }
      return out;
    },
    incomingFiles: () => spool.list('incoming'),
    async close() {
      await listener.close();
      await cleanup();
    },
  });
}

/** Minimal message text with CRLF line ends. */
export function message(subject = 'hello', body = 'Hi there.'): string {
  return `From: <a@sender.test>\r\nTo: <x@example.com>\r\nSubject: ${subject}\r\nMessage-ID: <m1@sender.test>\r\n\r\n${body}\r\n`;
}
