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
import { PolicyEventLog } from './log/policy-events.js';
import { StatsRecorder } from './log/stats.js';
import { MailStatsHooks } from './log/stats-hooks.js';
import { heartbeatStatus, NodeHeartbeat } from './cluster/nodes.js';
import { QuarantineRepository } from './quarantine/repository.js';
import { releaseFromQuarantine, type ReleaseResult } from './quarantine/release.js';
import { NodeServices } from './web/node-services.js';
import { PolicyHandler } from './action/policy-handler.js';
import { Scanner } from './scan/scanner.js';
import { authenticationCheck, outboundSigning, withAuthenticationResults } from './auth/pipeline.js';
import { OutboundSigner } from './auth/dkim-sign.js';
import { DkimKeyStore } from './auth/dkim-keys.js';
import { signatureScanningEnabled } from './scan/virus/index.js';
import type { Envelope } from './queue/types.js';
import { DeliveryAgent } from './delivery/agent.js';
import { buildDsn, statusFromReply } from './delivery/dsn.js';
import { SmtpListener } from './smtp/server.js';
import { SenderHooks } from './smtp/sender-hooks.js';
import { ReputationHooks } from './smtp/reputation-hooks.js';
import { Reputation } from './reputation/dnsbl.js';
import { UriReputation } from './reputation/uribl.js';
import { withRelayedReputation } from './reputation/message.js';
import { DmarcResultLog } from './auth/dmarc-reports.js';
import type { AuthResults } from './auth/types.js';
import { SpamStage } from './spam/stage.js';
import { spamHeaders } from './spam/engine.js';
import { replaceTopHeaders } from './action/annotate.js';
import { SenderFilter } from './sender/filter.js';
import { StoreSenderEventLog } from './sender/events.js';
import { handleSenderControl, isSenderControlRequest } from './sender/control.js';
import { handleSpamControl, isSpamControlRequest } from './spam/control.js';
import type { SpamFeedback } from './spam/feedback.js';
import { startControlServer } from './control/server.js';
import { controlSocketPath, type ControlRequest } from './control/protocol.js';
import type { Logger } from './util/log.js';
import { join } from 'node:path';
import { startConsole, type RunningConsole } from './web/start-console.js';

const SPAM_HEADER_NAMES = ['X-Sekimori-Spam', 'X-Sekimori-Spam-Score', 'X-Sekimori-Spam-Report'];

/** Messages larger than this bounce with their headers only. */
const BOUNCE_FULL_MESSAGE_LIMIT = 100 * 1024;

export interface GatewayStatus {
  node: string;
  pid: number;
  settingsVersion: number;
  smtp: { listen: string; connections: number };
  queue: Record<string, number>;
  store: string;
  /** Things an administrator should fix, e.g. signature scanning off. */
  warnings: string[];
}

export class Gateway {
  private controlServer: Server | undefined;
  private console: RunningConsole | undefined;
  private smtpAddress = '';
  /** Counters written in batches: flushed when the node stops. */
  private counters: { close(): Promise<void> }[] = [];
  private heartbeat: NodeHeartbeat | undefined;

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
    readonly senderFilter: SenderFilter,
    private readonly policy: {
      scanner: Scanner;
      events: PolicyEventLog;
      quarantine: QuarantineRepository;
      enqueue: (envelope: Omit<Envelope, 'id' | 'size'>, message: Buffer) => Promise<string>;
      /** Learns from administrators' decisions (a released spam is ham, a reported message spam). */
      spamFeedback?: SpamFeedback;
    },
  ) {}

  static async start(config: NodeConfig, log: Logger): Promise<Gateway> {
    const store = await openStore(config.databaseUrl);
    let senderFilter: SenderFilter | undefined;
    try {
      const settings = await SettingsProvider.load(new SettingsRepository(store), log);
      const spool = new Spool(join(config.dataDir, 'queue'), log);
      await spool.init();
      const tracking = new TrackingLog(store, config.nodeName, log);
      const mailStats = new StatsRecorder(store, config.nodeName, log);
      const statsHooks = new MailStatsHooks(mailStats);
      const delivery = new DeliveryAgent({ settings: settings.current, log, mxPort: config.mxPort });
      const events = new PolicyEventLog(store, config.nodeName, log);
      const quarantine = new QuarantineRepository(store);
      const reputation = new Reputation({ settings: settings.current, log });
      const dmarcLog = new DmarcResultLog(store.db, log);
      const dmarcResults = (auth: AuthResults, ip: string) => dmarcLog.record(auth, ip);
      const spamStage = new SpamStage({
        settings: () => settings.current().spam,
        acceptedDomains: () => settings.current().domains.map((d) => d.name),
        scanSettings: () => settings.current().scan,
        db: store.db,
        log,
      });
      const scanner = new Scanner(settings.current, log, {
        spam: spamStage,
        // one DNS cache and one set of statistics for the connect-time and URL lookups
        urls: new UriReputation({ settings: settings.current, log, lookup: reputation.lookup }),
      });
      const sign = outboundSigning(
        new OutboundSigner(new DkimKeyStore(store), () => settings.current().auth),
        settings.current,
        log,
      );
      // The policy stage queues through the manager, and the manager calls the policy stage.
      const managerRef: { queue?: QueueManager } = {};
      const senderFilterRef: { filter?: SenderFilter } = {};
      const enqueue = async (envelope: Omit<Envelope, 'id' | 'size'>, message: Buffer, hold = false) => {
        const queued = await spool.enqueueLocal(envelope, message);
        if (hold) await managerRef.queue?.acceptHeld(queued);
        else managerRef.queue?.accept(queued);
        return queued.id;
      };
      const handler: MessageHandler = new PolicyHandler({
        settings: settings.current,
        log,
        node: config.nodeName,
        scan: (raw, envelope) => scanner.scan(raw, envelope),
        decide: (parsed, envelope) => scanner.decide(parsed, envelope),
        deliver: async (envelope, recipients, body) => {
          if (!settings.current().auth.dkimSigning.enabled)
            return delivery.deliver(envelope, recipients, body);
          const signed = await sign(await bodyBytes(body()), envelope);
          return delivery.deliver(envelope, recipients, () => signed);
        },
        annotate: (raw, envelope, parsed) => {
          const authed = withAuthenticationResults(raw, envelope, settings.current().smtp.hostname);
          const spam = parsed.facts.spam;
          return replaceTopHeaders(authed, spam && !spam.skipped ? spamHeaders(spam) : [], SPAM_HEADER_NAMES);
        },
        enqueue,
        quarantine,
        events,
        tracking,
        onScanned: (envelope, parsed) => {
          statsHooks.scanned(envelope, parsed);
          // The IP profiler learns from what arrived over SMTP from clients that were not approved.
          if (envelope.origin !== 'smtp' || envelope.senderApproved) return;
          void senderFilterRef.filter?.recordVerdict(envelope.client.ip, {
            spam: parsed.facts.spam?.isSpam ?? false,
            virus: parsed.facts.virus.length > 0,
          });
        },
      });
      const queue = new QueueManager({
        spool,
        handler: statsHooks.countingHandler(handler),
        settings: settings.current,
        log,
        tracking,
        bounce: bounceMaker(() => settings.current().smtp.hostname),
      });
      managerRef.queue = queue;
      await queue.load();
      const tls = await loadOrCreateCertificate({
        dataDir: config.dataDir,
        hostname: settings.current().smtp.hostname,
        certFile: config.tlsCertFile,
        keyFile: config.tlsKeyFile,
      });
      senderFilter = new SenderFilter({
        settings: settings.current,
        log,
        node: config.nodeName,
        events: new StoreSenderEventLog(store, log),
      });
      await senderFilter.start();
      senderFilterRef.filter = senderFilter;
      const senderHooks = new SenderHooks(senderFilter, settings.current, log, () => statsHooks.refused());
      const smtp = new SmtpListener({
        host: config.smtpListen.host,
        port: config.smtpListen.port,
        settings: settings.current,
        spool,
        tls,
        log,
        onAccepted: (envelope) => {
          statsHooks.accepted();
          queue.accept(envelope);
        },
        // sender authentication, then the reputation of a client behind a trusted relay
        checkMessage: withRelayedReputation(authenticationCheck(settings.current, log, dmarcResults), {
          reputation,
          trustedRelays: () => settings.current().reputation.trustedRelays,
          log,
        }),
        senderFilter: senderHooks,
        // DNSBL/DNSWL at connect (after the core's limits and the sender filter)
        reputation: new ReputationHooks({
          reputation,
          settings: settings.current,
          log,
          approval: (session) => senderHooks.approval(session),
          onRefused: () => statsHooks.refused(),
        }),
      });
      const gw = new Gateway(
        config,
        log,
        store,
        settings,
        spool,
        queue,
        tracking,
        delivery,
        smtp,
        senderFilter,
        {
          scanner,
          events,
          quarantine,
          enqueue,
          spamFeedback: spamStage.feedback,
        },
      );
      gw.counters = [mailStats, dmarcLog];
      queue.start();
      settings.watch();
      gw.startMaintenance();
      mailStats.startRetention();
      dmarcLog.startRetention();
      const addr = await smtp.listen();
      gw.smtpAddress = `${addr.host}:${addr.port}`;
      gw.controlServer = await startControlServer(
        controlSocketPath(config.dataDir),
        (req) => gw.control(req),
        log,
      );
      const nodeServices = new NodeServices(smtp, queue, log);
      gw.console = await startConsole({
        config,
        tls,
        services: {
          node: config.nodeName,
          dataDir: config.dataDir,
          log,
          store,
          settings,
          settingsRepo: new SettingsRepository(store),
          queue,
          quarantine,
          releaseQuarantined: (ids, o) => gw.releaseQuarantined(ids, o),
          scanner,
          status: () => gw.status(),
          services: nodeServices,
        },
      });
      // the group's view of this node; also carries out start/stop asked from another node's console
      gw.heartbeat = new NodeHeartbeat({
        store,
        node: config.nodeName,
        log,
        services: nodeServices,
        status: () => heartbeatStatus(gw.status(), nodeServices.states(), gw.console !== undefined),
      });
      gw.heartbeat.start();
      log.info({ smtp: gw.smtpAddress, node: config.nodeName, store: store.kind }, 'Sekimori is listening');
      return gw;
    } catch (err) {
      await senderFilter?.close().catch(() => undefined);
      await store.close().catch(() => undefined);
      throw err;
    }
  }

  private maintenance: NodeJS.Timeout | undefined;

  /** Housekeeping on a timer: quarantine entries past their area's retention are removed. */
  startMaintenance(intervalMs = 3_600_000): void {
    const purge = () =>
      this.policy.quarantine
        .purgeExpired()
        .then((n) => n > 0 && this.log.info({ removed: n }, 'quarantine retention: removed expired messages'))
        .catch((err: unknown) => this.log.warn({ err }, 'quarantine retention purge failed'));
    void purge();
    this.maintenance = setInterval(() => void purge(), intervalMs);
    this.maintenance.unref();
  }

  status(): GatewayStatus {
    return {
      node: this.config.nodeName,
      pid: process.pid,
      settingsVersion: this.settings.currentVersion(),
      smtp: { listen: this.smtpAddress, connections: this.smtp.connectionCount() },
      queue: this.queue.counts(),
      store: this.store.kind,
      warnings: signatureScanningEnabled(this.settings.current().antivirus)
        ? []
        : [
            'signature scanning is off: no clamd is configured (antivirus.clamd); only the built-in engine runs',
          ],
    };
  }

  private async control(req: ControlRequest): Promise<unknown> {
    if (isSenderControlRequest(req)) return handleSenderControl(this.senderFilter, req);
    if (isSpamControlRequest(req)) return handleSpamControl(this.policy.spamFeedback, req);
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
      case 'quarantine.release':
        return this.releaseQuarantined(req.ids, { rescan: req.rescan });
      default:
        throw new Error(`unknown request ${(req as { op: string }).op}`);
    }
  }

  /** Releases quarantined messages through delivery; a released spam teaches the classifier. */
  releaseQuarantined(ids: string[], o: { rescan?: boolean }): Promise<ReleaseResult[]> {
    return releaseFromQuarantine(this.policy.quarantine, this.policy.enqueue, ids, {
      rescan: o.rescan,
      onReleased: async (area, message) => {
        if (area === 'spam') await this.policy.spamFeedback?.onRelease(message);
      },
    });
  }

  /** Stops taking mail, lets attempts under way finish, writes what is pending. */
  async stop(): Promise<void> {
    this.log.info('stopping');
    if (this.maintenance) clearInterval(this.maintenance);
    await this.heartbeat?.stop();
    await this.console
      ?.close()
      .catch((err: unknown) => this.log.warn({ err }, 'console did not close cleanly'));
    this.settings.stop();
    await new Promise<void>((resolve) =>
      this.controlServer ? this.controlServer.close(() => resolve()) : resolve(),
    );
    await this.smtp.close();
    await this.senderFilter.close();
    await this.queue.stop();
    await this.delivery.close();
    await this.policy.scanner.close();
    await this.policy.spamFeedback?.close();
    await this.policy.events.close();
    await this.tracking.close();
    for (const c of this.counters) await c.close();
    await this.store.close();
  }
}

async function bodyBytes(body: NodeJS.ReadableStream | Buffer): Promise<Buffer> {
  if (Buffer.isBuffer(body)) return body;
  const chunks: Buffer[] = [];
  for await (const c of body as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
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
