// What the policy engine decides for a message: for each recipient, which rules matched and
// why, and what is to be done. The action stage carries it out.
import type { Direction } from '../scan/facts.js';

/** Why a condition matched: shown in the policy event log and the console. */
export interface Evidence {
  /** Condition kind, e.g. "keywords", "virus", "attachment", "dlp". */
  condition: string;
  /** Human-readable, e.g. 'keyword "confidential" (list Secrets) in subject'. */
  detail: string;
  /** Where it was found: subject, body, header:x-foo, attachment:2!a.zip!b.exe … */
  where?: string;
  /** What matched (keyword, virus name, file name, masked card number…). */
  value?: string;
  /** The attachment concerned, when there is one (what stripAttachments "matching" removes). */
  attachment?: string;
}

export interface RuleMatch {
  ruleId: string;
  ruleName: string;
  evidence: Evidence[];
}

/** For the rule tester: every rule considered and why it did or did not apply. */
export interface RuleTrace {
  ruleId: string;
  ruleName: string;
  routeMatched: boolean;
  matched: boolean;
  /** Why not, e.g. "direction is outbound", "condition attachment: no attachment named *.exe". */
  reason?: string;
  evidence: Evidence[];
}

export type InterceptAction =
  | { type: 'deliver' }
  | { type: 'delete' }
  | { type: 'quarantine'; area: string }
  | { type: 'hold' }
  | { type: 'changeRecipient'; to: string[] }
  | { type: 'reroute'; host: string; port: number };

export type ModifyAction =
  | { type: 'tagSubject'; text: string }
  | { type: 'stamp'; text: string; html?: string; position: 'top' | 'bottom' }
  | { type: 'addHeader'; name: string; value: string }
  | { type: 'removeHeader'; name: string }
  /** attachments: ids of the files to remove (resolved by the engine for "matching"). */
  | { type: 'stripAttachments'; attachments: string[]; note: string };

export type MonitorAction =
  | {
      type: 'notify';
      template: string;
      to: 'sender' | 'recipients' | 'admin' | string;
      /** The template's subject and body with %TOKENS% expanded by the engine. */
      subject?: string;
      body?: string;
    }
  | { type: 'bcc'; to: string }
  | { type: 'archive'; area: string };

export interface RecipientDecision {
  recipient: string;
  direction: Direction;
  matched: RuleMatch[];
  /** The action that ended processing (or deliver when no rule intercepted), and its rule. */
  intercept: InterceptAction & { ruleId?: string };
  modify: (ModifyAction & { ruleId: string })[];
  monitor: (MonitorAction & { ruleId: string })[];
}

export interface Decision {
  recipients: RecipientDecision[];
  /** Per recipient, every rule considered (for the tester and the tracking detail). */
  traces: Record<string, RuleTrace[]>;
}
