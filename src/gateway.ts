// One node of Sekimori: wires the stages together (SMTP in → spool → queue manager →
// delivery) around the store, the settings and the control socket.
import type { Server } from 'node:http';
import type { NodeConfig } from './config/node.js';
import { SettingsProvider } from './config/settings-provider.js';
import { loadOrCreateCertificate } from './config/tls.js';
import { openStore, type Store } from './store/store.js';
import { SettingsRepository } from './store/settings-repo.js';
import { Spool } from './queue/spool.js';
import { QueueManager, type BounceMaker, type MessageHandler } from './queue/manager.js';
import type { QueueFilter } from './queue/filter.js';
import { TrackingLog } from './log/tracking.js';
import { DeliveryAgent } from './delivery/agent.js';
import { buildDsn, statusFromReply } from './delivery/dsn.js';
import { SmtpListener } from './smtp/server.js';
import { startControlServer } from './control/server.js';
import { controlSocketPath, type ControlRequest } from './control/protocol.js';
import type { Logger } from './util/log.js';
import { join } from 'node:path';

/** Messages larger than this bounce with their headers only. */
const BOUNCE_FULL_MESSAGE_LIMIT = 100 * 1024;

export interface GatewayStatus {
  node: string;
  pid: number;
  settingsVersion: number;
  smtp: { listen: string; connections: number };
  queue: Record<string, number>;
  store: string;
}

export class Gateway {
  private controlServer: Server | undefined;
  private smtpAddress = '';

  private constructor(
    readonly config: NodeConfig,
    readonly log: Logger,
    readonly store: Store,
    readonly settings: SettingsProvider,
    readonly spool: Spool,
    readonly queue: QueueManager,
    private readonly tracking: TrackingLog,
    private readonly delivery: DeliveryAgent,
    private readonly smtp: SmtpListener,
  ) {}

  static async start(config: NodeConfig, log: Logger): Promise<Gateway> {
    const store = await openStore(config.databaseUrl);
    try {
      const settings = await SettingsProvider.load(new SettingsRepository(store), log);
      const spool = new Spool(join(config.dataDir, 'queue'), log);
      await spool.init();
      const tracking = new TrackingLog(store, config.nodeName, log);
      const delivery = new DeliveryAgent({ settings: settings.current, log, mxPort: config.mxPort });
      const handler: MessageHandler = {
        handle: (message, recipients) =>
          delivery.deliver(message.envelope, recipients, () => message.openBody()),
      };
      const queue = new QueueManager({
        spool,
        handler,
        settings: settings.current,
        log,
        tracking,
        bounce: bounceMaker(() => settings.current().smtp.hostname),
      });
      await queue.load();
      const tls = await loadOrCreateCertificate({
        dataDir: config.dataDir,
        hostname: settings.current().smtp.hostname,
        certFile: config.tlsCertFile,
        keyFile: config.tlsKeyFile,
      });
      const smtp = new SmtpListener({
        host: config.smtpListen.host,
        port: config.smtpListen.port,
        settings: settings.current,
        spool,
        tls,
        log,
        onAccepted: (envelope) => queue.accept(envelope),
      });
      const gw = new Gateway(config, log, store, settings, spool, queue, tracking, delivery, smtp);
      queue.start();
      settings.watch();
      const addr = await smtp.listen();
      gw.smtpAddress = `${addr.host}:${addr.port}`;
      gw.controlServer = await startControlServer(
        controlSocketPath(config.dataDir),
        (req) => gw.control(req),
        log,
      );
      log.info({ smtp: gw.smtpAddress, node: config.nodeName, store: store.kind }, 'Sekimori is listening');
      return gw;
    } catch (err) {
      await store.close().catch(() => undefined);
      throw err;
    }
  }

  status(): GatewayStatus {
    return {
      node: this.config.nodeName,
      pid: process.pid,
      settingsVersion: this.settings.currentVersion(),
      smtp: { listen: this.smtpAddress, connections: this.smtp.connectionCount() },
      queue: this.queue.counts(),
      store: this.store.kind,
    };
  }

  private async control(req: ControlRequest): Promise<unknown> {
    switch (req.op) {
      case 'status':
        return this.status();
      case 'settings.reload':
        return { changed: await this.settings.refresh(), version: this.settings.currentVersion() };
      case 'queue.list':
        return this.queue.list(req.filter as QueueFilter);
      case 'queue.show':
        return (await this.queue.show(req.id)) ?? null;
      case 'queue.hold':
        return this.queue.hold(req.filter as QueueFilter);
      case 'queue.release':
        return this.queue.release(req.filter as QueueFilter);
      case 'queue.delete':
        return this.queue.delete(req.filter as QueueFilter);
      case 'queue.flush':
        return this.queue.flush(req.filter as QueueFilter);
      default:
        throw new Error(`unknown request ${(req as { op: string }).op}`);
    }
  }

  /** Stops taking mail, lets attempts under way finish, writes what is pending. */
  async stop(): Promise<void> {
    this.log.info('stopping');
    this.settings.stop();
    await new Promise<void>((resolve) =>
      this.controlServer ? this.controlServer.close(() => resolve()) : resolve(),
    );
    await this.smtp.close();
    await this.queue.stop();
    await this.delivery.close();
    await this.tracking.close();
    await this.store.close();
  }
}

function bounceMaker(reportingMta: () => string): BounceMaker {
  return async (original, failed) => {
    const full = original.bodyLength <= BOUNCE_FULL_MESSAGE_LIMIT && original.envelope.dsn?.ret !== 'HDRS';
    const body = await original.readBody();
    const headerEnd = body.indexOf('\r\n\r\n');
    const originalMessage = full || headerEnd < 0 ? body : body.subarray(0, headerEnd + 4);
    return buildDsn({
      reportingMta: reportingMta(),
      original: original.envelope,
      originalMessage,
      headersOnly: !full,
      arrivalDate: new Date(original.envelope.receivedAt),
      recipients: failed.map((f) => ({
        address: f.address,
        action: 'failed',
        status: f.expired ? '4.4.7' : statusFromReply(f.reply, f.code),
        diagnostic: f.expired
          ? `smtp; message expired in the queue; last error: ${f.reply}`
          : `smtp; ${f.reply}`,
        remoteMta: f.host,
        orcpt: f.orcpt,
      })),
    });
  };
}
