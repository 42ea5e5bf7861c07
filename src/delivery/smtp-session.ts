// One outbound SMTP connection, on top of nodemailer's SMTPConnection: opening it (EHLO,
// STARTTLS as the TLS mode asks), one mail transaction at a time with a result per recipient,
// RSET for reuse, QUIT.
//
// Two things SMTPConnection does not offer are added through its internals, kept to this file:
// per-recipient DSN parameters (it sends one NOTIFY/ORCPT for all recipients) and SMTPUTF8 for
// messages whose addresses are ASCII but headers are not. Both rewrite the command line in
// `_sendCommand`; the failed-DATA path reads `_envelope` to tell which recipients were taken.
// If a nodemailer upgrade removes these, sessions still work, without those two parameters
// (the delivery integration tests check they reach the server).
import { isIP } from 'node:net';
import type { Readable } from 'node:stream';
import SMTPConnection from 'nodemailer/lib/smtp-connection';

export type TlsMode = 'none' | 'opportunistic' | 'required';

export interface SessionTarget {
  /** IP address (or host name) to connect to. */
  address: string;
  port: number;
  /** Host name it belongs to: SNI, logs, Remote-MTA. */
  name: string;
}

export interface SessionOptions {
  helo: string;
  tls: TlsMode;
  connectTimeout: number;
  commandTimeout: number;
}

export interface TxRecipient {
  address: string;
  notify?: string[];
  orcpt?: string;
}

export interface Transaction {
  /** "" for the null sender. */
  from: string;
  recipients: TxRecipient[];
  size?: number;
  eightBit: boolean;
  smtputf8: boolean;
  ret?: 'FULL' | 'HDRS';
  envid?: string;
}

export interface TxReply {
  outcome: 'delivered' | 'deferred' | 'bounced';
  /** SMTP reply code, 0 when no server reply applies (network or local error). */
  code: number;
  reply: string;
}

/** Failure to set a session up; `code` is the server's reply code when it answered. */
export class SessionError extends Error {
  constructor(
    message: string,
    readonly code: number,
    /** STARTTLS or the TLS handshake failed (a plaintext retry may work). */
    readonly tlsFailure: boolean,
    /** The server it happened with, "name[ip]:port". */
    readonly host?: string,
  ) {
    super(message);
    this.name = 'SessionError';
  }
}

interface SmtpError extends Error {
  code?: string;
  response?: string;
  responseCode?: number;
  command?: string;
  recipient?: string;
  rejectedErrors?: SmtpError[];
  timeoutType?: string;
}

interface ConnectionInternals {
  _sendCommand?: (str: string, logStr?: string) => void;
  _envelope?: false | { rejectedErrors?: SmtpError[] };
  _supportedExtensions?: string[];
  _maxAllowedSize?: number;
}

const NON_ASCII = /[\u0080-\uffff]/;

/** RFC 3461 xtext: "+", "=" and bytes outside 0x21–0x7E become "+HH". */
export function xtext(value: string): string {
  if (!/[^\x21-\x2a\x2c-\x3c\x3e-\x7e]/.test(value)) return value;
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    out +=
      byte < 0x21 || byte > 0x7e || byte === 0x2b || byte === 0x3d
        ? '+' + byte.toString(16).toUpperCase().padStart(2, '0')
        : String.fromCharCode(byte);
  }
  return out;
}

/** The ORCPT parameter value: "addr-type;xtext", rfc822 when the stored value has no type. */
export function orcptParam(orcpt: string): string {
  const m = /^([a-z0-9-]+);(.+)$/i.exec(orcpt);
  const type = m ? (m[1] as string) : 'rfc822';
  const addr = m ? (m[2] as string) : orcpt;
  return type + ';' + xtext(addr);
}

/** A multi-line reply on one line: "550-5.1.1 a\n550 5.1.1 b" → "550 5.1.1 a b". */
export function flattenReply(reply: string): string {
  const lines = reply.split(/\r?\n/).filter((l) => l.length > 0);
  if (lines.length <= 1) return (lines[0] ?? '').trim();
  const first = /^(\d{3})[ -](?:(\d\.\d{1,3}\.\d{1,3}) )?/.exec(lines[0] as string);
  const prefix = first ? first[1] + (first[2] ? ' ' + first[2] : '') : '';
  const texts = lines.map((l) => l.replace(/^\d{3}[ -](?:\d\.\d{1,3}\.\d{1,3} )?/, '').trim());
  return (prefix ? prefix + ' ' : '') + texts.join(' ');
}

/** 2xx delivered; 5xx bounced (except 503, a session-state complaint); anything else deferred. */
export function outcomeOf(code: number): TxReply['outcome'] {
  if (code >= 200 && code < 300) return 'delivered';
  if (code >= 500 && code < 600 && code !== 503) return 'bounced';
  return 'deferred';
}

/** Postfix style "mx.example.com[192.0.2.1]:25"; "192.0.2.1:25" or "[2001:db8::1]:25" without a name. */
export function describeTarget(t: SessionTarget): string {
  if (t.name !== t.address) return `${t.name}[${t.address}]:${t.port}`;
  return (isIP(t.address) === 6 ? `[${t.address}]` : t.address) + ':' + t.port;
}

function replyOf(err: SmtpError): TxReply {
  if (err.response && err.responseCode) {
    const code = err.responseCode;
    return { outcome: outcomeOf(code), code, reply: flattenReply(err.response) };
  }
  return { outcome: 'deferred', code: 0, reply: err.message };
}

export class SmtpSession {
  readonly label: string;
  readonly openedAt = Date.now();
  /** Transactions run on this connection. */
  transactions = 0;
  private ended = false;
  private busy = false;
  /** Extra parameters for the command lines of the transaction under way. */
  private rcptArgs: Map<string, string> | undefined;
  private mailExtra = '';
  private onEndHook: (() => void) | undefined;
  private abortSend: ((reason: string) => void) | undefined;

  private constructor(
    private readonly conn: SMTPConnection,
    readonly target: SessionTarget,
  ) {
    this.label = describeTarget(target);
    conn.on('error', () => (this.ended = true));
    conn.on('end', () => {
      this.ended = true;
      this.abortSend?.('connection closed');
      this.onEndHook?.();
    });
    const internals = conn as unknown as ConnectionInternals;
    const send = internals._sendCommand;
    if (typeof send === 'function') {
      internals._sendCommand = (str: string, logStr?: string) => send.call(conn, this.rewrite(str), logStr);
    }
  }

  /** Connects, reads the greeting, EHLO, STARTTLS per `tls`. Rejects with a SessionError. */
  static open(target: SessionTarget, o: SessionOptions): Promise<SmtpSession> {
    const conn = new SMTPConnection({
      host: target.address,
      port: target.port,
      name: o.helo,
      servername: isIP(target.name) ? undefined : target.name,
      ignoreTLS: o.tls === 'none',
      requireTLS: o.tls === 'required',
      opportunisticTLS: o.tls === 'opportunistic',
      // Opportunistic and required TLS only encrypt; nobody can check certificates of MX hosts
      // without DANE or MTA-STS, which the "verify" mode will add.
      tls: { rejectUnauthorized: false },
      connectionTimeout: o.connectTimeout,
      greetingTimeout: o.commandTimeout,
      socketTimeout: o.commandTimeout,
      socketCloseTimeout: 2000,
      logger: false,
    });
    return new Promise((resolve, reject) => {
      let settled = false;
      const fail = (err: SmtpError) => {
        if (settled) return;
        settled = true;
        // a failed handshake surfaces as a socket error while the upgrade is under way
        const tls =
          err.code === 'ETLS' ||
          err.timeoutType === 'UPGRADE_TIMEOUT' ||
          conn.upgrading === true ||
          /SSL routines/.test(err.message);
        conn.close();
        const code = err.responseCode ?? 0;
        const what = err.response ? `${describeTarget(target)} said: ${flattenReply(err.response)}` : '';
        const message = tls
          ? `STARTTLS with ${describeTarget(target)} failed: ${what || err.message}`
          : what || `connect to ${describeTarget(target)}: ${err.message}`;
        reject(new SessionError(message, code, tls, describeTarget(target)));
      };
      conn.on('error', fail);
      conn.once('end', () => fail(new Error('connection closed during the greeting')));
      conn.connect((err) => {
        if (err) return fail(err);
        if (settled) return;
        settled = true;
        conn.removeAllListeners('error');
        conn.removeAllListeners('end');
        resolve(new SmtpSession(conn, target));
      });
    });
  }

  get secure(): boolean {
    return this.conn.secure;
  }

  /** Open and not in a transaction: fit for another message after reset(). */
  get usable(): boolean {
    return !this.ended && !this.busy && !this.conn.destroyed;
  }

  /** Called once when the server or the network ends the connection. */
  onEnd(hook: (() => void) | undefined): void {
    this.onEndHook = hook;
  }

  supports(extension: 'DSN' | 'SMTPUTF8' | '8BITMIME' | 'SIZE' | 'PIPELINING'): boolean {
    const ext = (this.conn as unknown as ConnectionInternals)._supportedExtensions;
    if (Array.isArray(ext)) return ext.includes(extension);
    const ehlo = typeof this.conn.lastServerResponse === 'string' ? this.conn.lastServerResponse : '';
    return new RegExp(`^\\d{3}[ -]${extension}\\b`, 'im').test(ehlo);
  }

  /** The server's SIZE limit, 0 when it has none. */
  get maxSize(): number {
    return Number((this.conn as unknown as ConnectionInternals)._maxAllowedSize) || 0;
  }

  /** RSET before reuse; false when the connection is no longer good. */
  reset(): Promise<boolean> {
    if (!this.usable) return Promise.resolve(false);
    return new Promise((resolve) => {
      this.abortSend = () => resolve(false);
      this.conn.reset((err) => {
        this.abortSend = undefined;
        resolve(!err);
      });
    });
  }

  /** Runs one transaction; one reply per `tx.recipients` entry, in order. Never rejects. */
  async send(tx: Transaction, message: Buffer | Readable): Promise<TxReply[]> {
    const replies: (TxReply | undefined)[] = new Array(tx.recipients.length);
    const dropMessage = () => {
      if (Buffer.isBuffer(message)) return;
      message.on('error', () => undefined);
      message.destroy();
    };

    // What this server cannot take is refused here rather than sent and garbled.
    if (this.maxSize > 0 && tx.size !== undefined && tx.size > this.maxSize) {
      dropMessage();
      return tx.recipients.map(() => ({
        outcome: 'bounced',
        code: 0,
        reply: `5.3.4 message size ${tx.size} exceeds size limit ${this.maxSize} of ${this.label}`,
      }));
    }
    const utf8 = this.supports('SMTPUTF8');
    const needUtf8 = (a: string) => !utf8 && NON_ASCII.test(a);
    const refuseUtf8: TxReply = {
      outcome: 'bounced',
      code: 0,
      reply: `5.6.7 SMTPUTF8 is required, but was not offered by ${this.label}`,
    };
    if (needUtf8(tx.from)) {
      dropMessage();
      return tx.recipients.map(() => refuseUtf8);
    }

    const to: string[] = [];
    let asciiOnly = !NON_ASCII.test(tx.from);
    const dsn = this.supports('DSN');
    this.rcptArgs = undefined;
    for (let i = 0; i < tx.recipients.length; i++) {
      const r = tx.recipients[i] as TxRecipient;
      if (needUtf8(r.address)) {
        replies[i] = refuseUtf8;
        continue;
      }
      if (NON_ASCII.test(r.address)) asciiOnly = false;
      to.push(r.address);
      if (dsn && (r.notify?.length || r.orcpt)) {
        let args = '';
        if (r.notify?.length) args += ' NOTIFY=' + r.notify.join(',');
        if (r.orcpt) args += ' ORCPT=' + orcptParam(r.orcpt);
        (this.rcptArgs ??= new Map()).set(r.address, args);
      }
    }
    if (to.length === 0) {
      dropMessage();
      return replies as TxReply[];
    }
    // nodemailer adds SMTPUTF8 itself only for non-ASCII addresses
    this.mailExtra = tx.smtputf8 && utf8 && asciiOnly ? ' SMTPUTF8' : '';

    this.busy = true;
    this.transactions++;
    const result = await new Promise<{ err: SmtpError | null; info?: SMTPConnection.SentMessageInfo }>(
      (resolve) => {
        let done = false;
        const finish = (err: SmtpError | null, info?: SMTPConnection.SentMessageInfo) => {
          if (done) return;
          done = true;
          this.abortSend = undefined;
          resolve({ err, info });
        };
        // SMTPConnection reports every failure through the callback; this only guards against a
        // connection that ends without one.
        this.abortSend = (reason) =>
          setImmediate(() => finish(Object.assign(new Error(reason), { code: 'ECONNECTION' })));
        this.conn.send(
          {
            from: tx.from,
            to,
            size: tx.size,
            use8BitMime: tx.eightBit || tx.smtputf8,
            dsn: tx.ret || tx.envid ? { ret: tx.ret, envid: tx.envid } : undefined,
          },
          message,
          (err, info) => finish(err as SmtpError | null, info),
        );
      },
    );
    this.busy = false;
    this.rcptArgs = undefined;
    this.mailExtra = '';

    const { err, info } = result;
    // Without a reply to go by (the message stream failed mid-DATA, the network broke) the
    // session is in an unknown state: never reuse it.
    if (err && !err.responseCode) this.close();
    const rejected = new Map<string, SmtpError>();
    const internals = (this.conn as unknown as ConnectionInternals)._envelope;
    const envelopeErrors = internals ? internals.rejectedErrors : undefined;
    for (const e of info?.rejectedErrors ?? err?.rejectedErrors ?? envelopeErrors ?? []) {
      const re = e as SmtpError;
      if (re.recipient !== undefined) rejected.set(re.recipient, re);
    }
    // A refused sender fails the whole transaction; the RCPT replies after it mean nothing.
    const whole = err ? replyOf(err) : undefined;
    const senderRefused = err?.command === 'MAIL FROM';
    const accepted: TxReply | undefined = info
      ? {
          outcome: 'delivered',
          code: Number(info.response.slice(0, 3)) || 250,
          reply: flattenReply(info.response),
        }
      : undefined;
    for (let i = 0; i < tx.recipients.length; i++) {
      if (replies[i]) continue;
      const address = (tx.recipients[i] as TxRecipient).address;
      const own = senderRefused ? undefined : rejected.get(address);
      replies[i] = own
        ? replyOf(own)
        : (whole ?? accepted ?? { outcome: 'deferred', code: 0, reply: 'no reply' });
    }
    return replies as TxReply[];
  }

  /** Sends QUIT and lets the server close; forces the close if it does not. */
  quit(): void {
    this.onEndHook = undefined;
    if (this.ended || this.conn.destroyed) return this.conn.close();
    this.ended = true;
    this.conn.quit();
    setTimeout(() => this.conn.close(), 2000).unref();
  }

  close(): void {
    this.onEndHook = undefined;
    this.ended = true;
    this.conn.close();
  }

  private rewrite(str: string): string {
    if (this.rcptArgs && str.startsWith('RCPT TO:<')) {
      const args = this.rcptArgs.get(str.slice(9, str.indexOf('>', 9)));
      return args ? str + args : str;
    }
    if (this.mailExtra && str.startsWith('MAIL FROM:<') && !/ SMTPUTF8\b/.test(str))
      return str + this.mailExtra;
    return str;
  }
}
