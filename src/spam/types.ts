// What the spam stage takes from the other stages and what it gives the policy.
import type { SpamLevel } from './spam-settings.js';

/** Results as RFC 8601 (Authentication-Results) names them. */
export type AuthResult =
  'pass' | 'fail' | 'softfail' | 'neutral' | 'none' | 'temperror' | 'permerror' | 'policy';

/** Results of the other stages the score takes into account; each part is optional. */
export interface SpamInputs {
  auth?: {
    spf?: AuthResult;
    /** One entry per DKIM signature, with the signing domain (d=). */
    dkim?: { result: AuthResult; domain: string }[];
    /** DMARC of the From domain; policy is the domain's published p= (after pct). */
    dmarc?: { result: AuthResult; domain?: string; policy?: 'none' | 'quarantine' | 'reject' };
    arc?: AuthResult;
    /** A valid signature of a domain on auth.dkimApproved (SPEC §12): spam scoring is skipped. */
    dkimApproved?: string;
    /** The From domain is on auth.dkimEnforced without a valid aligned signature: spam. */
    dkimEnforcedFailure?: string;
    /** Why the authentication cannot be trusted (several From, forged Authentication-Results…). */
    suspicious?: string[];
  };
  /** DNSBL zones that listed the client IP with the action "add to the spam score" (DNSWL: negative). */
  dnsbl?: { zone: string; code?: string; name?: string; score: number }[];
  /** URIBL/DBL zones or local lists that listed a domain of the message's URLs. */
  uribl?: { zone: string; domain: string; name?: string; score: number }[];
  /** The sender filter approved the client or sender: spam scoring is skipped (SPEC §3). */
  senderApproved?: boolean;
  /** Optional engines (rspamd, spamd): their contribution to the score, already weighted. */
  engines?: { name: string; score: number; detail?: string }[];
}

export interface SpamReason {
  /** Rule name, upper case ("URL_IP_HOST", "BAYES_99", "DNSBL"). */
  rule: string;
  score: number;
  detail: string;
}

export interface SpamVerdict {
  score: number;
  threshold: number;
  isSpam: boolean;
  level: SpamLevel;
  reasons: SpamReason[];
  /** Set when scoring did not run, and why. */
  skipped?: 'disabled' | 'approved-sender' | 'dkim-approved' | 'exempt';
  /** The classifier's view, when it ran. */
  bayes?: { ready: boolean; probability: number; nspam: number; nham: number };
}
