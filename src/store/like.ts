// Address and text search patterns for SQL LIKE: "*" is the administrator's wildcard, and
// the LIKE metacharacters in the text are escaped (used with ESCAPE '\').
export function likePattern(text: string): string {
  const escaped = text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`);
  return escaped.replace(/\*/g, '%');
}
