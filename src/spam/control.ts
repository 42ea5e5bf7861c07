// Control-socket operations of the spam stage: `sekimori spam report` hands the messages to the
// running gateway, whose classifier learns them at once (its token cache is dropped with the
// learning, so the next look-alike is scored with the report already counted).
import type { LearnSummary } from './bayes/classifier.js';
import type { SpamFeedback } from './feedback.js';

/** Messages per request: keeps one request well under the control socket's body limits. */
export const REPORT_BATCH = 50;

export type SpamControlRequest = { op: 'spam.report'; messages: string[] };

export function isSpamControlRequest(req: { op: string }): req is SpamControlRequest {
  return req.op === 'spam.report';
}

/** Raw messages as the request carries them (base64). */
export function encodeMessages(raws: readonly Buffer[]): string[] {
  return raws.map((r) => r.toString('base64'));
}

export async function handleSpamControl(
  feedback: SpamFeedback | undefined,
  req: SpamControlRequest,
): Promise<LearnSummary> {
  if (!feedback) throw new Error('the classifier is not available on this gateway (no store)');
  if (!Array.isArray(req.messages) || req.messages.some((m) => typeof m !== 'string'))
    throw new Error('spam.report needs messages: an array of base64 strings');
  if (req.messages.length > REPORT_BATCH)
    throw new Error(`spam.report takes at most ${REPORT_BATCH} messages per request`);
  return feedback.onReportSpam(req.messages.map((m) => Buffer.from(m, 'base64')));
}
