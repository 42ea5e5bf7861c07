// Learning from people: a message released from quarantine was ham, a message reported as spam
// was spam. Both arrive as raw messages and are parsed as the gateway parses them, so the
// classifier learns the same tokens it will later score. A message already learned the other
// way moves to the new label; one already learned this way is not counted twice.
//
// A report teaches the classifier only. Its tokens already carry the sender (from:addr:…,
// reply-to:…, message-id:@…) and the links (url:host…), so look-alikes from the same sender or
// with the same links score higher; putting the sender or the link domains on a block list
// would let one user's report (of a newsletter they signed up to, or of a forged From) block
// mail for everyone, which is an administrator's decision (sender filter, URIBL local lists).
//
// The Bayesian counts change at once; the text model is trained again a few seconds later, once
// for a burst of reports or releases.
import type { ScanSettings } from '../scan/scan-settings.js';
import { parseMessage } from '../scan/parse/index.js';
import type { Bayes, LearnSummary } from './bayes/classifier.js';
import type { Label } from './bayes/token-store.js';
import type { TextModelTrainer } from './text-model/trainer.js';

export class SpamFeedback {
  constructor(
    private readonly bayes: Bayes,
    private readonly limits: () => ScanSettings,
    private readonly trainer?: TextModelTrainer,
  ) {}

  /** Learns messages with one label in one store batch. */
  async learnRaw(raw: Buffer | readonly Buffer[], label: Label): Promise<LearnSummary> {
    const queue = this.bayes.queue();
    for (const one of Buffer.isBuffer(raw) ? [raw] : raw) {
      const parsed = await parseMessage(
        one,
        { sender: '', recipients: [], clientIp: '', helo: '', acceptedDomains: [] },
        this.limits(),
      );
      queue.learn(parsed, label);
    }
    const summary = await queue.flush();
    if (summary.learned + summary.relearned > 0) this.trainer?.schedule();
    return summary;
  }

  /** Waits for a training under way and cancels one scheduled (the gateway is stopping). */
  async close(): Promise<void> {
    this.trainer?.stop();
    await this.trainer?.idle();
  }

  /** Quarantine release by an administrator or the recipient: the message was wanted. */
  onRelease(raw: Buffer): Promise<LearnSummary> {
    return this.learnRaw(raw, 'ham');
  }

  /** "Report as spam" from the console, the EUQ portal or the CLI (`sekimori spam report`). */
  onReportSpam(raw: Buffer | readonly Buffer[]): Promise<LearnSummary> {
    return this.learnRaw(raw, 'spam');
  }
}
