// One place that turns a message into facts and a decision, for the queue's policy stage and
// for `sekimori scan` (and the console's rule tester): the same code, so what an administrator
// tries is what the gateway does.
import type { Settings } from '../config/settings.js';
import type { Logger } from '../util/log.js';
import type { Envelope } from '../queue/types.js';
import type { Decision } from '../policy/decision.js';
import { evaluatePolicy } from '../policy/engine.js';
import type { PolicySettings } from '../policy/types.js';
import type { ParsedMessage } from './facts.js';
import type { VirusEngine } from './virus-engine.js';
import { parseMessage, directionFor, messageDirection } from './parse/index.js';
import { isTrustedClient } from '../smtp/trusted.js';
import { closeVirusEngines, createVirusEngines, scanWithAll } from './virus/index.js';
import type { SpamStage } from '../spam/stage.js';
import type { SpamInputs } from '../spam/types.js';
import type { UriReputation } from '../reputation/uribl.js';
import { reputationSpamInputs } from '../reputation/spam-inputs.js';
import { ExternalSpamEngines } from '../spam-engines/index.js';

export type ScanEnvelope = Pick<Envelope, 'id' | 'sender' | 'recipients' | 'client'> &
  Partial<Pick<Envelope, 'origin' | 'auth' | 'reputation' | 'senderApproved'>>;

export interface ScannerStages {
  /** Spam, graymail, social engineering and C&C (absent: those facts stay empty). */
  spam?: SpamStage;
  /** URL reputation (URIBL/DBL zones and local lists), an input of the spam score. */
  urls?: UriReputation;
}

export class Scanner {
  private engines: VirusEngine[] = [];
  private external: ExternalSpamEngines | undefined;
  private externalFor: Settings['spam']['external'] | undefined;
  private enginesFor: Settings['antivirus'] | undefined;

  constructor(
    private readonly settings: () => Settings,
    private readonly log: Logger,
    private readonly stages: ScannerStages = {},
  ) {}

  /**
   * The sender address to judge direction by. Anyone can write an internal address in MAIL
   * FROM, so it only counts from a trusted network (or for mail Sekimori made itself);
   * otherwise the message is treated as coming from outside.
   */
  private directionSender(envelope: ScanEnvelope): string {
    if (envelope.origin !== undefined && envelope.origin !== 'smtp') return envelope.sender;
    return isTrustedClient(envelope.client.ip, this.settings().trustedNetworks) ? envelope.sender : '';
  }

  private acceptedDomains(): string[] {
    return this.settings().domains.map((d) => d.name);
  }

  /** The virus engines for the current settings (made again when the antivirus settings change). */
  private currentEngines(): VirusEngine[] {
    const av = this.settings().antivirus;
    if (av !== this.enginesFor) {
      const old = this.engines;
      this.engines = createVirusEngines(av, this.log);
      this.enginesFor = av;
      void closeVirusEngines(old);
    }
    return this.engines;
  }

  /** Parses the message and runs every virus engine; throws EngineUnavailableError when one is down. */
  async scan(raw: Buffer, envelope: ScanEnvelope): Promise<ParsedMessage> {
    const settings = this.settings();
    const parsed = await parseMessage(
      raw,
      {
        sender: envelope.sender,
        recipients: envelope.recipients.map((r) => r.address),
        clientIp: envelope.client.ip,
        helo: envelope.client.helo,
        queueId: envelope.id,
        acceptedDomains: this.acceptedDomains(),
      },
      settings.scan,
    );
    parsed.facts.direction = messageDirection(
      this.directionSender(envelope),
      envelope.recipients.map((r) => r.address),
      this.acceptedDomains(),
    );
    const result = await scanWithAll(this.currentEngines(), raw, parsed.facts, parsed.files);
    parsed.facts.virus.push(...result.findings);
    parsed.facts.exceptions.push(...result.exceptions);
    Object.assign(parsed.facts.engines, result.engines);
    if (envelope.auth) parsed.facts.auth = envelope.auth;
    if (this.stages.spam && this.spamScored(envelope))
      Object.assign(
        parsed.facts,
        await this.stages.spam.analyze(parsed, await this.spamInputs(raw, parsed, envelope)),
      );
    return parsed;
  }

  /** The rspamd / SpamAssassin clients for the current settings (remade when they change). */
  private externalEngines(): ExternalSpamEngines {
    const ext = this.settings().spam.external;
    if (!this.external || ext !== this.externalFor) {
      void this.external?.close();
      this.external = new ExternalSpamEngines(ext, { log: this.log });
      this.externalFor = ext;
    }
    return this.external;
  }

  /** Spam is scored on mail from outside (and on mail from trusted networks when asked to). */
  private spamScored(envelope: ScanEnvelope): boolean {
    const s = this.settings();
    if (s.spam.scanTrustedNetworks || (envelope.origin !== undefined && envelope.origin !== 'smtp'))
      return true;
    return !isTrustedClient(envelope.client.ip, s.trustedNetworks);
  }

  /** What the other stages found, as the spam score takes it. */
  private async spamInputs(raw: Buffer, parsed: ParsedMessage, envelope: ScanEnvelope): Promise<SpamInputs> {
    const a = envelope.auth;
    const external = this.externalEngines();
    const checked = await external.check(raw, {
      clientIp: envelope.client.ip,
      helo: envelope.client.helo,
      mailFrom: envelope.sender,
      recipients: envelope.recipients.map((r) => r.address),
      queueId: envelope.id,
    });
    const urls =
      this.stages.urls && parsed.facts.urls.length > 0
        ? await this.stages.urls.check(parsed.facts.urls)
        : undefined;
    return {
      ...(a
        ? {
            auth: {
              spf: a.spf?.result,
              dkim: a.dkim.map((d) => ({ result: d.result, domain: d.domain })),
              dmarc: a.dmarc && { result: a.dmarc.result, domain: a.dmarc.domain, policy: a.dmarc.policy },
              arc: a.arc?.result,
              dkimApproved: a.dkimApproved,
              dkimEnforcedFailure: a.dkimEnforcedFailure,
              suspicious: a.suspicious,
            },
          }
        : {}),
      ...reputationSpamInputs(envelope.reputation, urls),
      senderApproved: envelope.senderApproved !== undefined,
      engines: external.contributions(checked, this.settings().spam.threshold),
    };
  }

  /** The policy decision; `policy` replaces the current rules (the console's rule tester tries a draft). */
  decide(parsed: ParsedMessage, envelope: ScanEnvelope, policy?: PolicySettings): Decision {
    const accepted = this.acceptedDomains();
    const sender = this.directionSender(envelope);
    const facts = {
      ...parsed,
      facts: {
        ...parsed.facts,
        envelope: { ...parsed.facts.envelope, recipients: envelope.recipients.map((r) => r.address) },
      },
    };
    return evaluatePolicy(policy ?? this.settings().policy, facts, {
      acceptedDomains: accepted,
      directionFor: (recipient: string) => directionFor(sender, recipient, accepted),
    });
  }

  async close(): Promise<void> {
    this.external?.close();
    await closeVirusEngines(this.engines);
    this.engines = [];
  }
}
