// Graymail: mail the recipient once asked for but may not want now - newsletters, marketing,
// social network notifications. Detected from the headers bulk senders must or do write
// (List-Unsubscribe, Precedence: bulk, their ESP's tracking headers) and from the senders of
// social networks. Never a spam verdict: it has its own policy rule, and mail from the
// exception IPs/CIDRs is never graymail. Discussion lists (List-Post) are conversations, not
// graymail.
import type { Facts } from '../scan/facts.js';
import { matchIp, type ListEntry } from '../sender/lists.js';
import { addressDomain, registrableDomain } from './domains.js';
import type { SpamSettings } from './spam-settings.js';

export type GraymailCategory = 'newsletter' | 'marketing' | 'social';

export interface GraymailVerdict {
  graymail: boolean;
  /** Set when graymail is true. */
  category?: GraymailCategory;
  reasons: string[];
}

/** Registrable domains social networks send their notifications from. */
const SOCIAL_DOMAINS = new Set([
  'facebookmail.com',
  'facebook.com',
  'instagram.com',
  'linkedin.com',
  'twitter.com',
  'x.com',
  'pinterest.com',
  'tiktok.com',
  'youtube.com',
  'tumblr.com',
  'reddit.com',
  'redditmail.com',
  'quora.com',
  'meetup.com',
  'nextdoor.com',
  'line.me',
  'mixi.jp',
  'ameba.jp',
  'threads.net',
]);

/** Notification headers of social networks. */
const SOCIAL_HEADERS =
  /^x-(?:facebook|fb|linkedin|twitter|instagram|pinterest|tiktok|youtube|quora|meetup)[-_]/;

/** Headers that e-mail service providers add to campaigns. */
const ESP_HEADERS: [RegExp, string][] = [
  [/^x-mailchimp|^x-mc-user$/, 'Mailchimp'],
  [/^x-sg-eid$|^x-sg-id$/, 'SendGrid'],
  [/^x-campaign|^x-campaignid$|^x-campaign-id$/, 'campaign header'],
  [/^x-mailin-campaign$|^x-sib-id$/, 'Brevo'],
  [/^x-mailgun-/, 'Mailgun'],
  [/^x-sfmc-stack$|^x-job$/, 'Salesforce Marketing Cloud'],
  [/^x-marketoid$|^x-mkto/, 'Marketo'],
  [/^x-rpcampaign$/, 'campaign header'],
  [/^x-listmember$|^x-list-unsubscribe-id$/, 'list manager'],
  [/^x-csa-complaints$/, 'CSA certified sender'],
  [/^x-emarsys|^x-hubspot|^x-klaviyo|^x-constantcontact|^x-cmae-|^x-benchmark/, 'marketing platform'],
  [/^x-bme-id$|^x-bulkmail$|^x-mailer-sid$/, 'bulk mailer'],
];

const ESP_MAILERS =
  /mailchimp|sendgrid|constant ?contact|campaign ?monitor|benchmark|hubspot|marketo|blastmail|acemail|配配メール|クラウドメール/i;

const UNSUBSCRIBE_TEXT = /unsubscribe|opt[- ]?out|配信停止|配信解除|登録解除|メルマガの解除/i;

// The list entries are made once per settings object, so matchIp's own compiled cache holds.
const entries = new WeakMap<readonly string[], ListEntry[]>();
function exceptionList(list: readonly string[]): ListEntry[] {
  let e = entries.get(list);
  if (!e) entries.set(list, (e = list.map((entry) => ({ entry }))));
  return e;
}

export function detectGraymail(facts: Facts, settings: SpamSettings['graymail']): GraymailVerdict {
  const none: GraymailVerdict = { graymail: false, reasons: [] };
  if (!settings.enabled) return none;
  if (matchIp(exceptionList(settings.exceptions), facts.envelope.clientIp)) {
    return {
      graymail: false,
      reasons: [`client ${facts.envelope.clientIp} is on the graymail exception list`],
    };
  }
  const header = (name: string) => facts.headers.find((h) => h.name === name)?.value;
  const names = new Set(facts.headers.map((h) => h.name));

  const social: string[] = [];
  const fromDomain = registrableDomain(addressDomain(facts.from[0]?.address ?? ''));
  if (SOCIAL_DOMAINS.has(fromDomain)) social.push(`from ${fromDomain}`);
  for (const n of names) if (SOCIAL_HEADERS.test(n)) social.push(`header ${n}`);
  if (social.length > 0) return { graymail: true, category: 'social', reasons: social };

  const marketing: string[] = [];
  for (const n of names) {
    const esp = ESP_HEADERS.find(([re]) => re.test(n));
    if (esp) marketing.push(`${esp[1]} (${n})`);
  }
  const mailer = header('x-mailer') ?? header('user-agent');
  if (mailer && ESP_MAILERS.test(mailer)) marketing.push(`mailer ${mailer.slice(0, 40)}`);

  const listPost = header('list-post');
  const discussion = listPost !== undefined && !/^\s*no\b/i.test(listPost);
  const newsletter: string[] = [];
  if (names.has('list-unsubscribe')) newsletter.push('List-Unsubscribe');
  if (names.has('list-id') && !discussion) newsletter.push('List-Id');
  const precedence = header('precedence')?.trim().toLowerCase();
  if (precedence === 'bulk') newsletter.push('Precedence: bulk');
  if (names.has('feedback-id') || names.has('x-feedback-id')) newsletter.push('Feedback-ID');

  if (marketing.length > 0)
    return { graymail: true, category: 'marketing', reasons: [...marketing, ...newsletter] };
  // A discussion list with List-Unsubscribe (Mailman adds it) is still a conversation.
  if (newsletter.length > 0 && !discussion)
    return { graymail: true, category: 'newsletter', reasons: newsletter };

  // No bulk headers: an HTML mail with an unsubscribe link that answers nobody.
  const reply = names.has('in-reply-to') || names.has('references');
  if (
    !reply &&
    !discussion &&
    facts.html !== '' &&
    UNSUBSCRIBE_TEXT.test(`${facts.htmlText}\n${facts.textBody}`)
  ) {
    return { graymail: true, category: 'marketing', reasons: ['HTML with an unsubscribe link'] };
  }
  return none;
}
