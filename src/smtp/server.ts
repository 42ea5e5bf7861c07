// The inbound SMTP listener: smtp-server (see connection.ts for where we adjust it) plus
// Sekimori's policy hooks: connection limits, relay control, per-message limits, and the
// hand-over of each message to the durable spool.
import dns from 'node:dns';
import type { AddressInfo } from 'node:net';
import type {
  SMTPServerAddress,
  SMTPServerDataStream,
  SMTPServerOptions,
  SMTPServerSession,
} from 'smtp-server';
import type { Settings } from '../config/settings.js';
import type { Spool } from '../queue/spool.js';
import type { Envelope, EnvelopeRecipient } from '../queue/types.js';
import type { Logger } from '../util/log.js';
import { connectionOf, GatewayServer, type GatewayConnection } from './connection.js';
import { protocolName, receivedHeader } from './received.js';
import { receiveMessage } from './receive.js';
import { checkRecipient, checkSender } from './relay.js';
import { SmtpReply } from './reply.js';
import type { ReputationHooks } from './reputation-hooks.js';
import type { SenderHooks } from './sender-hooks.js';
import { isLoopback, isTrustedClient } from './trusted.js';

export interface SmtpListenerOptions {
  host: string;
  port: number;
  /** Read on every connection and command: settings change live. */
  settings: () => Settings;
  spool: Pick<Spool, 'startMessage'>;
  /** PEM; the caller generates a self-signed one when none is configured. */
  tls: { key: string | Buffer; cert: string | Buffer };
  log: Logger;
  /** Called after commit, before the 250 is written. */
  onAccepted?: (envelope: Envelope) => void;
  /** Sender filter (SPEC §3): sees each stage's decision and may refuse instead. */
  senderFilter?: SenderHooks;
  /**
   * Looks at each whole message before it is acknowledged (sender authentication): throws an
   * SmtpReply to refuse it, or returns fields for its envelope.
   */
  checkMessage?: (raw: Buffer, envelope: Omit<Envelope, 'id' | 'size'>) => Promise<Partial<Envelope>>;
  /** Email reputation (SPEC §3): DNSBL/DNSWL at connect, after the sender filter. */
  reputation?: ReputationHooks;
}

type Callback = (err?: Error | null) => void;

// eslint-disable-next-line no-control-regex
const NON_ASCII = /[^\x00-\x7f]/;

/** The client's reverse DNS name; smtp-server puts "[ip]" there when there is none. */
function reverseName(session: SMTPServerSession): string | undefined {
  const name = session.clientHostname;
  return name && !name.startsWith('[') ? name : undefined;
}

const LISTEN_ERRORS: Record<string, string> = {
  EADDRINUSE: 'address already in use',
  EACCES: 'permission denied (ports below 1024 need root or CAP_NET_BIND_SERVICE)',
  EADDRNOTAVAIL: 'address not available on this host',
};

export class SmtpListener {
  private readonly server: GatewayServer;
  private readonly log: Logger;
  /** Normalised form of each address smtp-server stored in the session envelope. */
  private readonly normalised = new WeakMap<SMTPServerAddress, string>();
  /** Sessions past the connection limits, and how many there are per client IP. */
  private readonly counted = new WeakSet<SMTPServerSession>();
  private readonly perIp = new Map<string, number>();
  private active = 0;
  /** Accepted sockets whose session has not finished closing (released in onClose). */
  private open = 0;
  private readonly resolver = new dns.Resolver({ timeout: 1000, tries: 1 });

  constructor(private readonly o: SmtpListenerOptions) {
    this.log = o.log.child({ component: 'smtp' });
    const live = () => o.settings().smtp;
    const options: SMTPServerOptions = {
      key: o.tls.key,
      cert: o.tls.cert,
      logger: false,
      // No AUTH yet; the sendmail joke commands (WIZ, SHELL, KILL) are not ours to answer.
      disabledCommands: ['AUTH', 'WIZ', 'SHELL', 'KILL'],
      // smtp-server then only splits local@domain; address.ts is the one parser that both
      // judges and normalises (it strips the trailing dot of "x@example.com.", which
      // smtp-server's strict mode refuses outright).
      lenientAddressParsing: true,
      hideENHANCEDSTATUSCODES: false,
      hideDSN: false,
      heloResponse: '%s Hello %s',
      closeTimeout: 30_000,
      resolver: { reverse: (ip, cb) => this.reverse(ip, cb) },
      onConnect: (session, cb) => this.onConnect(session, cb),
      onClose: (session) => this.onClose(session),
      onMailFrom: (address, session, cb) => this.onMailFrom(address, session, cb),
      onRcptTo: (address, session, cb) => this.onRcptTo(address, session, cb),
      onData: (stream, session, cb) => this.onData(stream, session, cb),
    };
    // smtp-server reads these from its options object whenever it needs them, so getters
    // make the EHLO SIZE, the SIZE= check, the DATA byte limit and the host name live.
    Object.defineProperties(options, {
      name: { enumerable: true, get: () => live().hostname },
      size: { enumerable: true, get: () => live().maxMessageSize },
      socketTimeout: { enumerable: true, get: () => live().idleTimeout },
    });
    this.server = new GatewayServer(options, live);
    this.server.server.on('connection', () => this.open++);
    this.server.on('error', (err: NodeJS.ErrnoException) => {
      if (err.syscall === 'listen') return; // reported by listen()
      this.log.debug({ err }, 'smtp connection error');
    });
  }

  listen(): Promise<{ host: string; port: number }> {
    const net = this.server.server;
    const where = this.o.host.includes(':')
      ? `[${this.o.host}]:${this.o.port}`
      : `${this.o.host}:${this.o.port}`;
    return new Promise((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException) => {
        net.off('listening', onListening);
        const reason = LISTEN_ERRORS[err.code ?? ''] ?? err.message;
        reject(new Error(`cannot listen on ${where}: ${reason}`, { cause: err }));
      };
      const onListening = () => {
        net.off('error', onError);
        const a = net.address() as AddressInfo;
        resolve({ host: a.address, port: a.port });
      };
      net.once('error', onError);
      net.once('listening', onListening);
      this.server.listen(this.o.port, this.o.host);
    });
  }

  /** Stops listening, ends idle sessions with 421, lets messages in flight finish. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      const sweep = () => {
        for (const c of this.server.connections) (c as GatewayConnection).shutdown();
      };
      // Sessions busy with a message are asked again once they are idle.
      const timer = setInterval(sweep, 100);
      this.server.close(() => {
        clearInterval(timer);
        resolve();
      });
      sweep();
    });
  }

  /**
   * Stops accepting connections while sessions under way go on (the console's "stop SMTP");
   * listen() starts again.
   */
  stopListening(): void {
    if (this.server.server.listening) this.server.server.close();
  }

  isListening(): boolean {
    return this.server.server.listening;
  }

  /** Open client connections (until their session is fully released). */
  connectionCount(): number {
    return this.open;
  }

  private reverse(ip: string, cb: (err: Error | null, hostnames?: string[]) => void): void {
    if (isLoopback(ip)) {
      process.nextTick(cb, null, []);
      return;
    }
    this.resolver.reverse(ip, (err, names) => cb(err, names));
  }

  private onConnect(session: SMTPServerSession, cb: Callback): void {
    // Wrapped innermost, so it runs last: after the core's limits and the sender filter.
    if (this.o.reputation) cb = this.o.reputation.connect(session, cb);
    if (this.o.senderFilter) cb = this.o.senderFilter.connect(session, cb);
    const settings = this.o.settings();
    const s = settings.smtp;
    const ip = session.remoteAddress;
    if (this.active >= s.maxConnections) {
      this.log.info({ ip, limit: s.maxConnections }, 'connection refused: too many connections');
      return cb(new SmtpReply(421, '4.7.0', `${s.hostname} Error: too many connections`));
    }
    const fromIp = this.perIp.get(ip) ?? 0;
    // Like Postfix (smtpd_client_event_limit_exceptions), trusted networks have no per-IP limit.
    if (fromIp >= s.maxConnectionsPerIp && !isTrustedClient(ip, settings.trustedNetworks)) {
      this.log.info(
        { ip, limit: s.maxConnectionsPerIp },
        'connection refused: too many connections from one address',
      );
      return cb(
        new SmtpReply(421, '4.7.0', `${s.hostname} Error: too many connections from your address (${ip})`),
      );
    }
    this.active++;
    this.perIp.set(ip, fromIp + 1);
    this.counted.add(session);
    cb();
  }

  private onClose(session: SMTPServerSession): void {
    this.open--;
    if (!this.counted.delete(session)) return;
    this.active--;
    const ip = session.remoteAddress;
    const n = (this.perIp.get(ip) ?? 1) - 1;
    if (n > 0) this.perIp.set(ip, n);
    else this.perIp.delete(ip);
  }

  private onMailFrom(address: SMTPServerAddress, session: SMTPServerSession, cb: Callback): void {
    if (this.o.senderFilter) cb = this.o.senderFilter.mailFrom(session, address, cb);
    const max = this.o.settings().smtp.maxMessagesPerConnection;
    // session.transaction counts DATA transactions so far, plus one. Like Postfix's message
    // rate limit this is a 4xx at MAIL FROM with the session kept (452 is a listed MAIL reply
    // in RFC 5321); the client delivers the rest over a new connection.
    if (session.transaction > max) {
      return cb(
        new SmtpReply(
          452,
          '4.7.1',
          `Error: too many messages in one connection (limit ${max}), please reconnect`,
        ),
      );
    }
    const sender = checkSender(address.address);
    if (!sender.accept) return cb(new SmtpReply(sender.code, sender.status, sender.text));
    if (!session.envelope.smtpUtf8 && NON_ASCII.test(sender.address)) {
      return cb(
        new SmtpReply(553, '5.6.7', `<${address.address}>: non-ASCII address needs the SMTPUTF8 parameter`),
      );
    }
    this.normalised.set(address, sender.address);
    cb();
  }

  private onRcptTo(address: SMTPServerAddress, session: SMTPServerSession, cb: Callback): void {
    if (this.o.senderFilter) cb = this.o.senderFilter.rcptTo(session, cb);
    const settings = this.o.settings();
    const max = settings.smtp.maxRecipientsPerMessage;
    if (session.envelope.rcptTo.length >= max) {
      return cb(new SmtpReply(452, '4.5.3', `Error: too many recipients (limit ${max} per message)`));
    }
    const decision = checkRecipient(address.address, {
      trusted: isTrustedClient(session.remoteAddress, settings.trustedNetworks),
      domains: settings.domains,
    });
    if (!decision.accept) {
      this.log.info(
        { ip: session.remoteAddress, rcpt: address.address, code: decision.code },
        'recipient refused',
      );
      return cb(new SmtpReply(decision.code, decision.status, decision.text));
    }
    if (!session.envelope.smtpUtf8 && NON_ASCII.test(decision.address)) {
      return cb(
        new SmtpReply(553, '5.6.7', `<${address.address}>: non-ASCII address needs the SMTPUTF8 parameter`),
      );
    }
    this.normalised.set(address, decision.address);
    cb();
  }

  private recipients(session: SMTPServerSession): EnvelopeRecipient[] {
    const byAddress = new Map<string, EnvelopeRecipient>();
    for (const r of session.envelope.rcptTo) {
      const address = this.normalised.get(r) ?? r.address;
      const rcpt: EnvelopeRecipient = { address };
      if (r.dsn?.notify) rcpt.notify = r.dsn.notify;
      if (r.dsn?.orcpt) rcpt.orcpt = r.dsn.orcpt;
      byAddress.set(address.toLowerCase(), rcpt);
    }
    return [...byAddress.values()];
  }

  private envelope(session: SMTPServerSession, recipients: EnvelopeRecipient[]) {
    const e = session.envelope;
    const from = e.mailFrom ? (this.normalised.get(e.mailFrom) ?? e.mailFrom.address) : '';
    const rdns = reverseName(session);
    const out: Omit<Envelope, 'id' | 'size' | 'messageId' | 'subject'> = {
      sender: from,
      recipients,
      receivedAt: Date.now(),
      client: { ip: session.remoteAddress, helo: session.hostNameAppearsAs || '', tls: session.secure },
      smtputf8: !!e.smtpUtf8,
      bodyType: e.bodyType === '8bitmime' ? '8BITMIME' : '7BIT',
      origin: 'smtp',
    };
    if (rdns) out.client.hostname = rdns;
    const ret = e.dsn?.ret;
    const envid = e.dsn?.envid;
    if (ret || envid) {
      out.dsn = {};
      if (ret === 'FULL' || ret === 'HDRS') out.dsn.ret = ret;
      if (envid) out.dsn.envid = envid;
    }
    const approved = this.o.senderFilter?.approval(session);
    if (approved) out.senderApproved = approved;
    const reputation = this.o.reputation?.envelope(session);
    if (reputation) out.reputation = reputation;
    return out;
  }

  private onData(
    stream: SMTPServerDataStream,
    session: SMTPServerSession,
    cb: (err?: Error | null, message?: string) => void,
  ): void {
    const connection = connectionOf(session);
    const settings = this.o.settings();
    const recipients = this.recipients(session);
    const envelope = () => this.envelope(session, recipients);
    const received = (id: string) =>
      receivedHeader({
        helo: session.hostNameAppearsAs || '',
        clientHostname: reverseName(session),
        ip: session.remoteAddress,
        by: settings.smtp.hostname,
        protocol: protocolName(
          session.openingCommand === 'EHLO',
          session.secure,
          !!session.envelope.smtpUtf8,
        ),
        id,
        for: recipients.length === 1 ? recipients[0]?.address : undefined,
        date: new Date(),
      });
    receiveMessage(stream, {
      startMessage: () => this.o.spool.startMessage(),
      receivedHeader: received,
      envelope,
      maxMessageSize: settings.smtp.maxMessageSize,
      log: this.log,
      check: this.o.checkMessage
        ? (raw) => this.o.checkMessage?.(raw, envelope()) ?? Promise.resolve({})
        : undefined,
    }).then(
      (accepted) => {
        connection?.refreshTimeout();
        try {
          this.o.onAccepted?.(accepted);
        } catch (err) {
          // The message is on disk; the queue finds it again on restart. Still acknowledge it.
          this.log.error({ err, id: accepted.id }, 'onAccepted failed');
        }
        this.o.senderFilter?.accepted(session, accepted);
        this.log.info(
          { id: accepted.id, from: accepted.sender, rcpts: accepted.recipients.length, size: accepted.size },
          'message accepted',
        );
        cb(null, `2.0.0 Ok: queued as ${accepted.id}`);
      },
      (err: unknown) => {
        connection?.refreshTimeout();
        cb(
          err instanceof SmtpReply ? err : new SmtpReply(451, '4.3.0', 'Error: message not received in full'),
        );
      },
    );
  }
}
