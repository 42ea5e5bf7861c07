// Body heuristics: shouting, HTML without text, images instead of text, and the marks of
// Japanese spam (the 未承諾広告 label the 2002 anti-spam law required, the usual come-ons,
// half-width katakana used to dodge filters).
import type { Facts } from '../../scan/facts.js';
import type { RuleHit } from './scores.js';

const IMG_RE = /<img\b/gi;

/** Phrases of Japanese dating, side-job and prize spam. */
const JA_SPAM_PHRASES = [
  '出会い',
  '出会い系',
  '副業',
  '高収入',
  '在宅ワーク',
  '在宅で',
  '完全無料',
  '登録無料',
  '無料登録',
  '即日',
  '即金',
  '人妻',
  'セフレ',
  '当選',
  '今すぐ登録',
  '今すぐクリック',
  '無修正',
  '稼げる',
  '儲かる',
  '日給',
  '月収',
  '裏情報',
  '援助',
  'ポイント付与',
  '限定公開',
  '秘密の',
  '配信停止',
  '未公開株',
  '高額報酬',
  '簡単に稼',
];

const SUBJECT_TAG_RE = /\s{2,}[A-Za-z]{2,8}\s*$|\s-[a-z]{5,}\s*$/;

function textRules(facts: Facts, hits: RuleHit[]): void {
  const subject = facts.subject;
  const letters = subject.replace(/[^A-Za-z]/g, '');
  if (letters.length >= 8 && letters === letters.toUpperCase()) {
    hits.push({ rule: 'SUBJECT_ALL_CAPS', detail: `subject "${subject.slice(0, 60)}"` });
  }
  // Bulk mailers end subjects with a random tag so that no two copies are alike ("Free!  ufhvv",
  // "… it's FREE! -pkqolhil"). Only the end is read: a long run of spaces costs no more.
  const tag = SUBJECT_TAG_RE.exec(subject.slice(-80))?.[0];
  if (tag) hits.push({ rule: 'SUBJECT_RANDOM_TAG', detail: `subject ends with "${tag.trim()}"` });
  const bangs = (subject.match(/[!！]/g) ?? []).length;
  if (bangs >= 2) hits.push({ rule: 'SUBJECT_EXCLAIM', detail: `${bangs} exclamation marks in the subject` });
  const body = `${facts.textBody}\n${facts.htmlText}`;
  const runs = (body.match(/[!！]{3,}/g) ?? []).length;
  if (runs >= 2) hits.push({ rule: 'BODY_EXCLAIM', detail: `${runs} runs of "!!!" in the body` });
}

// Advance-fee ("419") fraud: the story of a fortune to move abroad for a share.
const ADVANCE_FEE = [
  /next of kin/i,
  /foreign (?:bank )?account/i,
  /strict(?:est)? confidence|utmost confidentiality|absolute confidentiality/i,
  /transfer (?:of )?(?:the|this) (?:sum|fund|money|amount)/i,
  /\b(?:million|m) (?:united states |us )?dollars|us\$ ?\d/i,
  /\blate (?:father|husband|client|uncle)/i,
  /\bbeneficiary\b/i,
  /security (?:company|firm|vault)/i,
  /\b\d{1,2}(?:\.\d)? ?% (?:of the (?:total )?(?:sum|fund|amount|money))/i,
  /\b(?:barrister|solicitor|diplomat)\b/i,
];

// What 1990s-2000s bulk mailers wrote to look legal, which legitimate senders never needed.
const SPAM_DISCLAIMER =
  /this (?:e-?mail|message|mailing) is not (?:spam|unsolicited)|not an unsolicited|\bs\.? ?1618\b|to be removed(?: from (?:our|this|future) (?:mailing )?list)?,? (?:please )?(?:reply|send|click|e-?mail|go|visit)|reply with (?:the word )?"?remove"?|mailto:[^\s"'<>]*\?subject=remove|one[- ]time (?:mailing|e-?mail)/i;

function scamRules(facts: Facts, hits: RuleHit[]): void {
  const body = `${facts.textBody}\n${facts.htmlText}`.slice(0, 200_000);
  const letters = body.replace(/[^A-Za-z]/g, '');
  const upper = letters.replace(/[^A-Z]/g, '').length;
  if (letters.length >= 200 && upper / letters.length > 0.6) {
    hits.push({
      rule: 'BODY_ALL_CAPS',
      detail: `${Math.round((100 * upper) / letters.length)} % of the letters are capitals`,
    });
  }
  const fee = ADVANCE_FEE.filter((re) => re.test(body));
  if (fee.length >= 3) hits.push({ rule: 'ADVANCE_FEE', detail: `${fee.length} advance-fee fraud phrases` });
  const disclaimer = SPAM_DISCLAIMER.exec(`${body}\n${facts.html.slice(0, 200_000)}`)?.[0];
  if (disclaimer) hits.push({ rule: 'SPAM_DISCLAIMER', detail: `"${disclaimer.slice(0, 60)}"` });
}

function htmlRules(facts: Facts, hits: RuleHit[]): void {
  if (facts.html === '') return;
  const text = `${facts.textBody}${facts.htmlText}`.replace(/\s+/g, '');
  if (facts.textBody.trim() === '') hits.push({ rule: 'HTML_ONLY', detail: 'no text/plain part' });
  const images =
    (facts.html.match(IMG_RE) ?? []).length + facts.attachments.filter((a) => a.trueType === 'image').length;
  if (images > 0 && text.length < 200) {
    hits.push({ rule: 'IMAGE_ONLY', detail: `${images} images and ${text.length} characters of text` });
  }
}

function japaneseRules(facts: Facts, hits: RuleHit[]): void {
  const subject = facts.subject;
  if (/^\s*[[【(（]?\s*未承諾広告/.test(subject.normalize('NFKC'))) {
    hits.push({ rule: 'JA_UNSOLICITED_AD', detail: `subject "${subject.slice(0, 40)}"` });
  }
  // Half-width katakana (U+FF61–FF9F) are read before NFKC turns them into full-width ones.
  if (/[\uff61-\uff9f]{2,}/.test(subject)) {
    hits.push({ rule: 'JA_HALFWIDTH_KANA_SUBJECT', detail: 'half-width katakana in the subject' });
  }
  const text = `${subject}\n${facts.textBody}\n${facts.htmlText}`.normalize('NFKC').slice(0, 200_000);
  const found = JA_SPAM_PHRASES.filter((p) => text.includes(p));
  if (found.length >= 4) hits.push({ rule: 'JA_SPAM_PHRASES_MANY', detail: found.slice(0, 6).join(', ') });
  else if (found.length >= 2) hits.push({ rule: 'JA_SPAM_PHRASES', detail: found.join(', ') });
}

export function bodyRules(facts: Facts): RuleHit[] {
  const hits: RuleHit[] = [];
  textRules(facts, hits);
  scamRules(facts, hits);
  htmlRules(facts, hits);
  japaneseRules(facts, hits);
  return hits;
}
