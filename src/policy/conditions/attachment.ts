// The attachment condition. A file matches when it is one of the kinds named (any of names,
// extensions, true types, declared types — these say *what* the file is, so they are
// alternatives) and has every property named (size bounds, encrypted, macros, PDF JavaScript,
// double extension — these narrow it down). Files inside archives count too: "*.exe" finds
// the program in a zip. The condition matches when at least minCount files match.
import type { AttachmentFact } from '../../scan/facts.js';
import type { PolicyCondition } from '../types.js';
import { globRegex } from '../regex.js';
import { COST, evidence, humanSize, type CompiledCondition } from './types.js';

type AttachmentCondition = Extract<PolicyCondition, { kind: 'attachment' }>;

interface Test {
  /** Why a file passed, for evidence ("name matches *.exe"); undefined when it did not. */
  check(a: AttachmentFact): string | undefined;
}

function baseName(name: string): string {
  return name.slice(Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\')) + 1);
}

function kindTests(c: AttachmentCondition): Test[] {
  const tests: Test[] = [];
  if (c.names) {
    const globs = c.names.map((g) => ({ g, re: globRegex(g.normalize('NFC')) }));
    tests.push({
      check: (a) => {
        if (!a.name) return undefined;
        const full = a.name.normalize('NFC');
        const hit = globs.find(({ re }) => re.test(full) || re.test(baseName(full)));
        return hit && `name matches ${hit.g}`;
      },
    });
  }
  if (c.extensions) {
    const set = new Set(c.extensions);
    tests.push({ check: (a) => (set.has(a.extension) ? `extension ${a.extension}` : undefined) });
  }
  if (c.trueTypes) {
    const set = new Set<string>(c.trueTypes);
    tests.push({ check: (a) => (set.has(a.trueType) ? `true type ${a.trueType}` : undefined) });
  }
  if (c.declaredTypes) {
    const globs = c.declaredTypes.map((t) => ({ t, re: globRegex(t) }));
    tests.push({
      check: (a) => {
        const hit = a.declaredType ? globs.find(({ re }) => re.test(a.declaredType)) : undefined;
        return hit && `declared type ${a.declaredType}`;
      },
    });
  }
  return tests;
}

function flag(
  wanted: boolean | undefined,
  actual: (a: AttachmentFact) => boolean,
  yes: string,
  no: string,
): Test | undefined {
  if (wanted === undefined) return undefined;
  return { check: (a) => (actual(a) === wanted ? (wanted ? yes : no) : undefined) };
}

function propertyTests(c: AttachmentCondition): Test[] {
  const tests: (Test | undefined)[] = [
    c.minSize === undefined
      ? undefined
      : { check: (a) => (a.size >= (c.minSize ?? 0) ? `size ${humanSize(a.size)}` : undefined) },
    c.maxSize === undefined
      ? undefined
      : { check: (a) => (a.size <= (c.maxSize ?? 0) ? `size ${humanSize(a.size)}` : undefined) },
    flag(c.encrypted, (a) => a.encrypted, 'encrypted', 'not encrypted'),
    flag(c.macros, (a) => a.hasMacros, 'has macros', 'no macros'),
    flag(c.pdfJavascript, (a) => a.pdfJavascript, 'PDF with JavaScript', 'PDF without JavaScript'),
    flag(c.doubleExtension, (a) => a.doubleExtension, 'double extension', 'no double extension'),
  ];
  return tests.filter((t): t is Test => t !== undefined);
}

function describe(c: AttachmentCondition): string {
  const parts: string[] = [];
  if (c.names) parts.push(`names ${c.names.join(', ')}`);
  if (c.extensions) parts.push(`extensions ${c.extensions.join(', ')}`);
  if (c.trueTypes) parts.push(`true types ${c.trueTypes.join(', ')}`);
  if (c.declaredTypes) parts.push(`declared types ${c.declaredTypes.join(', ')}`);
  if (c.minSize !== undefined) parts.push(`at least ${humanSize(c.minSize)}`);
  if (c.maxSize !== undefined) parts.push(`at most ${humanSize(c.maxSize)}`);
  for (const [key, text] of [
    ['encrypted', 'encrypted'],
    ['macros', 'macros'],
    ['pdfJavascript', 'PDF JavaScript'],
    ['doubleExtension', 'double extension'],
  ] as const) {
    if (c[key] !== undefined) parts.push(c[key] ? text : `no ${text}`);
  }
  if (c.minCount > 1) parts.push(`${c.minCount} or more files`);
  return `attachment (${parts.join('; ') || 'any file'})`;
}

export function attachmentCondition(c: AttachmentCondition): CompiledCondition {
  const kinds = kindTests(c);
  const properties = propertyTests(c);
  return {
    label: describe(c),
    cost: COST.facts,
    evaluate: (m) => {
      const found: { a: AttachmentFact; why: string[] }[] = [];
      for (const a of m.facts.attachments) {
        const why: string[] = [];
        if (kinds.length > 0) {
          const kind = kinds.map((t) => t.check(a)).find((r) => r !== undefined);
          if (kind === undefined) continue;
          why.push(kind);
        }
        const props = properties.map((t) => t.check(a));
        if (props.some((r) => r === undefined)) continue;
        why.push(...(props as string[]));
        found.push({ a, why: [...new Set(why)] });
      }
      if (found.length < c.minCount) return [];
      const list = found.map(({ a, why }) =>
        evidence({
          condition: 'attachment',
          detail: `attachment ${a.name ? `"${a.name}"` : a.id}${why.length ? `: ${why.join(', ')}` : ''}`,
          where: `attachment:${a.id}`,
          value: a.name ?? a.id,
          attachment: a.id,
        }),
      );
      if (c.minCount > 1)
        list.unshift(
          evidence({
            condition: 'attachment',
            detail: `${found.length} files match (${c.minCount} or more needed)`,
            value: String(found.length),
          }),
        );
      return list;
    },
  };
}
