// Where the pipeline's events become dashboard counts: messages accepted over SMTP, clients
// refused by the sender filter or reputation, what the scan found (direction, virus, spam,
// graymail; once per message, though a deferred message is scanned again on its retry) and the
// outcome of each delivery attempt (per message: delivered, bounced, deferred, quarantined,
// deleted — a message with recipients of different outcomes counts once for each).
import type { MessageHandler } from '../queue/manager.js';
import type { Envelope, RecipientResult } from '../queue/types.js';
import type { ParsedMessage } from '../scan/facts.js';
import type { Metric, StatsRecorder } from './stats.js';

/** Queue IDs remembered so a message scanned again on a retry is not counted twice. */
const SEEN_LIMIT = 10_000;

const OUTCOME_METRICS: Partial<Record<RecipientResult['outcome'], Metric>> = {
  delivered: 'delivered',
  bounced: 'bounced',
  deferred: 'deferred',
  quarantined: 'quarantined',
  deleted: 'deleted',
};

export class MailStatsHooks {
  private readonly scannedIds = new Set<string>();

  constructor(private readonly stats: StatsRecorder) {}

  /** A message accepted over SMTP (the 250 after DATA). */
  accepted(): void {
    this.stats.count('received');
  }

  /** A client, sender or recipient refused by the sender filter or by reputation at SMTP. */
  refused(): void {
    this.stats.count('blockedSender');
  }

  scanned(envelope: Envelope, parsed: ParsedMessage): void {
    if (this.scannedIds.has(envelope.id)) return;
    if (this.scannedIds.size >= SEEN_LIMIT) this.scannedIds.clear();
    this.scannedIds.add(envelope.id);
    const { facts } = parsed;
    if (envelope.origin === 'smtp' && (facts.direction === 'inbound' || facts.direction === 'outbound'))
      this.stats.count(facts.direction);
    if (facts.virus.length > 0) this.stats.count('virus');
    if (facts.spam?.isSpam) this.stats.count('spam');
    if (facts.graymail?.graymail) this.stats.count('graymail');
  }

  outcomes(results: RecipientResult[]): void {
    for (const outcome of new Set(results.map((r) => r.outcome))) {
      const metric = OUTCOME_METRICS[outcome];
      if (metric) this.stats.count(metric);
    }
  }

  /** The queue's handler, counting the outcome of every attempt. */
  countingHandler(handler: MessageHandler): MessageHandler {
    return {
      handle: async (message, recipients) => {
        const results = await handler.handle(message, recipients);
        this.outcomes(results);
        return results;
      },
    };
  }
}
