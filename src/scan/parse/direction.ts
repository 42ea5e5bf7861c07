// Direction of a message from the envelope: whether the sender and each recipient belong to the
// accepted domains ("example.com" exactly, "*.example.com" for its subdomains).
import type { Direction } from '../facts.js';

/** Lower-case domain of an address ("" for the null sender or a bare local part). */
export function domainOf(address: string): string {
  const a = address.trim().replace(/^<|>$/g, '');
  const at = a.lastIndexOf('@');
  if (at === -1) return '';
  return a
    .slice(at + 1)
    .toLowerCase()
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '');
}

export function isAcceptedDomain(domain: string, acceptedDomains: string[]): boolean {
  if (domain === '') return false;
  for (const raw of acceptedDomains) {
    const d = raw.toLowerCase().replace(/\.$/, '');
    if (d.startsWith('*.')) {
      if (domain.endsWith(d.slice(1))) return true;
    } else if (domain === d) return true;
  }
  return false;
}

/** Direction for one recipient: the policy engine chooses rules per recipient with it. */
export function directionFor(sender: string, recipient: string, acceptedDomains: string[]): Direction {
  if (!isAcceptedDomain(domainOf(sender), acceptedDomains)) return 'inbound';
  return isAcceptedDomain(domainOf(recipient), acceptedDomains) ? 'internal' : 'outbound';
}

/** Direction of the whole message: outbound as soon as an internal sender writes outside. */
export function messageDirection(sender: string, recipients: string[], acceptedDomains: string[]): Direction {
  if (!isAcceptedDomain(domainOf(sender), acceptedDomains)) return 'inbound';
  return recipients.every((r) => isAcceptedDomain(domainOf(r), acceptedDomains)) ? 'internal' : 'outbound';
}
