// Conditions on facts the scanner already computed: virus findings, scan exceptions, message
// size, recipient count, and header values.
import type { ScanExceptionKind, VirusCategory } from '../../scan/facts.js';
import { compileUserRegex } from '../regex.js';
import { clip, COST, evidence, humanSize, type CompiledCondition } from './types.js';

function inAttachment(id: string | undefined, name: string | undefined): string {
  if (id === undefined) return '';
  return name ? ` in "${name}" (${id})` : ` in attachment ${id}`;
}

export function virusCondition(categories: readonly VirusCategory[] | undefined): CompiledCondition {
  const wanted = categories ? new Set(categories) : undefined;
  return {
    label: `virus (${categories?.join(', ') ?? 'any category'})`,
    cost: COST.facts,
    evaluate: (m) =>
      m.facts.virus
        .filter((v) => !wanted || wanted.has(v.category))
        .map((v) =>
          evidence({
            condition: 'virus',
            detail: `${v.category} "${v.name}" found by ${v.engine}${inAttachment(v.attachment, v.attachment && m.attachmentName(v.attachment))}`,
            where: v.attachment === undefined ? undefined : `attachment:${v.attachment}`,
            value: v.name,
            attachment: v.attachment,
          }),
        ),
  };
}

export function scanExceptionCondition(kinds: readonly ScanExceptionKind[] | undefined): CompiledCondition {
  const wanted = kinds ? new Set(kinds) : undefined;
  return {
    label: `scan exception (${kinds?.join(', ') ?? 'any kind'})`,
    cost: COST.facts,
    evaluate: (m) =>
      m.facts.exceptions
        .filter((e) => !wanted || wanted.has(e.kind))
        .map((e) =>
          evidence({
            condition: 'scanException',
            detail: `${e.kind}: ${e.detail}${inAttachment(e.attachment, e.attachment && m.attachmentName(e.attachment))}`,
            where: e.attachment === undefined ? undefined : `attachment:${e.attachment}`,
            value: e.kind,
            attachment: e.attachment,
          }),
        ),
  };
}

function inRange(n: number, min: number | undefined, max: number | undefined): boolean {
  return (min === undefined || n >= min) && (max === undefined || n <= max);
}

function rangeText(min: number | undefined, max: number | undefined, fmt: (n: number) => string): string {
  if (min !== undefined && max !== undefined) return `${fmt(min)} to ${fmt(max)}`;
  return min !== undefined ? `at least ${fmt(min)}` : `at most ${fmt(max ?? 0)}`;
}

export function sizeCondition(min: number | undefined, max: number | undefined): CompiledCondition {
  const range = rangeText(min, max, humanSize);
  return {
    label: `size (${range})`,
    cost: COST.facts,
    evaluate: (m) =>
      inRange(m.facts.size, min, max)
        ? [
            evidence({
              condition: 'size',
              detail: `message size ${humanSize(m.facts.size)} is ${range}`,
              value: String(m.facts.size),
            }),
          ]
        : [],
  };
}

export function recipientCountCondition(min: number | undefined, max: number | undefined): CompiledCondition {
  const range = rangeText(min, max, String);
  return {
    label: `recipient count (${range})`,
    cost: COST.facts,
    evaluate: (m) => {
      const n = m.facts.envelope.recipients.length;
      return inRange(n, min, max)
        ? [evidence({ condition: 'recipientCount', detail: `${n} recipients, ${range}`, value: String(n) })]
        : [];
    },
  };
}

export function headerCondition(
  name: string,
  pattern: string | undefined,
  caseSensitive: boolean,
): CompiledCondition {
  const lower = name.toLowerCase();
  const re = pattern === undefined ? undefined : compileUserRegex(pattern, { caseSensitive });
  return {
    label: pattern === undefined ? `header ${name} present` : `header ${name} matching /${pattern}/`,
    cost: COST.header,
    evaluate: (m) => {
      for (const h of m.facts.headers) {
        if (h.name !== lower) continue;
        const hit = re ? re.exec(h.value) : [h.value];
        if (hit)
          return [
            evidence({
              condition: 'header',
              detail: re ? `header ${name} matches /${pattern}/` : `header ${name} is present`,
              where: `header:${lower}`,
              value: clip(hit[0] ?? h.value),
            }),
          ];
      }
      return [];
    },
  };
}
