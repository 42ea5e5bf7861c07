// What the optional external spam engines (rspamd, SpamAssassin's spamd) are given and answer.
// These engines are optional extras on top of the built-in scoring: when one cannot answer,
// the caller skips it with a logged warning and the message goes on with the other engines'
// scores. Their failures are therefore NOT the scanner's EngineUnavailableError (which defers
// the message, SPEC §13): a missing optional opinion is no reason to hold mail back.

export type ExternalEngineName = 'rspamd' | 'spamassassin';

/** One rule the engine matched, with the score it added (after the engine's own weights). */
export interface ExternalSymbol {
  name: string;
  score: number;
  description?: string;
  /** rspamd's symbol options (the URL, domain or address that matched). */
  options?: string[];
}

export interface ExternalSpamResult {
  engine: ExternalEngineName;
  score: number;
  /** The engine's own bar: rspamd's required_score (its reject score), spamd's required_score. */
  threshold: number;
  /** rspamd's action ("no action", "greylist", "add header", "rewrite subject", "soft reject",
   * "reject"); spamd has none, so "spam" or "no action" from its verdict. */
  action: string;
  /** The engine's own verdict. */
  isSpam: boolean;
  symbols: ExternalSymbol[];
  /** Round trip in milliseconds. */
  elapsedMs: number;
}

/** The SMTP transaction as the engines want it (they score the client, HELO and envelope too). */
export interface ExternalScanEnvelope {
  clientIp?: string;
  helo?: string;
  /** Reverse DNS name of the client, when the gateway resolved it. */
  clientHostname?: string;
  mailFrom?: string;
  recipients?: string[];
  queueId?: string;
  /** SMTP AUTH user, for mail submitted by an authenticated client (rspamd relaxes its checks). */
  authUser?: string;
}

export type ExternalEngineFailure =
  /** Refused, no route, DNS failure of the engine's host. */
  | 'connect'
  /** No complete answer within the configured timeout. */
  | 'timeout'
  /** An answer we could not read, or an error status from the engine. */
  | 'protocol'
  /** The message is over the engine's configured maxSize and was not sent. */
  | 'too-large'
  /** The engine failed recently and is not asked again until its retry time. */
  | 'backoff'
  | 'closed';

export class ExternalEngineError extends Error {
  constructor(
    readonly engine: ExternalEngineName,
    readonly reason: ExternalEngineFailure,
    message: string,
  ) {
    super(message);
    this.name = 'ExternalEngineError';
  }
}
