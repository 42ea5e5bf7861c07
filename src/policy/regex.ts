// Administrators write PCRE-style expressions; JavaScript's RegExp with the "u" flag reads the
// common subset (\b, \d, classes, look-around, named groups) the same way. The one PCRE idiom
// we translate is a leading "(?i)", which JavaScript has no inline form for.

export interface UserRegexOptions {
  caseSensitive: boolean;
}

/** Compiles an administrator's expression; throws SyntaxError with the engine's explanation. */
export function compileUserRegex(pattern: string, o: UserRegexOptions): RegExp {
  let source = pattern;
  let caseSensitive = o.caseSensitive;
  if (source.startsWith('(?i)')) {
    source = source.slice(4);
    caseSensitive = false;
  }
  return new RegExp(source, caseSensitive ? 'u' : 'iu');
}

/** A literal text as a RegExp (keyword entries that are not expressions). */
export function literalRegex(text: string, o: UserRegexOptions): RegExp {
  return new RegExp(escapeRegex(text), o.caseSensitive ? 'u' : 'iu');
}

export function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The problem with an expression, or undefined when it compiles. */
export function regexProblem(pattern: string, caseSensitive = false): string | undefined {
  try {
    compileUserRegex(pattern, { caseSensitive });
    return undefined;
  } catch (e) {
    return `not a valid regular expression: ${(e as Error).message}`;
  }
}

/** "*" wildcards (and nothing else) as an anchored, case-insensitive RegExp. */
export function globRegex(glob: string): RegExp {
  const body = glob
    .split('*')
    .map((part) => escapeRegex(part))
    .join('.*');
  return new RegExp(`^${body}$`, 'isu');
}
