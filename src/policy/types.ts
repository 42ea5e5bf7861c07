// The runtime form of the "policy" settings section: what the engine reads. Sizes are bytes,
// durations milliseconds, every optional setting has its default filled in. The YAML document
// form (sizes as "10MB", optional keys left out) is in policy-settings.ts.
import type { DmarcAction } from '../auth/auth-settings.js';
import type { DkimResult, DmarcOutcome, DmarcPolicy, SpfResult } from '../auth/types.js';
import type { ScanExceptionKind, TrueType, VirusCategory } from '../scan/facts.js';
import type { CncType, CncWhere } from '../spam/cnc.js';
import type { GraymailCategory } from '../spam/graymail.js';
import type { SocialIndicatorKind } from '../spam/social.js';
import type { InterceptAction, ModifyAction, MonitorAction } from './decision.js';

export const SCAN_EXCEPTION_KINDS = [
  'encrypted',
  'too-large',
  'too-deep',
  'too-many-files',
  'ratio',
  'unscannable',
  'malformed',
  'engine-unavailable',
  'timeout',
] as const satisfies readonly ScanExceptionKind[];

export const TRUE_TYPES = [
  'exe',
  'elf',
  'macho',
  'script',
  'zip',
  'gzip',
  'tar',
  '7z',
  'rar',
  'bzip2',
  'xz',
  'cab',
  'ooxml',
  'ole',
  'pdf',
  'rtf',
  'html',
  'image',
  'audio',
  'video',
  'text',
  'unknown',
] as const satisfies readonly TrueType[];

export const GRAYMAIL_CATEGORIES = [
  'newsletter',
  'marketing',
  'social',
] as const satisfies readonly GraymailCategory[];

export const CNC_WHERE = [
  'sender',
  'from',
  'recipient',
  'reply-to',
  'url',
  'client-ip',
  'attachment',
] as const satisfies readonly CncWhere[];

export const SPF_RESULTS = [
  'pass',
  'fail',
  'softfail',
  'neutral',
  'none',
  'temperror',
  'permerror',
] as const satisfies readonly SpfResult[];

export const DKIM_RESULTS = [
  'pass',
  'fail',
  'neutral',
  'policy',
  'temperror',
  'permerror',
  'none',
] as const satisfies readonly DkimResult[];

export type DmarcResult = DmarcOutcome['result'];
export const DMARC_RESULTS = ['pass', 'fail', 'none', 'temperror'] as const satisfies readonly DmarcResult[];

export const DMARC_POLICIES = ['none', 'quarantine', 'reject'] as const satisfies readonly DmarcPolicy[];

/** Spam levels a rule may name; "custom" is written as a threshold instead. */
export const SPAM_RULE_LEVELS = ['low', 'medium', 'high'] as const;
export type SpamRuleLevel = (typeof SPAM_RULE_LEVELS)[number];

// Compile-time proof that the lists above name every member of the shared unions, so a kind
// added to facts.ts (or to the spam and auth results) cannot silently become impossible to
// write in a rule.
type Missing<All, Listed> = [Exclude<All, Listed>] extends [never] ? true : Exclude<All, Listed>;
const _allKinds: Missing<ScanExceptionKind, (typeof SCAN_EXCEPTION_KINDS)[number]> = true;
const _allTypes: Missing<TrueType, (typeof TRUE_TYPES)[number]> = true;
const _allGraymail: Missing<GraymailCategory, (typeof GRAYMAIL_CATEGORIES)[number]> = true;
const _allWhere: Missing<CncWhere, (typeof CNC_WHERE)[number]> = true;
const _allSpf: Missing<SpfResult, (typeof SPF_RESULTS)[number]> = true;
const _allDkim: Missing<DkimResult, (typeof DKIM_RESULTS)[number]> = true;
const _allDmarc: Missing<DmarcResult, (typeof DMARC_RESULTS)[number]> = true;
const _allPolicies: Missing<DmarcPolicy, (typeof DMARC_POLICIES)[number]> = true;

/** Where keyword and DLP conditions look. */
export const TEXT_AREAS = ['subject', 'body', 'headers', 'attachmentNames', 'attachmentText'] as const;
export type TextArea = (typeof TEXT_AREAS)[number];

export const DLP_TEMPLATES = ['credit-card', 'my-number', 'iban', 'us-ssn'] as const;
export type DlpTemplate = (typeof DLP_TEMPLATES)[number];

export const KEYWORD_MODES = ['any', 'all', 'none', 'score'] as const;
export type KeywordMode = (typeof KEYWORD_MODES)[number];

/** inbound/outbound as seen for one recipient; "both" is the two, "all" adds internal mail. */
export const ROUTE_DIRECTIONS = ['inbound', 'outbound', 'both', 'all'] as const;
export type RouteDirection = (typeof ROUTE_DIRECTIONS)[number];

export type PolicyCondition =
  | { kind: 'virus'; categories?: VirusCategory[] }
  | { kind: 'scanException'; kinds?: ScanExceptionKind[] }
  | {
      kind: 'attachment';
      names?: string[];
      extensions?: string[];
      trueTypes?: TrueType[];
      declaredTypes?: string[];
      minSize?: number;
      maxSize?: number;
      encrypted?: boolean;
      macros?: boolean;
      pdfJavascript?: boolean;
      doubleExtension?: boolean;
      minCount: number;
    }
  | { kind: 'keywords'; list: string; in: TextArea[] }
  | { kind: 'dlp'; template: DlpTemplate; minCount: number; in: TextArea[] }
  | { kind: 'size'; min?: number; max?: number }
  | { kind: 'recipientCount'; min?: number; max?: number }
  | { kind: 'header'; name: string; pattern?: string; caseSensitive: boolean }
  /** No threshold: the spam verdict itself. level is kept for the label only. */
  | { kind: 'spam'; threshold?: number; level?: SpamRuleLevel }
  | { kind: 'graymail'; categories?: GraymailCategory[] }
  | { kind: 'socialEngineering'; kinds?: SocialIndicatorKind[] }
  | { kind: 'cnc'; types?: CncType[]; where?: CncWhere[] }
  | {
      kind: 'authentication';
      /** any (default): one listed test is enough; all: every listed test must hold. */
      match: 'any' | 'all';
      spf?: SpfResult[];
      dkim?: DkimResult[];
      dmarc?: DmarcResult[];
      dmarcPolicy?: DmarcPolicy[];
      dmarcAction?: DmarcAction[];
      suspicious?: boolean;
    }
  | { kind: 'not'; condition: PolicyCondition };

export interface PolicyRoute {
  direction: RouteDirection;
  /** Address patterns ("*@example.com", "example.com", "group:NAME"); empty = anyone. */
  senders: string[];
  recipients: string[];
  exceptSenders: string[];
  exceptRecipients: string[];
}

/** An intercept setting: one of the decision's intercept actions, or "continue" (go on to later rules). */
export type InterceptSetting = InterceptAction | { type: 'continue' };

export type ModifySetting =
  | Exclude<ModifyAction, { type: 'stripAttachments' }>
  | { type: 'stripAttachments'; which: 'matching' | 'all'; note: string };

export type MonitorSetting = MonitorAction;

export interface PolicyRule {
  id: string;
  name: string;
  description?: string;
  enabled: boolean;
  /** Antivirus rules run before every "other" rule (SPEC §12). */
  type: 'antivirus' | 'other';
  route: PolicyRoute;
  match: 'all' | 'any';
  conditions: PolicyCondition[];
  actions: { intercept: InterceptSetting; modify: ModifySetting[]; monitor: MonitorSetting[] };
}

export interface KeywordEntry {
  pattern: string;
  regex: boolean;
  caseSensitive: boolean;
  description: string;
  score: number;
}

export interface KeywordList {
  name: string;
  description?: string;
  mode: KeywordMode;
  /** For mode "score": the list matches when the found entries' scores add up to at least this. */
  threshold: number;
  entries: KeywordEntry[];
}

export interface AddressGroup {
  name: string;
  addresses: string[];
}

export interface NotificationTemplate {
  name: string;
  subject: string;
  body: string;
}

export interface MailArea {
  name: string;
  description?: string;
  /** Milliseconds a message is kept. */
  retention: number;
}

export interface PolicySettings {
  /** In priority order as written; global-antivirus is always first. */
  rules: PolicyRule[];
  keywordLists: KeywordList[];
  addressGroups: AddressGroup[];
  notificationTemplates: NotificationTemplate[];
  quarantineAreas: MailArea[];
  archiveAreas: MailArea[];
  administratorAddress?: string;
}
