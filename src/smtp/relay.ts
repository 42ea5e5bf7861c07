// Relay control: may this recipient be taken from this client? Pure, so every address trick
// is unit-tested without a socket.
//
// Rules (SPEC §2, §12):
// - the recipient's domain is an accepted domain (exact, or "*.example.com" for its
//   subdomains; case-insensitive, trailing dot ignored) -> accepted; when the domain lists
//   recipients, unknown local parts get 550 5.1.1;
// - the client is in a trusted network -> any domain may be relayed;
// - anything else -> 554 5.7.1 relay denied.
// Decision (documented): from untrusted clients, local parts that carry sender-specified
// routing (%, !, @) or any quoted local part are refused with 554 5.7.1, even for accepted
// domains: a next hop that honours the "percent hack" or UUCP bang paths would otherwise relay
// for us. IP literals are never an accepted domain. Addresses with more than one unquoted "@"
// or no domain are syntax errors (501 5.1.3) for everyone.
import type { DomainSettings } from '../config/settings.js';
import { parseAddress, stripPath } from './address.js';

export interface RelayContext {
  /** Client inside settings.trustedNetworks. */
  trusted: boolean;
  domains: readonly DomainSettings[];
}

export type RecipientDecision =
  | { accept: true; address: string; local: boolean }
  | { accept: false; code: number; status: string; text: string };

interface DomainIndex {
  exact: Map<string, DomainSettings>;
  /** "*.example.com" is stored under "example.com". */
  wildcard: Map<string, DomainSettings>;
  recipients: Map<DomainSettings, Set<string>>;
  /** First non-wildcard domain: where a bare "postmaster" goes. */
  primary?: string;
}

const indexes = new WeakMap<readonly DomainSettings[], DomainIndex>();

function indexOf(domains: readonly DomainSettings[]): DomainIndex {
  let idx = indexes.get(domains);
  if (!idx) {
    idx = { exact: new Map(), wildcard: new Map(), recipients: new Map() };
    for (const d of domains) {
      const name = d.name.toLowerCase().replace(/\.$/, '');
      if (name.startsWith('*.')) idx.wildcard.set(name.slice(2), d);
      else {
        idx.exact.set(name, d);
        idx.primary ??= name;
      }
      idx.recipients.set(d, new Set(d.recipients.map((r) => r.toLowerCase())));
    }
    indexes.set(domains, idx);
  }
  return idx;
}

/** The accepted-domain entry for a normalised domain, if any. Exact names win over wildcards. */
export function findAcceptedDomain(
  domain: string,
  domains: readonly DomainSettings[],
): DomainSettings | undefined {
  if (!domain || domain.startsWith('[')) return undefined;
  const idx = indexOf(domains);
  const exact = idx.exact.get(domain);
  if (exact) return exact;
  for (let dot = domain.indexOf('.'); dot >= 0; dot = domain.indexOf('.', dot + 1)) {
    const hit = idx.wildcard.get(domain.slice(dot + 1));
    if (hit) return hit;
  }
  return undefined;
}

/** Recipient list entries are full addresses ("alice@example.com") or local parts ("alice"). */
function isKnownRecipient(d: DomainSettings, local: string, domain: string, idx: DomainIndex): boolean {
  const set = idx.recipients.get(d);
  if (!set || set.size === 0) return true;
  const l = local.toLowerCase();
  return set.has(`${l}@${domain}`) || set.has(l);
}

const deny = (code: number, status: string, text: string): RecipientDecision => ({
  accept: false,
  code,
  status,
  text,
});

/** Judges one RCPT TO address (as the client wrote it, brackets optional). */
export function checkRecipient(raw: string, ctx: RelayContext): RecipientDecision {
  const shown = `<${stripPath(raw)}>`;
  const parsed = parseAddress(raw);
  if (!parsed.ok) return deny(501, '5.1.3', `${shown}: bad recipient address syntax (${parsed.reason})`);
  const a = parsed.value;
  const idx = indexOf(ctx.domains);

  if (a.domain === '') {
    // Bare postmaster: the postmaster of the first accepted domain.
    if (!idx.primary) return deny(550, '5.1.1', `${shown}: recipient unknown`);
    const d = idx.exact.get(idx.primary);
    if (d && !isKnownRecipient(d, a.local, idx.primary, idx)) {
      return deny(550, '5.1.1', `${shown}: recipient unknown`);
    }
    return { accept: true, address: `${a.local}@${idx.primary}`, local: true };
  }

  if (!ctx.trusted && (a.quoted || /[%!@]/.test(a.local))) {
    return deny(
      554,
      '5.7.1',
      `${shown}: relay denied (%, !, @ or quotes in the local part are not accepted from your network)`,
    );
  }
  const accepted = findAcceptedDomain(a.domain, ctx.domains);
  if (accepted) {
    if (!isKnownRecipient(accepted, a.local, a.domain, idx))
      return deny(550, '5.1.1', `${shown}: recipient unknown`);
    return { accept: true, address: a.address, local: true };
  }
  if (ctx.trusted) return { accept: true, address: a.address, local: false };
  return deny(554, '5.7.1', `${shown}: relay denied`);
}

export type SenderDecision =
  { accept: true; address: string } | { accept: false; code: number; status: string; text: string };

/** Checks MAIL FROM syntax and normalises it; "" is the null sender of bounces. */
export function checkSender(raw: string): SenderDecision {
  const bare = stripPath(raw);
  if (bare === '') return { accept: true, address: '' };
  const parsed = parseAddress(bare);
  if (!parsed.ok || parsed.value.domain === '') {
    const reason = parsed.ok ? 'domain missing' : parsed.reason;
    return {
      accept: false,
      code: 501,
      status: '5.1.7',
      text: `<${bare}>: bad sender address syntax (${reason})`,
    };
  }
  return { accept: true, address: parsed.value.address };
}
