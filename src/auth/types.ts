// What sender authentication finds out about one message: plain JSON-serialisable data, kept
// with the message's facts for rules, the spam score, the tracking log and quarantine.
import type { DmarcAction } from './auth-settings.js';
import type { DkimResult } from './dkim-checks.js';

export type { DkimResult };

export type SpfResult = 'pass' | 'fail' | 'softfail' | 'neutral' | 'none' | 'temperror' | 'permerror';

export interface SpfOutcome {
  result: SpfResult;
  /** The domain checked: of MAIL FROM, or of HELO for the null sender. */
  domain: string;
  /** Which identity was checked (RFC 7208 §2.3, §2.4). */
  scope: 'mailfrom' | 'helo';
  comment?: string;
}

export interface DkimSignatureOutcome {
  /** d= */
  domain: string;
  /** s= */
  selector: string;
  /** a=, e.g. "rsa-sha256" */
  algorithm: string;
  result: DkimResult;
  reason?: string;
  /** d= aligns with the From domain (relaxed, or strict when the DMARC record says adkim=s). */
  aligned: boolean;
  /** i=, decoded */
  identity?: string;
  /** First characters of b=, as header.b in Authentication-Results (RFC 6008). */
  b: string;
  keyBits?: number;
}

export type DmarcPolicy = 'none' | 'quarantine' | 'reject';

export interface DmarcOutcome {
  /** pass / fail, none (no record), temperror (the record could not be read). */
  result: 'pass' | 'fail' | 'none' | 'temperror';
  /** The From domain judged (the first of several when From is suspicious). */
  domain: string;
  /** Where the record was found (the From domain or its organizational domain). */
  recordDomain?: string;
  record?: string;
  /** Published p= and sp= (sp= defaults to p=). */
  p?: DmarcPolicy;
  sp?: DmarcPolicy;
  /** Published pct= (default 100). */
  pct: number;
  /** The policy that applies to this message: p= or sp=, lowered when pct= sampled it out. */
  policy?: DmarcPolicy;
  /** False when pct= sampled the message out and the policy was lowered. */
  sampled: boolean;
  alignment: {
    spf: { mode: 'relaxed' | 'strict'; aligned: boolean; domain?: string };
    dkim: { mode: 'relaxed' | 'strict'; aligned: boolean; domain?: string };
  };
  /** What Sekimori does about it per settings auth.dmarc. */
  action: DmarcAction;
  /** Why: "p=reject", "exception 192.0.2.0/24", "honorPolicy off", … */
  actionReason: string;
}

export interface ArcOutcome {
  result: 'pass' | 'fail' | 'none';
  /** Number of ARC sets (the highest i=). */
  instances: number;
  comment?: string;
}

export interface AuthResults {
  /** The authserv-id of our Authentication-Results header (our host name). */
  authservId: string;
  spf?: SpfOutcome;
  /** One entry per DKIM-Signature, in header order; empty when unsigned or DKIM is off. */
  dkim: DkimSignatureOutcome[];
  /** The message's DKIM verdict: pass if any signature passes, else the first failure. */
  dkimResult?: DkimResult;
  dmarc?: DmarcOutcome;
  arc?: ArcOutcome;
  /** The From domain DMARC judged (undefined when From is missing or ambiguous). */
  fromDomain?: string;
  /** Why the message's authentication cannot be trusted (several From, NUL, forged A-R, …). */
  suspicious: string[];
  /** Authentication-Results fields from outside that claim our authserv-id. */
  forgedAuthResults: number;
  /** A valid signature by a domain of auth.dkimApproved: spam scanning is skipped. */
  dkimApproved?: string;
  /** The From domain is in auth.dkimEnforced and no valid aligned signature is present: spam. */
  dkimEnforcedFailure?: string;
  /** The Authentication-Results field to prepend (folded, no final line ending); "" when off. */
  header: string;
}
