// The policy stage of the queue: parse the message once, run the virus engines, decide per
// recipient with the rules, and carry the decision out (deliver, quarantine, delete, hold,
// change recipient, re-route; modify; notify, BCC, archive).
//
// Clean mail with nothing to change goes straight to delivery. Anything else becomes new queue
// entries marked as scanned, so that a later retry never scans again nor repeats a
// notification, and the original leaves the queue.
import type { Settings } from '../config/settings.js';
import type { Logger } from '../util/log.js';
import type { MessageHandler, QueuedMessage } from '../queue/manager.js';
import type { Envelope, RecipientResult } from '../queue/types.js';
import type { ParsedMessage } from '../scan/facts.js';
import { EngineUnavailableError } from '../scan/virus-engine.js';
import type { Decision, RecipientDecision } from '../policy/decision.js';
import type { QuarantineRepository } from '../quarantine/repository.js';
import type { PolicyEventLog } from '../log/policy-events.js';
import type { TrackingLog } from '../log/tracking.js';
import { applyModifications, type ModifyContext } from './modify.js';
import { buildNotice } from './messages.js';
import { describeIntercept, summarizeVerdict } from './describe.js';

export interface PolicyHandlerOptions {
  settings: () => Settings;
  log: Logger;
  node: string;
  /** Parses the message and runs the virus engines (throws EngineUnavailableError when one is down). */
  scan: (raw: Buffer, envelope: Envelope) => Promise<ParsedMessage>;
  decide: (parsed: ParsedMessage, envelope: Envelope) => Decision;
  /** Delivers a message now (the delivery agent), its bytes from `body`. */
  deliver: (
    envelope: Envelope,
    recipients: string[],
    body: () => NodeJS.ReadableStream | Buffer,
  ) => Promise<RecipientResult[]>;
  /** Header changes every copy of a scanned message gets (Authentication-Results, spam score). */
  annotate?: (raw: Buffer, envelope: Envelope, parsed: ParsedMessage) => Buffer;
  /** Queues a new message made by this stage; returns its queue ID. `hold` puts it on hold. */
  enqueue: (envelope: Omit<Envelope, 'id' | 'size'>, message: Buffer, hold?: boolean) => Promise<string>;
  quarantine: QuarantineRepository;
  events: PolicyEventLog;
  tracking?: TrackingLog;
  /** Told what the engines found, e.g. for the sender filter's IP profiler. */
  onScanned?: (envelope: Envelope, parsed: ParsedMessage) => void;
}

/** Recipients that share one outcome (same intercept, same modifications) get one copy. */
interface Group {
  decision: RecipientDecision;
  recipients: string[];
}

function groupKey(d: RecipientDecision): string {
  return JSON.stringify([d.intercept, d.modify.map(({ ruleId: _r, ...a }) => a)]);
}

export class PolicyHandler implements MessageHandler {
  constructor(private readonly o: PolicyHandlerOptions) {}

  async handle(message: QueuedMessage, recipients: string[]): Promise<RecipientResult[]> {
    const { envelope } = message;
    // Our own bounces and copies already decided on go straight out.
    if (envelope.scanned || envelope.origin === 'bounce') {
      return this.o.deliver(envelope, recipients, () => message.openBody());
    }

    const stored = await message.readBody();
    let parsed: ParsedMessage;
    try {
      parsed = await this.o.scan(stored, envelope);
    } catch (err) {
      if (err instanceof EngineUnavailableError) {
        this.o.log.warn(
          { id: envelope.id, engine: err.engine, err: err.message },
          'scanner unavailable; deferring',
        );
        return recipients.map((address) => ({
          address,
          outcome: 'deferred',
          reply: `451 4.3.0 ${err.engine} unavailable: ${err.message}`,
        }));
      }
      throw err;
    }
    this.o.onScanned?.(envelope, parsed);
    const raw = this.o.annotate ? this.o.annotate(stored, envelope, parsed) : stored;
    const decision = this.o.decide(parsed, {
      ...envelope,
      recipients: envelope.recipients.filter((r) => recipients.includes(r.address)),
    });
    this.record(envelope, parsed, decision);

    const groups = new Map<string, Group>();
    for (const d of decision.recipients) {
      if (!recipients.includes(d.recipient)) continue;
      const key = groupKey(d);
      const g = groups.get(key);
      if (g) g.recipients.push(d.recipient);
      else groups.set(key, { decision: d, recipients: [d.recipient] });
    }
    const noMonitor = decision.recipients.every((d) => d.monitor.length === 0);
    const only = groups.size === 1 ? [...groups.values()][0] : undefined;
    if (
      only &&
      noMonitor &&
      only.decision.intercept.type === 'deliver' &&
      only.decision.modify.length === 0
    ) {
      // the fast path: clean mail goes out as it was stored (plus our annotations)
      return this.o.deliver(envelope, only.recipients, raw === stored ? () => message.openBody() : () => raw);
    }

    const results: RecipientResult[] = [];
    for (const g of groups.values()) results.push(...(await this.carryOut(g, envelope, raw, parsed)));
    await this.monitor(decision, envelope, raw, parsed);
    return results;
  }

  private record(envelope: Envelope, parsed: ParsedMessage, decision: Decision): void {
    for (const d of decision.recipients) {
      for (const m of d.matched) {
        const actions = [
          d.intercept.ruleId === m.ruleId ? describeIntercept(d.intercept) : undefined,
          ...d.modify.filter((a) => a.ruleId === m.ruleId).map((a) => a.type),
          ...d.monitor.filter((a) => a.ruleId === m.ruleId).map((a) => a.type),
        ].filter((a): a is string => a !== undefined);
        this.o.events.record({
          queueId: envelope.id,
          sender: envelope.sender,
          recipient: d.recipient,
          subject: parsed.facts.subject,
          ruleId: m.ruleId,
          ruleName: m.ruleName,
          evidence: m.evidence,
          action: actions.join(', ') || 'continue',
        });
      }
    }
    this.o.tracking?.verdict(envelope.id, summarizeVerdict(parsed, decision));
    this.o.tracking?.scanned(envelope.id, parsed, decision);
  }

  private modifyContext(parsed: ParsedMessage): ModifyContext {
    return {
      attachments: new Map(
        parsed.facts.attachments.map((a) => [a.id, { sha256: a.sha256, name: a.name, parent: a.parent }]),
      ),
    };
  }

  private copyEnvelope(envelope: Envelope, recipients: string[]): Omit<Envelope, 'id' | 'size'> {
    const { id: _id, size: _size, ...rest } = envelope;
    return {
      ...rest,
      recipients: recipients.map(
        (address) => envelope.recipients.find((r) => r.address === address) ?? { address },
      ),
      scanned: true,
      origin: 'local',
      parentId: envelope.id,
    };
  }

  private async carryOut(
    g: Group,
    envelope: Envelope,
    raw: Buffer,
    parsed: ParsedMessage,
  ): Promise<RecipientResult[]> {
    const { intercept, modify } = g.decision;
    const done = (outcome: RecipientResult['outcome'], reply: string): RecipientResult[] =>
      g.recipients.map((address) => ({ address, outcome, reply }));
    const settings = this.o.settings();
    switch (intercept.type) {
      case 'delete':
        return done('deleted', `deleted by rule ${intercept.ruleId ?? ''}`.trim());
      case 'quarantine': {
        const area = settings.policy.quarantineAreas.find((a) => a.name === intercept.area);
        const qid = await this.o.quarantine.add({
          queueId: envelope.id,
          node: this.o.node,
          area: intercept.area,
          retentionMs: area?.retention,
          envelope,
          recipients: g.recipients,
          subject: parsed.facts.subject,
          ruleId: intercept.ruleId,
          reason: g.decision.matched
            .map((m) => `${m.ruleName}: ${m.evidence.map((e) => e.detail).join('; ')}`)
            .join(' | '),
          details: { facts: parsed.facts, matched: g.decision.matched },
          message: raw,
        });
        return done('quarantined', `quarantined in ${intercept.area} as ${qid}`);
      }
      default: {
        const body = applyModifications(raw, modify, this.modifyContext(parsed));
        const copy = this.copyEnvelope(envelope, g.recipients);
        if (intercept.type === 'changeRecipient')
          copy.recipients = intercept.to.map((address) => ({ address }));
        if (intercept.type === 'reroute') copy.route = { host: intercept.host, port: intercept.port };
        const id = await this.o.enqueue(copy, body, intercept.type === 'hold');
        if (intercept.type === 'hold') return done('held', `held as ${id}`);
        if (intercept.type === 'deliver') return done('redirected', `passed policy, queued as ${id}`);
        return done('redirected', `${describeIntercept(intercept)}, queued as ${id}`);
      }
    }
  }

  /** Notifications, BCC and archive copies: once per message and action, whatever the recipients. */
  private async monitor(
    decision: Decision,
    envelope: Envelope,
    raw: Buffer,
    parsed: ParsedMessage,
  ): Promise<void> {
    const settings = this.o.settings();
    const seen = new Set<string>();
    for (const d of decision.recipients) {
      for (const action of d.monitor) {
        const key = JSON.stringify(action);
        if (seen.has(key)) continue;
        seen.add(key);
        const rule = d.matched.find((m) => m.ruleId === action.ruleId);
        try {
          if (action.type === 'bcc') {
            await this.o.enqueue(this.copyEnvelope(envelope, [action.to]), raw);
          } else if (action.type === 'archive') {
            const area = settings.policy.archiveAreas.find((a) => a.name === action.area);
            await this.o.quarantine.add({
              queueId: envelope.id,
              node: this.o.node,
              area: action.area,
              retentionMs: area?.retention,
              envelope,
              recipients: envelope.recipients.map((r) => r.address),
              subject: parsed.facts.subject,
              ruleId: action.ruleId,
              reason: `archive copy (${rule?.ruleName ?? action.ruleId})`,
              status: 'archived',
              details: { facts: parsed.facts, matched: d.matched },
              message: raw,
            });
          } else {
            const to =
              action.to === 'sender'
                ? [envelope.sender]
                : action.to === 'recipients'
                  ? envelope.recipients.map((r) => r.address)
                  : action.to === 'admin'
                    ? [settings.policy.administratorAddress ?? `postmaster@${settings.smtp.hostname}`]
                    : [action.to];
            const targets = to.filter((a) => a !== '');
            if (targets.length === 0) continue;
            const notice = buildNotice({
              from: `postmaster@${settings.smtp.hostname}`,
              to: targets,
              // The engine expanded the template's tokens for this message.
              subject: action.subject ?? `Sekimori: rule ${rule?.ruleName ?? action.ruleId} matched`,
              body:
                action.body ??
                `Rule ${rule?.ruleName ?? action.ruleId} matched a message from ${envelope.sender || '<>'}.`,
              hostname: settings.smtp.hostname,
            });
            await this.o.enqueue(
              {
                sender: '',
                recipients: targets.map((address) => ({ address })),
                receivedAt: Date.now(),
                client: { ip: '127.0.0.1', helo: 'localhost', tls: false },
                origin: 'local',
                scanned: true,
                parentId: envelope.id,
              },
              notice,
            );
          }
        } catch (err) {
          // A failed notification must not hold up the message itself.
          this.o.log.error({ err, id: envelope.id, action: action.type }, 'monitor action failed');
        }
      }
    }
  }
}
