// Where Sekimori departs from smtp-server's stock connection handling. Kept in one place because
// it overrides members of smtp-server's (public, but internal-looking) SMTPConnection; the
// integration tests pin each of these behaviours so an upgrade that breaks one shows up.
//
// - Replies whose text starts with an enhanced status code ("5.7.1 ...") are sent with exactly
//   that code; smtp-server would otherwise prepend its own guess ("554 5.6.0 5.7.1 ...").
// - The greeting is "220 <hostname> <banner>" (smtp-server inserts "ESMTP" itself).
// - No 100 ms "early talker" pause before the greeting: it costs every connection latency.
// - Idle and DATA phases have their own timeouts (settings.smtp.idleTimeout / dataTimeout),
//   read live; the 421 says which one expired.
// - Every 4xx/5xx reply counts as an error; at settings.smtp.maxErrorsPerConnection the client
//   gets "421 4.7.0 ... too many errors" and is disconnected (Postfix's smtpd_hard_error_limit).
import type net from 'node:net';
import type tls from 'node:tls';
import { SMTPServer, type SMTPServerOptions, type SMTPServerSession } from 'smtp-server';
import { SMTPConnection, type SMTPConnectionOptions } from 'smtp-server/lib/smtp-connection.js';
import type { Settings } from '../config/settings.js';
import { HAS_STATUS } from './reply.js';

type SmtpLimits = Settings['smtp'];

const connections = new WeakMap<SMTPServerSession, GatewayConnection>();

/** The connection a hook's session belongs to. */
export function connectionOf(session: SMTPServerSession): GatewayConnection | undefined {
  return connections.get(session);
}

const seconds = (ms: number) => `${Math.round(ms / 100) / 10}s`;

export class GatewayServer extends SMTPServer {
  constructor(
    options: SMTPServerOptions,
    readonly limits: () => SmtpLimits,
  ) {
    super(options);
  }

  override connect(socket: net.Socket | tls.TLSSocket, socketOptions?: SMTPConnectionOptions | null): void {
    // Same as SMTPServer.connect, with our connection class.
    const connection = new GatewayConnection(this, socket, socketOptions);
    this.connections.add(connection);
    connection.on('error', (err: Error) => this._onError(err));
    connection.on('connect', (info: Parameters<SMTPServer['_onClientConnect']>[0]) =>
      this._onClientConnect(info),
    );
    connection.init();
  }
}

export class GatewayConnection extends SMTPConnection {
  private errors = 0;
  private readonly gateway: GatewayServer;

  constructor(
    server: GatewayServer,
    socket: net.Socket | tls.TLSSocket,
    options?: SMTPConnectionOptions | null,
  ) {
    super(server, socket, options);
    this.gateway = server;
    connections.set(this.session, this);
  }

  override init(): void {
    this._setListeners(() => this.connectionReady());
  }

  override _sendGreeting(): void {
    this.send(220, `${this.name} ${this.gateway.limits().banner}`.trim(), false);
  }

  /** True while the client is sending message data (after 354, before the final dot). */
  inData(): boolean {
    return !!this._parser && this._parser._dataMode;
  }

  private timeout(): number {
    const s = this.gateway.limits();
    return this.inData() ? s.dataTimeout : s.idleTimeout;
  }

  override _armTimeout(socket: net.Socket = this._socket): void {
    socket.setTimeout(this.timeout(), () => this._onTimeout());
  }

  /** Re-applies the timeout for the current phase (the listener stays as armed). */
  refreshTimeout(): void {
    if (!this._socket.destroyed) this._socket.setTimeout(this.timeout());
  }

  override handler_DATA(command: Buffer, callback: () => void): void {
    super.handler_DATA(command, () => {
      if (this.inData()) this.refreshTimeout();
      callback();
    });
  }

  /** Ends an idle session for shutdown; false while a message is being received or decided. */
  shutdown(): boolean {
    if (this._closing || this._closed) return true;
    if (this._dataStream || this._handlerPending) return false;
    this.send(421, `4.3.2 ${this.name} Service shutting down`);
    return true;
  }

  /** smtp-server's own texts that should say which limit applied. */
  private ourText(code: number, text: string): string {
    if (code !== 421) return text;
    switch (text) {
      case 'Timeout - closing connection': {
        const s = this.gateway.limits();
        return this.inData()
          ? `4.4.2 ${this.name} Error: data timeout exceeded (no data for ${seconds(s.dataTimeout)}), message discarded`
          : `4.4.2 ${this.name} Error: idle timeout exceeded (${seconds(s.idleTimeout)})`;
      }
      case 'Error: too many unrecognized commands':
        return `4.7.0 ${this.name} Error: too many unrecognized commands`;
      case 'Server shutting down':
        return `4.3.2 ${this.name} Service shutting down`;
      default:
        return text;
    }
  }

  override send(code: number, data?: string | string[] | null, context?: string | false): void {
    if (typeof data === 'string') {
      data = this.ourText(code, data);
      if (HAS_STATUS.test(data)) context = false;
    }
    super.send(code, data, context);
    if (code >= 400 && code !== 421 && !this._closing) {
      this.errors++;
      if (this.errors >= this.gateway.limits().maxErrorsPerConnection) {
        super.send(421, `4.7.0 ${this.name} Error: too many errors`, false);
      }
    }
  }
}
