// Learning from people: a message released from quarantine was ham, a message reported as spam
// was spam. Both arrive as raw messages and are parsed as the gateway parses them, so the
// classifier learns the same tokens it will later score. A message already learned the other
// way moves to the new label; one already learned this way is not counted twice.
import type { ScanSettings } from '../scan/scan-settings.js';
import { parseMessage } from '../scan/parse/index.js';
import type { Bayes, LearnSummary } from './bayes/classifier.js';
import type { Label } from './bayes/token-store.js';

export class SpamFeedback {
  constructor(
    private readonly bayes: Bayes,
    private readonly limits: () => ScanSettings,
  ) {}

  async learnRaw(raw: Buffer, label: Label): Promise<LearnSummary> {
    const parsed = await parseMessage(
      raw,
      { sender: '', recipients: [], clientIp: '', helo: '', acceptedDomains: [] },
      this.limits(),
    );
    return this.bayes.learn(parsed.facts, label);
  }

  /** Quarantine release by an administrator or the recipient: the message was wanted. */
  onRelease(raw: Buffer): Promise<LearnSummary> {
    return this.learnRaw(raw, 'ham');
  }

  /** "Report as spam" from the console, the EUQ portal or the CLI. */
  onReportSpam(raw: Buffer): Promise<LearnSummary> {
    return this.learnRaw(raw, 'spam');
  }
}
