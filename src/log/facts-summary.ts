// The part of a message's facts worth keeping in message tracking: small enough for one row
// per message (a few KB at most), enough for an administrator to see at a glance why a message
// went where it went. Secrets never get here: DLP numbers come from the rules' evidence, which
// holds them masked.
import type { Direction, ParsedMessage } from '../scan/facts.js';
import type { Decision } from '../policy/decision.js';

/** Top spam reasons kept (by absolute score). */
const MAX_REASONS = 5;
/** Attachments listed one by one; the count says how many there were. */
const MAX_ATTACHMENTS = 50;
const MAX_DLP = 20;

export interface FactsSummary {
  direction: Direction;
  size: number;
  auth?: {
    spf?: string;
    dkim?: string;
    dmarc?: string;
    /** The DMARC policy that applied and what Sekimori did about it. */
    dmarcPolicy?: string;
    dmarcAction?: string;
    arc?: string;
    suspicious?: string[];
  };
  spam?: {
    score: number;
    threshold: number;
    isSpam: boolean;
    level: string;
    skipped?: string;
    reasons: { rule: string; score: number; detail: string }[];
  };
  graymail?: { category?: string; reasons: string[] };
  viruses: { name: string; category: string; engine: string; attachment?: string }[];
  exceptions: { kind: string; detail: string }[];
  attachmentCount: number;
  attachments: { id: string; name?: string; trueType: string; declaredType: string; size: number }[];
  urlCount: number;
  /** DLP findings of matched rules, masked ("**** **** **** 1111"). */
  dlp: { detail: string; value?: string }[];
  social?: string[];
  cnc?: string[];
}

export function summarizeFacts(parsed: ParsedMessage, decision?: Decision): FactsSummary {
  const f = parsed.facts;
  const summary: FactsSummary = {
    direction: f.direction,
    size: f.size,
    viruses: f.virus.map((v) => ({
      name: v.name,
      category: v.category,
      engine: v.engine,
      ...(v.attachment ? { attachment: v.attachment } : {}),
    })),
    exceptions: f.exceptions.map((e) => ({ kind: e.kind, detail: e.detail.slice(0, 300) })),
    attachmentCount: f.attachments.length,
    attachments: f.attachments.slice(0, MAX_ATTACHMENTS).map((a) => ({
      id: a.id,
      ...(a.name !== undefined ? { name: a.name } : {}),
      trueType: a.trueType,
      declaredType: a.declaredType,
      size: a.size,
    })),
    urlCount: f.urls.length,
    dlp: dlpFindings(decision),
  };
  if (f.auth) {
    const a = f.auth;
    summary.auth = {
      ...(a.spf ? { spf: a.spf.result } : {}),
      ...(a.dkimResult ? { dkim: a.dkimResult } : {}),
      ...(a.dmarc ? { dmarc: a.dmarc.result, dmarcPolicy: a.dmarc.policy, dmarcAction: a.dmarc.action } : {}),
      ...(a.arc ? { arc: a.arc.result } : {}),
      ...(a.suspicious.length ? { suspicious: a.suspicious } : {}),
    };
  }
  if (f.spam) {
    const s = f.spam;
    summary.spam = {
      score: s.score,
      threshold: s.threshold,
      isSpam: s.isSpam,
      level: s.level,
      ...(s.skipped ? { skipped: s.skipped } : {}),
      reasons: [...s.reasons]
        .sort((x, y) => Math.abs(y.score) - Math.abs(x.score))
        .slice(0, MAX_REASONS)
        .map((r) => ({ rule: r.rule, score: r.score, detail: r.detail.slice(0, 200) })),
    };
  }
  if (f.graymail?.graymail)
    summary.graymail = { category: f.graymail.category, reasons: f.graymail.reasons.slice(0, 5) };
  if (f.social?.length) summary.social = f.social.map((s) => `${s.kind}: ${s.detail}`.slice(0, 200));
  if (f.cnc?.length) summary.cnc = f.cnc.map((c) => `${c.type} ${c.subject} (${c.where})`.slice(0, 200));
  return summary;
}

function dlpFindings(decision: Decision | undefined): FactsSummary['dlp'] {
  if (!decision) return [];
  const seen = new Map<string, FactsSummary['dlp'][number]>();
  for (const d of decision.recipients)
    for (const m of d.matched)
      for (const e of m.evidence)
        if (e.condition === 'dlp' && !seen.has(e.detail))
          seen.set(e.detail, { detail: e.detail, ...(e.value ? { value: e.value } : {}) });
  return [...seen.values()].slice(0, MAX_DLP);
}

/** Every attachment name (archive members too), one per line, lower case: what the search looks in. */
export function attachmentNames(parsed: ParsedMessage): string {
  const names = new Set<string>();
  for (const a of parsed.facts.attachments) {
    for (const n of [a.name, ...(a.altNames ?? [])]) if (n) names.add(n.toLowerCase());
  }
  return [...names].join('\n').slice(0, 8000);
}
