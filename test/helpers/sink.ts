// A real SMTP server (smtp-server) for tests: the next hop / MX that Sekimori delivers to. It
// records every message (envelope, parameters, raw bytes, TLS or not, which connection) and
// answers MAIL, RCPT and DATA as the test programs it.
//
//   const sink = await startSink({ tls: true });       // 127.0.0.1, a free port
//   ... deliver to 127.0.0.1:sink.port ...
//   const [m] = await sink.waitFor(1);                  // first message
//   await sink.close();
//
// By default recipients whose local part starts with "defer" get
// "451 4.2.0 mailbox temporarily unavailable" and those starting with "reject" get
// "550 5.1.1 no such user"; everything else is accepted.
import { makeSelfSignedCertificate } from '../../src/config/tls.js';
import { SMTPServer, type SMTPServerAddressArgs } from 'smtp-server';

export interface SinkReply {
  code: number;
  /** Reply text, with an enhanced status code if wanted: "5.1.1 no such user". */
  message: string;
}

export interface ReceivedMessage {
  /** The same for every message of one SMTP connection. */
  connectionId: string;
  /** Envelope sender, "" for the null sender. */
  from: string;
  /** MAIL FROM parameters (upper-case keys, xtext decoded), e.g. { BODY: '8BITMIME', RET: 'HDRS' }. */
  mailArgs: SMTPServerAddressArgs;
  to: string[];
  /** RCPT TO parameters per recipient, e.g. { 'a@x.test': { NOTIFY: 'FAILURE', ORCPT: 'rfc822;a@x.test' } }. */
  rcptArgs: Record<string, SMTPServerAddressArgs>;
  raw: Buffer;
  /** Whether the connection was TLS (STARTTLS) when the message arrived. */
  secure: boolean;
  /** The client's EHLO/HELO name. */
  helo: string;
}

export interface SinkOptions {
  /** Offer STARTTLS with a self-signed certificate for "localhost" (default: no STARTTLS at all). */
  tls?: boolean;
  /** Reply to RCPT TO; undefined accepts. Default: see above. */
  rcpt?: (address: string) => SinkReply | undefined;
  /** Reply to MAIL FROM; undefined accepts. */
  mail?: (address: string) => SinkReply | undefined;
  /** Final reply to the message after DATA; undefined accepts with 250. The message is recorded either way. */
  data?: (message: ReceivedMessage) => SinkReply | undefined;
  /** Refuse every connection with this reply instead of the 220 greeting. */
  greeting?: SinkReply;
  /** Advertise DSN (default true). */
  dsn?: boolean;
  /** Advertise SMTPUTF8 (default true). */
  smtputf8?: boolean;
  /** Advertise SIZE with this limit. */
  size?: number;
  /** Server name in the greeting and EHLO reply (default "sink.test"). */
  name?: string;
  /** Close connections that stay idle this long, ms (smtp-server's default is a minute). */
  idleTimeout?: number;
  /** Listen on this port (default: a free one), e.g. to bring a "down" next hop up. */
  port?: number;
}

export interface Sink {
  host: string;
  port: number;
  /** Every message received so far, in order. */
  messages: ReceivedMessage[];
  /** Connections accepted so far. */
  readonly connections: number;
  /** Resolves with `messages` once there are `count` of them (or `predicate` holds); rejects after `timeoutMs`. */
  waitFor(
    what: number | ((messages: ReceivedMessage[]) => boolean),
    timeoutMs?: number,
  ): Promise<ReceivedMessage[]>;
  close(): Promise<void>;
}

export function defaultRcptReply(address: string): SinkReply | undefined {
  if (/^defer/i.test(address)) return { code: 451, message: '4.2.0 mailbox temporarily unavailable' };
  if (/^reject/i.test(address)) return { code: 550, message: '5.1.1 no such user' };
  return undefined;
}

let certificate: Promise<{ key: Buffer; cert: Buffer }> | undefined;

/** A self-signed certificate for localhost / 127.0.0.1, made once per process. */
export function testCertificate(): Promise<{ key: Buffer; cert: Buffer }> {
  certificate ??= makeSelfSignedCertificate('localhost').then((c) => ({
    key: Buffer.from(c.key),
    cert: Buffer.from(c.cert),
  }));
  return certificate;
}

function refusal(r: SinkReply): Error {
  return Object.assign(new Error(r.message), { responseCode: r.code });
}

export async function startSink(o: SinkOptions = {}): Promise<Sink> {
  const messages: ReceivedMessage[] = [];
  const waiters: (() => void)[] = [];
  let connections = 0;
  const rcpt = o.rcpt ?? defaultRcptReply;
  const tls = o.tls ? await testCertificate().catch(() => ({})) : {};

  const server = new SMTPServer({
    ...tls,
    name: o.name ?? 'sink.test',
    disabledCommands: o.tls ? ['AUTH'] : ['AUTH', 'STARTTLS'],
    authOptional: true,
    disableReverseLookup: true,
    hideDSN: o.dsn === false,
    hideSMTPUTF8: o.smtputf8 === false,
    size: o.size,
    closeTimeout: 200,
    socketTimeout: o.idleTimeout,
    logger: false,
    onConnect(_session, cb) {
      connections++;
      cb(o.greeting ? refusal(o.greeting) : null);
    },
    onMailFrom(address, _session, cb) {
      const r = o.mail?.(address.address);
      cb(r ? refusal(r) : null);
    },
    onRcptTo(address, _session, cb) {
      const r = rcpt(address.address);
      cb(r ? refusal(r) : null);
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const env = session.envelope;
        const rcptArgs: Record<string, SMTPServerAddressArgs> = {};
        for (const r of env.rcptTo) rcptArgs[r.address] = r.args || {};
        const m: ReceivedMessage = {
          connectionId: session.id,
          from: env.mailFrom ? env.mailFrom.address : '',
          mailArgs: (env.mailFrom && env.mailFrom.args) || {},
          to: env.rcptTo.map((r) => r.address),
          rcptArgs,
          raw: Buffer.concat(chunks),
          secure: session.secure,
          helo: session.hostNameAppearsAs,
        };
        messages.push(m);
        for (const w of waiters.slice()) w();
        const r = o.data?.(m);
        if (r) cb(refusal(r));
        else cb(null, `2.0.0 Ok: queued as ${messages.length}`);
      });
    },
  });
  server.on('error', () => undefined);

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, '127.0.0.1', () => resolve());
  });
  const address = server.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;

  return {
    host: '127.0.0.1',
    port,
    messages,
    get connections() {
      return connections;
    },
    waitFor(what, timeoutMs = 5000) {
      const done = typeof what === 'number' ? () => messages.length >= what : () => what(messages);
      if (done()) return Promise.resolve(messages);
      return new Promise((resolve, reject) => {
        const check = () => {
          if (!done()) return;
          clearTimeout(timer);
          waiters.splice(waiters.indexOf(check), 1);
          resolve(messages);
        };
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(check), 1);
          reject(new Error(`sink: timed out after ${timeoutMs} ms with ${messages.length} message(s)`));
        }, timeoutMs);
        waiters.push(check);
      });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
