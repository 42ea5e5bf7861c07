// Turns a rule's condition settings into compiled conditions.
import type { PolicyCondition } from '../types.js';
import { attachmentCondition } from './attachment.js';
import { authenticationCondition } from './authentication.js';
import { dlpCondition } from './dlp.js';
import { keywordCondition, type CompiledKeywordList } from './keywords.js';
import {
  headerCondition,
  recipientCountCondition,
  scanExceptionCondition,
  sizeCondition,
  virusCondition,
} from './simple.js';
import { evidence, type CompiledCondition } from './types.js';
import { cncCondition, graymailCondition, socialCondition, spamCondition } from './verdicts.js';

export type { CompiledCondition } from './types.js';

export function compileCondition(
  c: PolicyCondition,
  lists: ReadonlyMap<string, CompiledKeywordList>,
): CompiledCondition {
  switch (c.kind) {
    case 'virus':
      return virusCondition(c.categories);
    case 'scanException':
      return scanExceptionCondition(c.kinds);
    case 'attachment':
      return attachmentCondition(c);
    case 'keywords': {
      const list = lists.get(c.list);
      // The schema refuses unknown lists; a settings object built by hand may still have one.
      if (!list) throw new Error(`no keyword list named "${c.list}"`);
      return keywordCondition(list, c.in);
    }
    case 'dlp':
      return dlpCondition(c.template, c.minCount, c.in);
    case 'size':
      return sizeCondition(c.min, c.max);
    case 'recipientCount':
      return recipientCountCondition(c.min, c.max);
    case 'header':
      return headerCondition(c.name, c.pattern, c.caseSensitive);
    case 'spam':
      return spamCondition(c.threshold, c.level);
    case 'graymail':
      return graymailCondition(c.categories);
    case 'socialEngineering':
      return socialCondition(c.kinds);
    case 'cnc':
      return cncCondition(c.types, c.where);
    case 'authentication':
      return authenticationCondition(c);
    case 'not':
      return notCondition(compileCondition(c.condition, lists));
  }
}

function notCondition(inner: CompiledCondition): CompiledCondition {
  const label = `not ${inner.label}`;
  return {
    label,
    cost: inner.cost,
    evaluate: (m) =>
      m.once(inner, () => inner.evaluate(m)).length === 0
        ? [evidence({ condition: 'not', detail: `no match for ${inner.label}` })]
        : [],
  };
}
