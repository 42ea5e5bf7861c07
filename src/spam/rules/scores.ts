// Every built-in rule with its default score and what it means. Administrators can change a
// score with spam.ruleScores (0 turns a rule off). The scores were set on the SpamAssassin
// public corpus (bench/eval-spam.ts prints how often each rule fires on ham and on spam): a
// rule that fires on legitimate mail gets little weight however often it fires on spam.
export const RULES = {
  GTUBE: { score: 1000, description: 'the GTUBE anti-spam test string' },
  DKIM_ENFORCED: {
    score: 100,
    description: 'sender domain on the DKIM enforcement list without a valid signature',
  },

  MISSING_DATE: { score: 1.0, description: 'no Date header' },
  INVALID_DATE: { score: 2.0, description: 'Date header that cannot be read' },
  DATE_IN_FUTURE: { score: 2.0, description: 'Date more than 12 hours after the message was received' },
  DATE_IN_PAST: { score: 1.5, description: 'Date more than 4 days before the message was received' },
  MISSING_MID: { score: 1.0, description: 'no Message-ID header' },
  INVALID_MID: { score: 1.5, description: 'Message-ID not in the form <id@domain>' },
  MISSING_FROM: { score: 1.5, description: 'no From address' },
  MULTIPLE_FROM: { score: 2.0, description: 'several From headers or addresses' },
  MISSING_SUBJECT: { score: 0.5, description: 'no Subject header' },
  FORGED_FREEMAIL_RCVD: {
    score: 2.0,
    description: 'From a free mail provider that no Received header mentions',
  },
  RCVD_HELO_IP_MISMATCH: {
    score: 1.0,
    description: 'a Received header whose HELO is an IP other than the connecting one',
  },
  RCVD_NUMERIC_HELO: { score: 0.5, description: 'a relay greeted with a bare IP address' },
  FROM_LOCAL_DIGITS: { score: 1.0, description: 'the From address has three or more digits in a row' },
  X_MAILER_RANDOM: { score: 1.5, description: 'an X-Mailer header that is a random string' },
  FROM_NAME_HAS_OTHER_ADDR: {
    score: 2.0,
    description: 'the From display name shows another domain than the address',
  },

  BODY_ALL_CAPS: { score: 2.0, description: 'a body written mostly in capitals' },
  ADVANCE_FEE: { score: 2.5, description: 'several phrases of advance-fee ("419") fraud' },
  SPAM_DISCLAIMER: {
    score: 2.0,
    description: '"this is not spam", "to be removed reply…": bulk mailer boilerplate',
  },
  HTML_ONLY: { score: 1.0, description: 'HTML without a plain-text alternative' },
  IMAGE_ONLY: { score: 2.0, description: 'images with almost no text' },
  SUBJECT_ALL_CAPS: { score: 1.5, description: 'subject written in capitals' },
  SUBJECT_RANDOM_TAG: { score: 1.0, description: 'a random tag at the end of the subject' },
  SUBJECT_EXCLAIM: { score: 1.5, description: 'several exclamation marks in the subject' },
  BODY_EXCLAIM: { score: 1.0, description: 'runs of exclamation marks in the body' },
  JA_UNSOLICITED_AD: { score: 3.0, description: 'subject marked 未承諾広告 (unsolicited advertisement)' },
  JA_SPAM_PHRASES: { score: 1.0, description: 'several phrases typical of Japanese spam' },
  JA_SPAM_PHRASES_MANY: { score: 2.0, description: 'many phrases typical of Japanese spam' },
  JA_HALFWIDTH_KANA_SUBJECT: { score: 1.0, description: 'half-width katakana in the subject' },

  URL_IP_HOST: { score: 2.0, description: 'a link to a bare IP address' },
  URL_SHORTENER: { score: 0.5, description: 'a link through a URL shortener' },
  URL_ANCHOR_MISMATCH: { score: 1.0, description: 'link text showing another domain than the link goes to' },
  URL_USERINFO: {
    score: 2.0,
    description: 'a link with user@ before the host (http://bank.example@evil.test)',
  },

  SPF_FAIL: { score: 1.0, description: 'SPF fail' },
  SPF_SOFTFAIL: { score: 0.5, description: 'SPF softfail' },
  SPF_PASS: { score: -0.1, description: 'SPF pass' },
  DKIM_INVALID: { score: 1.0, description: 'a DKIM signature that does not verify, and none that does' },
  DKIM_VALID: { score: -0.1, description: 'a valid DKIM signature' },
  DMARC_FAIL_REJECT: { score: 3.0, description: 'DMARC fail, domain policy reject' },
  DMARC_FAIL_QUARANTINE: { score: 2.0, description: 'DMARC fail, domain policy quarantine' },
  DMARC_FAIL_NONE: { score: 1.0, description: 'DMARC fail, domain policy none' },
  AUTH_SUSPICIOUS: {
    score: 1.5,
    description: 'authentication headers that cannot be trusted (several From, forged results)',
  },
  DMARC_PASS: { score: -0.5, description: 'DMARC pass' },

  BAYES_00: { score: -2.0, description: 'Bayesian spam probability under 1 %' },
  BAYES_05: { score: -0.5, description: 'Bayesian spam probability 1–5 %' },
  BAYES_20: { score: -0.1, description: 'Bayesian spam probability 5–20 %' },
  BAYES_50: { score: 0, description: 'Bayesian spam probability 20–80 %' },
  BAYES_80: { score: 1.5, description: 'Bayesian spam probability 80–95 %' },
  BAYES_95: { score: 4.0, description: 'Bayesian spam probability 95–99 %' },
  BAYES_99: { score: 4.5, description: 'Bayesian spam probability 99–99.9 %' },
  BAYES_999: { score: 5.0, description: 'Bayesian spam probability 99.9 % or more' },
  TEXT_MODEL: {
    score: 0.6,
    description: 'the text model’s log-odds of spam; this score is points per unit, within −4 and +6',
  },
} as const satisfies Record<string, { score: number; description: string }>;

export type RuleName = keyof typeof RULES;

/** A rule that fired and why. */
export interface RuleHit {
  rule: RuleName;
  detail: string;
}
