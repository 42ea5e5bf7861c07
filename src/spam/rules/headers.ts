// Header heuristics: what a real mail program always writes (Date, Message-ID, From) and what a
// real relay chain looks like. Dates are compared with the newest Received header, not the
// clock, so a message is judged the same whenever it is rescanned.
import type { Facts } from '../../scan/facts.js';
import { addressDomain, FREEMAIL_PROVIDERS, registrableDomain } from '../domains.js';
import type { RuleHit } from './scores.js';

const HOUR = 3_600_000;

function parseDate(text: string): number | undefined {
  // Comments such as "(PDT)" and a weekday are optional in RFC 5322; Date.parse reads the rest.
  const t = Date.parse(text.replace(/\([^)]*\)/g, ' ').trim());
  return Number.isNaN(t) ? undefined : t;
}

/** Time the newest Received header gives (after its last ";"). */
function receivedTime(facts: Facts): number | undefined {
  const top = facts.headers.find((h) => h.name === 'received')?.value;
  if (!top) return undefined;
  const semi = top.lastIndexOf(';');
  return semi === -1 ? undefined : parseDate(top.slice(semi + 1));
}

function dateRules(facts: Facts, hits: RuleHit[]): void {
  const dates = facts.headers.filter((h) => h.name === 'date');
  if (dates.length === 0) {
    hits.push({ rule: 'MISSING_DATE', detail: 'no Date header' });
    return;
  }
  const value = (dates[0] as { value: string }).value;
  const date = parseDate(value);
  if (date === undefined) {
    hits.push({ rule: 'INVALID_DATE', detail: `Date: ${value.slice(0, 60)}` });
    return;
  }
  const received = receivedTime(facts);
  if (received === undefined) return;
  const ahead = (date - received) / HOUR;
  if (ahead > 12)
    hits.push({ rule: 'DATE_IN_FUTURE', detail: `Date is ${Math.round(ahead)} h after receipt` });
  else if (ahead < -96)
    hits.push({ rule: 'DATE_IN_PAST', detail: `Date is ${Math.round(-ahead / 24)} days before receipt` });
}

function idRules(facts: Facts, hits: RuleHit[]): void {
  const id = facts.messageId;
  if (id === undefined || id.trim() === '')
    hits.push({ rule: 'MISSING_MID', detail: 'no Message-ID header' });
  else if (!/^<[^<>@\s]+@[^<>@\s]+>$/.test(id.trim()))
    hits.push({ rule: 'INVALID_MID', detail: `Message-ID: ${id.slice(0, 60)}` });
}

function fromRules(facts: Facts, hits: RuleHit[]): void {
  const fromHeaders = facts.headers.filter((h) => h.name === 'from').length;
  if (facts.from.length === 0 || !facts.from.some((a) => a.address.includes('@'))) {
    hits.push({ rule: 'MISSING_FROM', detail: 'no From address' });
  } else if (fromHeaders > 1 || facts.from.length > 1) {
    hits.push({
      rule: 'MULTIPLE_FROM',
      detail: `${facts.from.length} From addresses in ${fromHeaders} headers`,
    });
  }
  if (!facts.headers.some((h) => h.name === 'subject'))
    hits.push({ rule: 'MISSING_SUBJECT', detail: 'no Subject header' });
  const from = facts.from[0];
  if (!from) return;
  // Addresses made up per message ("corn427@", "20143p85@"); people rarely pick three digits.
  const local = from.address.split('@')[0] ?? '';
  if (/\d{3,}/.test(local)) hits.push({ rule: 'FROM_LOCAL_DIGITS', detail: `From ${from.address}` });
  // "support@bank.example" <x@elsewhere.test>: the reader sees the display name.
  const shown = /[a-z0-9._%+-]+@([a-z0-9-]+(?:\.[a-z0-9-]+)+)/i.exec(from.name)?.[1];
  const real = addressDomain(from.address);
  if (shown && real && registrableDomain(shown) !== registrableDomain(real)) {
    hits.push({ rule: 'FROM_NAME_HAS_OTHER_ADDR', detail: `name shows ${shown}, address is at ${real}` });
  }
  const providers = FREEMAIL_PROVIDERS[real];
  if (providers) {
    const received = facts.headers.filter((h) => h.name === 'received').map((h) => h.value.toLowerCase());
    if (received.length > 0 && !received.some((r) => providers.some((p) => r.includes(p)))) {
      hits.push({ rule: 'FORGED_FREEMAIL_RCVD', detail: `From ${real}, not received from its servers` });
    }
  }
}

const RCVD_FROM_RE = /^from\s+(\S+)\s+\(([^)]*)\)/i;

function receivedRules(facts: Facts, hits: RuleHit[]): void {
  let mismatch = false;
  let numeric = false;
  for (const h of facts.headers) {
    if (h.name !== 'received') continue;
    const m = RCVD_FROM_RE.exec(h.value.trim());
    if (!m) continue;
    const helo = (m[1] as string).toLowerCase();
    const ip = /\[(\d{1,3}(?:\.\d{1,3}){3})\]/.exec(m[2] as string)?.[1];
    const heloIp = /^\[?(\d{1,3}(?:\.\d{1,3}){3})\]?$/.exec(helo)?.[1];
    if (heloIp && ip && heloIp !== ip && !ip.startsWith('127.')) mismatch = true;
    if (heloIp && !helo.startsWith('[')) numeric = true;
  }
  if (mismatch) hits.push({ rule: 'RCVD_HELO_IP_MISMATCH', detail: 'HELO names another IP than the client' });
  if (numeric) hits.push({ rule: 'RCVD_NUMERIC_HELO', detail: 'HELO with a bare IP address' });
}

/** A mailer name that is a random string ("fNthRC4yresSVXVvrmumpAEY"), not a product. */
function mailerRules(facts: Facts, hits: RuleHit[]): void {
  const mailer = facts.headers.find((h) => h.name === 'x-mailer')?.value.trim();
  if (mailer && /^[A-Za-z0-9]{12,}$/.test(mailer) && /[A-Z]/.test(mailer) && /[a-z]/.test(mailer))
    hits.push({ rule: 'X_MAILER_RANDOM', detail: `X-Mailer: ${mailer.slice(0, 40)}` });
}

export function headerRules(facts: Facts): RuleHit[] {
  const hits: RuleHit[] = [];
  mailerRules(facts, hits);
  dateRules(facts, hits);
  idRules(facts, hits);
  fromRules(facts, hits);
  receivedRules(facts, hits);
  return hits;
}
