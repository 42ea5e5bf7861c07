// Finds the numbers of a DLP template in text. Numbers are written with spaces or dashes
// between digit groups ("4111 1111 1111 1111", "1234-5678-9012"), so candidates are runs of
// digit groups; within a run, the longest window of groups that passes the template's rules
// wins, so "qty 2 4111 1111 1111 1111" still finds the card. Text is NFKC-normalised first:
// Japanese mail often writes numbers in full-width digits ("１２３４").
import type { DlpTemplate } from '../types.js';
import {
  cardBrand,
  creditCardValid,
  IBAN_LENGTHS,
  ibanValid,
  myNumberValid,
  usSsnValid,
} from './checksums.js';

export interface DlpFinding {
  /** The number without separators (kept only in memory, to count distinct numbers). */
  value: string;
  /** What the log may show: all but the last four characters hidden, separators kept. */
  masked: string;
  /** e.g. the card brand. */
  label?: string;
}

// Hyphen, dash and minus look-alikes (U+2010-2015, U+2212) separate groups as "-" does.
const RUN = /\d+(?:[ \-\u2010-\u2015\u2212]\d+)*/gu;

interface Group {
  digits: string;
  start: number;
  end: number;
}

interface WindowRule {
  maxDigits: number;
  /** Accepts a window of groups; returns a label (or "") when it is a number of this template. */
  accept(groups: string[], digits: string): string | undefined;
}

const RULES: Record<Exclude<DlpTemplate, 'iban'>, WindowRule> = {
  'credit-card': {
    maxDigits: 19,
    accept: (_g, digits) => (creditCardValid(digits) ? cardBrand(digits) : undefined),
  },
  'my-number': {
    maxDigits: 12,
    accept: (g, digits) => {
      const shape = g.map((x) => x.length).join(',');
      return (shape === '12' || shape === '4,4,4') && myNumberValid(digits) ? '' : undefined;
    },
  },
  'us-ssn': {
    maxDigits: 9,
    // Only the written form AAA-GG-SSSS (or with spaces): nine bare digits are too often something else.
    accept: (g, digits) =>
      g.map((x) => x.length).join(',') === '3,2,4' && usSsnValid(digits) ? '' : undefined,
  },
};

/** Every character but the last `keep` letters/digits becomes "*"; separators stay. */
export function mask(text: string, keep = 4, keepStart = 0): string {
  const total = [...text].filter((c) => /[A-Za-z0-9]/.test(c)).length;
  let seen = 0;
  return [...text]
    .map((c) => {
      if (!/[A-Za-z0-9]/.test(c)) return c;
      seen++;
      return seen <= keepStart || seen > total - keep ? c : '*';
    })
    .join('');
}

function groupsOf(run: string, offset: number): Group[] {
  const out: Group[] = [];
  for (const m of run.matchAll(/\d+/g)) {
    const start = offset + (m.index ?? 0);
    out.push({ digits: m[0], start, end: start + m[0].length });
  }
  return out;
}

function findInRuns(text: string, rule: WindowRule): DlpFinding[] {
  const found: DlpFinding[] = [];
  for (const run of text.matchAll(RUN)) {
    const groups = groupsOf(run[0], run.index ?? 0);
    for (let i = 0; i < groups.length;) {
      let best: { j: number; label: string } | undefined;
      let digits = '';
      for (let j = i; j < groups.length; j++) {
        digits += groups[j]?.digits ?? '';
        if (digits.length > rule.maxDigits) break;
        const label = rule.accept(
          groups.slice(i, j + 1).map((g) => g.digits),
          digits,
        );
        if (label !== undefined) best = { j, label };
      }
      if (!best) {
        i++;
        continue;
      }
      const first = groups[i];
      const last = groups[best.j];
      if (first && last) {
        const raw = text.slice(first.start, last.end);
        found.push({
          value: raw.replace(/\D/g, ''),
          masked: mask(raw),
          ...(best.label ? { label: best.label } : {}),
        });
      }
      i = best.j + 1;
    }
  }
  return found;
}

const ALNUM = /[A-Za-z0-9]/;
const IBAN_START = /(?<![A-Za-z0-9])([A-Za-z]{2})(\d{2})/g;

/** An IBAN at `start`, compact ("GB82WEST...") or printed in groups of four ("GB82 WEST ..."). */
function readIban(text: string, start: number, length: number): string | undefined {
  const compact = text.slice(start, start + length);
  if (/^[A-Za-z0-9]+$/.test(compact) && compact.length === length && !ALNUM.test(text[start + length] ?? ''))
    return compact;
  let need = length - 4;
  let p = start + 4;
  while (need > 0) {
    if (text[p] !== ' ') return undefined;
    const take = Math.min(4, need);
    const group = text.slice(p + 1, p + 1 + take);
    if (group.length !== take || !/^[A-Za-z0-9]+$/.test(group)) return undefined;
    need -= take;
    p += 1 + take;
  }
  return ALNUM.test(text[p] ?? '') ? undefined : text.slice(start, p);
}

function findIbans(text: string): DlpFinding[] {
  const found: DlpFinding[] = [];
  for (const m of text.matchAll(IBAN_START)) {
    const start = m.index ?? 0;
    const length = IBAN_LENGTHS[(m[1] ?? '').toUpperCase()];
    if (length === undefined) continue;
    const raw = readIban(text, start, length);
    if (raw === undefined) continue;
    const value = raw.replace(/ /g, '').toUpperCase();
    if (ibanValid(value)) found.push({ value, masked: mask(raw, 4, 2), label: value.slice(0, 2) });
  }
  return found;
}

/** Every number of the template in the text, in order (the same number may appear twice). */
export function detect(template: DlpTemplate, text: string): DlpFinding[] {
  const t = text.normalize('NFKC');
  return template === 'iban' ? findIbans(t) : findInRuns(t, RULES[template]);
}
