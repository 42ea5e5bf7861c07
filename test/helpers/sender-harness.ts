// In-process test bed for the sender filter: an SmtpListener with a real spool, the sender
// filter hooked in as the gateway does, its events and process log kept for assertions, and
// SMTP clients that connect from any 127.0.0.x source address.
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { toRuntimeSettings, validateSettings, type Settings } from '../../src/config/settings.js';
import { Spool } from '../../src/queue/spool.js';
import type { Envelope } from '../../src/queue/types.js';
import type { SenderEvent } from '../../src/sender/events.js';
import { SenderFilter } from '../../src/sender/filter.js';
import { SenderHooks } from '../../src/smtp/sender-hooks.js';
import { SmtpListener } from '../../src/smtp/server.js';
import { RawSmtp, type Reply } from './smtp-client.js';
import { testCertificate } from './smtp-harness.js';
import { tempDir } from './tmp.js';
import { capturedLogger } from './logs.js';

export const REDIS_URL = process.env.SEKIMORI_TEST_REDIS ?? 'redis://127.0.0.1:6379';

export interface FilteredSmtp {
  port: number;
  filter: SenderFilter;
  hooks: SenderHooks;
  settings: Settings;
  accepted: Envelope[];
  events: SenderEvent[];
  /** Process log lines (JSON objects). */
  logs: Record<string, unknown>[];
  setSenderFilter(senderFilter: unknown): void;
  close(): Promise<void>;
}

export interface FilteredOptions {
  senderFilter?: unknown;
  domains?: { name: string; recipients?: string[] }[];
  trustedNetworks?: string[];
  /** settings.smtp overrides. */
  smtp?: Record<string, unknown>;
  /** settings.dns.resolvers */
  resolvers?: string[];
  node?: string;
}

function settingsOf(o: FilteredOptions): Settings {
  return toRuntimeSettings(
    validateSettings({
      smtp: { hostname: 'mx.test', ...o.smtp },
      domains: o.domains ?? [{ name: 'example.com' }],
      trustedNetworks: o.trustedNetworks ?? ['127.0.0.1/32'],
      dns: { resolvers: o.resolvers ?? [] },
      senderFilter: o.senderFilter ?? {},
    }),
  );
}

export async function startFiltered(o: FilteredOptions = {}): Promise<FilteredSmtp> {
  const { dir, cleanup } = await tempDir('sekimori-sender-');
  const { log, logs } = capturedLogger();
  const spool = new Spool(join(dir, 'spool'), log);
  await spool.init();
  const h = {
    settings: settingsOf(o),
    accepted: [] as Envelope[],
    events: [] as SenderEvent[],
    logs,
  } as FilteredSmtp;
  const current = () => h.settings;
  const filter = new SenderFilter({
    settings: current,
    log,
    node: o.node ?? 'test-node',
    events: { record: (e) => h.events.push(e) },
  });
  await filter.start();
  const hooks = new SenderHooks(filter, current, log);
  const listener = new SmtpListener({
    host: '127.0.0.1',
    port: 0,
    settings: current,
    spool,
    tls: await testCertificate(),
    log,
    onAccepted: (e) => h.accepted.push(e),
    senderFilter: hooks,
  });
  const { port } = await listener.listen();
  return Object.assign(h, {
    port,
    filter,
    hooks,
    setSenderFilter(senderFilter: unknown) {
      h.settings = settingsOf({ ...o, senderFilter });
    },
    async close() {
      await listener.close();
      await filter.close();
      await cleanup();
    },
  });
}

/** Connects from `ip` and returns the client with its greeting. */
export function connectFrom(port: number, ip: string): Promise<{ c: RawSmtp; greeting: Reply }> {
  return RawSmtp.open(port, { localAddress: ip });
}

/** Connects, says EHLO, and returns the client (the greeting must be 220). */
export async function sessionFrom(port: number, ip: string): Promise<RawSmtp> {
  const { c, greeting } = await connectFrom(port, ip);
  if (greeting.code !== 220) {
    c.destroy();
    throw new Error(`greeting from ${ip}: ${greeting.text}`);
  }
  await c.cmd('EHLO client.test');
  return c;
}

export async function quit(c: RawSmtp): Promise<void> {
  if (!c.isClosed()) {
    c.write('QUIT\r\n');
    await c.closed;
  }
}

/** One whole message; returns the reply to MAIL FROM, to each RCPT TO, and to the data (if sent). */
export async function sendMail(
  c: RawSmtp,
  from: string,
  to: string[],
): Promise<{ mail: Reply; rcpts: Reply[]; data?: Reply }> {
  const mail = await c.cmd(`MAIL FROM:<${from}>`);
  const rcpts: Reply[] = [];
  if (mail.code !== 250) return { mail, rcpts };
  for (const r of to) rcpts.push(await c.cmd(`RCPT TO:<${r}>`));
  if (!rcpts.some((r) => r.code === 250)) {
    await c.cmd('RSET');
    return { mail, rcpts };
  }
  const go = await c.cmd('DATA');
  if (go.code !== 354) return { mail, rcpts, data: go };
  c.write(
    `From: <${from || 'mailer-daemon@remote.test'}>\r\nTo: <${to[0]}>\r\nSubject: test\r\n\r\nHello.\r\n.\r\n`,
  );
  return { mail, rcpts, data: await c.read() };
}

/** A Redis key prefix of its own for one test, and a function that deletes its keys. */
export function redisPrefix(): { prefix: string; drop: () => Promise<void> } {
  const prefix = `sekimori-test:${randomBytes(6).toString('hex')}:`;
  return {
    prefix,
    drop: async () => {
      const r = new Redis(REDIS_URL);
      let cursor = '0';
      do {
        const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
        if (keys.length) await r.del(...keys);
        cursor = next;
      } while (cursor !== '0');
      r.disconnect();
    },
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
