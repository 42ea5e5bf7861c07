// A rule condition ready to run: compiled once per settings object, evaluated per message.
import type { Evidence } from '../decision.js';
import type { MessageContext } from '../message-context.js';

export interface CompiledCondition {
  /** Short description for traces: 'attachment (names *.exe)'. */
  label: string;
  /** Relative cost: within a rule, cheaper conditions run first so costly ones (DLP) often need not. */
  cost: number;
  /** The evidence of a match; empty when the condition does not match. */
  evaluate(message: MessageContext): Evidence[];
}

/** Costs: facts already at hand, then regexes over text, then number detection over text. */
export const COST = { facts: 0, header: 1, keywords: 2, dlp: 3 } as const;

/** Evidence without undefined keys, so stored JSON stays small and comparable. */
export function evidence(e: Evidence): Evidence {
  const out: Evidence = { condition: e.condition, detail: e.detail };
  if (e.where !== undefined) out.where = e.where;
  if (e.value !== undefined) out.value = e.value;
  if (e.attachment !== undefined) out.attachment = e.attachment;
  return out;
}

/** Cuts long matched text for the log. */
export function clip(text: string, max = 120): string {
  const oneLine = text.replace(/\s+/g, ' ');
  return oneLine.length > max ? `${oneLine.slice(0, max - 1)}…` : oneLine;
}

export function humanSize(bytes: number): string {
  const units = ['bytes', 'KB', 'MB', 'GB'];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${bytes} bytes` : `${Number(v.toFixed(1))} ${units[i]}`;
}
