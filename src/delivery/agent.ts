// The delivery agent: takes one queued message and some of its recipients, groups them by
// destination, and for each destination finds the addresses (next hops or MX), waits for a
// concurrency slot, reuses an idle session or connects (failing over to the next address), and
// runs the SMTP transactions. Every recipient gets exactly one result; nothing throws.
import type { Readable } from 'node:stream';
import type { Settings } from '../config/settings.js';
import type { Envelope, EnvelopeRecipient, RecipientResult } from '../queue/types.js';
import type { Logger } from '../util/log.js';
import { resolveRoute, type Destination } from './router.js';
import { MxResolver, type LookupResult, type MailHost } from './mx.js';
import { SessionPool } from './pool.js';
import {
  SessionError,
  SmtpSession,
  type SessionOptions,
  type TxRecipient,
  type TxReply,
} from './smtp-session.js';

export interface DeliveryAgentOptions {
  settings: () => Settings;
  log: Logger;
  /** Port for MX and implicit-MX (A/AAAA) destinations; 25 except in tests. */
  mxPort?: number;
  /** How long idle connections stay open for reuse, ms (default 5 s). */
  idleTimeout?: number;
  /** DNS query timeout per try, ms (default 5 s), and tries (default 2). */
  dnsTimeout?: number;
  dnsTries?: number;
}

/** Recipients per transaction, as Postfix's smtp_destination_recipient_limit. */
const MAX_RECIPIENTS_PER_TRANSACTION = 50;
/** A connection is not reused after this long (Postfix: smtp_connection_reuse_time_limit). */
const MAX_SESSION_AGE = 300_000;

interface Group {
  dest: Destination;
  recipients: TxRecipient[];
}

export class DeliveryAgent {
  private readonly pool: SessionPool;
  private readonly mxPort: number;
  private resolver: MxResolver | undefined;
  private resolverKey = '';
  private readonly inflight = new Set<Promise<unknown>>();
  private closed = false;

  constructor(private readonly o: DeliveryAgentOptions) {
    this.mxPort = o.mxPort ?? 25;
    this.pool = new SessionPool({ idleTimeout: o.idleTimeout ?? 5000, maxAge: MAX_SESSION_AGE });
  }

  /** Delivers one message to the given recipients; one result per recipient, in order. */
  deliver(
    envelope: Envelope,
    recipients: string[],
    openMessage: () => NodeJS.ReadableStream | Buffer,
  ): Promise<RecipientResult[]> {
    const p = this.run(envelope, recipients, openMessage).catch((err: unknown) => {
      this.o.log.error({ err, id: envelope.id }, 'delivery failed with a local error');
      return recipients.map((address) => local(address, 'deferred', `4.3.0 local error: ${String(err)}`));
    });
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p));
    return p;
  }

  /** Turns new deliveries away, waits for those under way, closes idle connections. */
  async close(): Promise<void> {
    this.closed = true;
    this.pool.close();
    await Promise.allSettled([...this.inflight]);
    this.pool.close();
  }

  /** Idle connections and busy slots (for status output and tests). */
  stats(): { destinations: number; idle: number; active: number } {
    return this.pool.stats();
  }

  private async run(
    envelope: Envelope,
    recipients: string[],
    openMessage: () => NodeJS.ReadableStream | Buffer,
  ): Promise<RecipientResult[]> {
    if (this.closed)
      return recipients.map((a) => local(a, 'deferred', '4.3.2 delivery agent is shutting down'));
    const settings = this.o.settings();
    const results = new Map<string, RecipientResult>();
    const groups = new Map<string, Group>();
    const known = new Map<string, EnvelopeRecipient>();
    for (const r of envelope.recipients) known.set(r.address, r);

    const seen = new Set<string>();
    for (const address of recipients) {
      if (seen.has(address)) continue;
      seen.add(address);
      const at = address.lastIndexOf('@');
      if (at < 1 || at === address.length - 1) {
        results.set(address, local(address, 'bounced', '5.1.3 bad recipient address syntax'));
        continue;
      }
      // A rule may have re-routed the message to a host of its own choosing.
      const dest: Destination = envelope.route
        ? {
            kind: 'static',
            key: `route:${envelope.route.host}:${envelope.route.port}`,
            hosts: [envelope.route],
            via: 'nexthop',
          }
        : resolveRoute(address.slice(at + 1), settings);
      let g = groups.get(dest.key);
      if (!g) groups.set(dest.key, (g = { dest, recipients: [] }));
      const k = known.get(address);
      g.recipients.push({ address, notify: k?.notify, orcpt: k?.orcpt });
    }

    await Promise.all(
      [...groups.values()].map(async (g) => {
        for (const r of await this.deliverGroup(g, envelope, openMessage, settings))
          results.set(r.address, r);
      }),
    );
    return recipients.map((a) => results.get(a) ?? local(a, 'deferred', '4.3.0 no delivery result'));
  }

  private async deliverGroup(
    g: Group,
    envelope: Envelope,
    openMessage: () => NodeJS.ReadableStream | Buffer,
    settings: Settings,
  ): Promise<RecipientResult[]> {
    const targets = await this.targets(g.dest, settings);
    if (!targets.ok) {
      const outcome = targets.permanent ? 'bounced' : 'deferred';
      return g.recipients.map((r) => local(r.address, outcome, targets.reply));
    }
    if (!(await this.pool.acquire(g.dest.key, settings.delivery.concurrencyPerDestination))) {
      return g.recipients.map((r) => local(r.address, 'deferred', '4.3.2 delivery agent is shutting down'));
    }
    const out: RecipientResult[] = [];
    try {
      for (let i = 0; i < g.recipients.length; i += MAX_RECIPIENTS_PER_TRANSACTION) {
        const chunk = g.recipients.slice(i, i + MAX_RECIPIENTS_PER_TRANSACTION);
        const session = await this.session(g.dest.key, targets.hosts, settings);
        if (session instanceof SessionError) {
          // every address failed: nothing left to try for the rest of the group either
          for (const r of g.recipients.slice(i)) {
            out.push({
              address: r.address,
              outcome: 'deferred',
              reply: session.message,
              code: session.code,
              ...(session.code ? { host: session.host } : {}),
            });
          }
          break;
        }
        const replies = await this.transact(session, envelope, chunk, openMessage);
        for (let j = 0; j < chunk.length; j++) {
          const rep = replies[j] as TxReply;
          out.push({
            address: (chunk[j] as TxRecipient).address,
            outcome: rep.outcome,
            reply: rep.reply,
            host: session.label,
            code: rep.code,
          });
        }
        this.o.log.debug(
          { id: envelope.id, relay: session.label, tls: session.secure, rcpts: chunk.length },
          'delivery attempt done',
        );
        if (this.closed) session.quit();
        else this.pool.put(g.dest.key, session);
      }
    } finally {
      this.pool.release(g.dest.key);
    }
    return out;
  }

  private async transact(
    session: SmtpSession,
    envelope: Envelope,
    recipients: TxRecipient[],
    openMessage: () => NodeJS.ReadableStream | Buffer,
  ): Promise<TxReply[]> {
    let message: Buffer | Readable;
    try {
      message = openMessage() as Buffer | Readable;
    } catch (err) {
      const reply = `4.3.0 cannot read the queued message: ${(err as Error).message}`;
      return recipients.map(() => ({ outcome: 'deferred', code: 0, reply }));
    }
    return session.send(
      {
        from: envelope.sender,
        recipients,
        size: envelope.size || undefined,
        eightBit: envelope.bodyType === '8BITMIME',
        smtputf8: envelope.smtputf8 === true,
        ret: envelope.dsn?.ret,
        envid: envelope.dsn?.envid,
      },
      message,
    );
  }

  /** An idle session of the destination after a good RSET, else a new one, trying each address. */
  private async session(
    key: string,
    hosts: MailHost[],
    settings: Settings,
  ): Promise<SmtpSession | SessionError> {
    for (let s = this.pool.take(key); s; s = this.pool.take(key)) {
      if (await s.reset()) return s;
      s.close();
    }
    const d = settings.delivery;
    const opts: SessionOptions = {
      helo: settings.smtp.hostname,
      tls: d.tls,
      connectTimeout: d.connectTimeout,
      commandTimeout: d.commandTimeout,
    };
    let last = new SessionError('4.4.1 no address to connect to', 0, false);
    for (const h of hosts) {
      const target = { address: h.address, port: h.port ?? this.mxPort, name: h.name };
      try {
        return await SmtpSession.open(target, opts);
      } catch (err) {
        last = err instanceof SessionError ? err : new SessionError(String(err), 0, false);
        this.o.log.info(
          { host: `${h.name}[${h.address}]`, err: last.message },
          'connection failed, trying the next host',
        );
        // Opportunistic TLS that fails in the handshake is retried in plaintext, as Postfix does.
        if (last.tlsFailure && d.tls === 'opportunistic') {
          try {
            return await SmtpSession.open(target, { ...opts, tls: 'none' });
          } catch (err2) {
            last = err2 instanceof SessionError ? err2 : new SessionError(String(err2), 0, false);
          }
        }
      }
    }
    return last;
  }

  /** Addresses to try for a destination, with their ports. */
  private async targets(dest: Destination, settings: Settings): Promise<LookupResult> {
    const resolver = this.mxResolver(settings);
    if (dest.kind === 'mx') return resolver.lookupDomain(dest.domain);
    const hosts: MailHost[] = [];
    let failure: LookupResult | undefined;
    for (const hop of dest.hosts) {
      const r = await resolver.lookupHost(hop.host);
      if (r.ok) for (const h of r.hosts) hosts.push({ ...h, port: hop.port });
      else failure = r;
    }
    if (hosts.length > 0) return { ok: true, hosts };
    return failure ?? { ok: false, permanent: false, reply: '4.4.1 no next hop configured' };
  }

  private mxResolver(settings: Settings): MxResolver {
    const key = settings.dns.resolvers.join(',');
    if (!this.resolver || key !== this.resolverKey) {
      this.resolver = new MxResolver({
        resolvers: settings.dns.resolvers,
        timeout: this.o.dnsTimeout,
        tries: this.o.dnsTries,
      });
      this.resolverKey = key;
      if (this.resolver.configError)
        this.o.log.error({ err: this.resolver.configError }, 'bad DNS resolver setting');
    }
    return this.resolver;
  }
}

function local(address: string, outcome: RecipientResult['outcome'], reply: string): RecipientResult {
  return { address, outcome, reply, code: 0 };
}
