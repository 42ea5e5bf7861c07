// Word pieces for text written without spaces (Japanese, Chinese). No dictionary: a run of CJK
// characters gives its character bigrams, which carry most of the signal of real words, plus
// the runs of one script (kanji compounds, katakana loanwords), which often are whole words -
// a cheap stand-in for the character-class boundaries TinySegmenter learns.

export type CjkScript = 'han' | 'hiragana' | 'katakana';

const HAN = /\p{Script=Han}|[々〆ヶ]/u;
const HIRAGANA = /\p{Script=Hiragana}/u;
// The prolonged sound mark belongs to katakana words ("メール").
const KATAKANA = /\p{Script=Katakana}|ー/u;

/** Matches runs of CJK characters (after NFKC, so half-width katakana are already full width). */
export const CJK_RUN = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}々〆ヶー]+/gu;

export function cjkScript(ch: string): CjkScript | undefined {
  if (KATAKANA.test(ch)) return 'katakana';
  if (HIRAGANA.test(ch)) return 'hiragana';
  if (HAN.test(ch)) return 'han';
  return undefined;
}

/** Longest script run kept as a word: longer runs are rarely one word and only add noise. */
const MAX_WORD = 8;

/** Tokens for one run of CJK characters. */
export function cjkTokens(run: string, prefix: string, out: Set<string>): void {
  const chars = [...run];
  if (chars.length === 1) {
    out.add(`${prefix}${run}`);
    return;
  }
  for (let i = 0; i + 1 < chars.length; i++) out.add(`${prefix}${chars[i]}${chars[i + 1]}`);
  // Script runs: hiragana runs are mostly particles and endings, so only kanji and katakana
  // runs of two or more characters count as words.
  let start = 0;
  for (let i = 1; i <= chars.length; i++) {
    const prev = cjkScript(chars[i - 1] as string);
    if (i < chars.length && cjkScript(chars[i] as string) === prev) continue;
    const len = i - start;
    if (prev !== 'hiragana' && len >= 2 && len <= MAX_WORD && len < chars.length) {
      out.add(`${prefix}w:${chars.slice(start, i).join('')}`);
    }
    start = i;
  }
}
