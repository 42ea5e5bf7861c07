// Administrators write PCRE-style expressions; JavaScript's RegExp reads the common subset
// (\b, \d, classes, look-around, named groups) the same way. The one PCRE idiom we translate
// is a leading "(?i)", which JavaScript has no inline form for.
//
// Flags: expressions are validated in Unicode mode ("u", the strict grammar), and run in it
// too, except case-insensitive ones that need nothing only Unicode mode offers (\p{..},
// \u{..}, characters outside the BMP): those run with "i" alone, because V8 evaluates \b and
// \B under "iu" some hundred times slower (a 200-entry list took seconds per megabyte).

export interface UserRegexOptions {
  caseSensitive: boolean;
}

// \p{..}, \P{..}, \u{..}, or a surrogate (a character outside the BMP).
const NEEDS_UNICODE = /\\[pP]\{|\\u\{|[\uD800-\uDFFF]/;

function flagsFor(source: string, caseSensitive: boolean): string {
  if (caseSensitive) return 'u';
  return NEEDS_UNICODE.test(source) ? 'iu' : 'i';
}

function split(pattern: string, o: UserRegexOptions): { source: string; caseSensitive: boolean } {
  return pattern.startsWith('(?i)')
    ? { source: pattern.slice(4), caseSensitive: false }
    : { source: pattern, caseSensitive: o.caseSensitive };
}

/** Compiles an administrator's expression; throws SyntaxError with the engine's explanation. */
export function compileUserRegex(pattern: string, o: UserRegexOptions): RegExp {
  const { source, caseSensitive } = split(pattern, o);
  // The strict grammar decides what is valid, whatever the flags it then runs with.
  const strict = new RegExp(source, caseSensitive ? 'u' : 'iu');
  const flags = flagsFor(source, caseSensitive);
  return flags === strict.flags ? strict : new RegExp(source, flags);
}

/** A literal text as a RegExp (keyword entries that are not expressions). */
export function literalRegex(text: string, o: UserRegexOptions): RegExp {
  const source = escapeRegex(text);
  return new RegExp(source, flagsFor(source, o.caseSensitive));
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
