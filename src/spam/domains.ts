// Host names as the spam and social-engineering checks compare them. No public-suffix list is
// shipped: the registrable domain is guessed from the common two-level suffixes (co.jp,
// co.uk…), which is right for the domains these checks meet and harmless when it is not.
import { domainToASCII } from 'node:url';

const SECOND_LEVEL = new Set([
  'co',
  'or',
  'ne',
  'ac',
  'ad',
  'ed',
  'go',
  'gr',
  'lg',
  'com',
  'net',
  'org',
  'gov',
  'edu',
  'ltd',
  'plc',
  'gob',
  'nic',
]);

/** Lower-case host of a URL ("" when it has none), without user info and port. */
export function urlHost(url: string): string {
  const m = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)/i.exec(url);
  if (!m) return '';
  let host = (m[1] as string).toLowerCase();
  host = host.slice(host.lastIndexOf('@') + 1);
  if (host.startsWith('[')) return host.slice(0, host.indexOf(']') + 1);
  return host.replace(/:\d*$/, '').replace(/\.$/, '');
}

/** True for "192.0.2.1", "[2001:db8::1]" and the numeric forms browsers accept (0x7f000001, 3221225985). */
export function isIpHost(host: string): boolean {
  if (host.startsWith('[')) return true;
  if (/^\d{1,3}(?:\.\d{1,3}){3}$/.test(host)) return true;
  if (/^(?:0x[0-9a-f]+|\d+)(?:\.(?:0x[0-9a-f]+|\d+)){0,3}$/i.test(host)) return true;
  return false;
}

/** "mail.example.co.jp" → "example.co.jp"; IP hosts stay as they are. */
export function registrableDomain(host: string): string {
  const h = host.toLowerCase().replace(/\.$/, '');
  if (isIpHost(h)) return h;
  const parts = h.split('.');
  if (parts.length <= 2) return h;
  const sld = parts[parts.length - 2] as string;
  const tld = parts[parts.length - 1] as string;
  const take = tld.length === 2 && SECOND_LEVEL.has(sld) ? 3 : 2;
  return parts.slice(-take).join('.');
}

/** The A-label (punycode) form of a domain, or the input when it is not a valid name. */
export function asciiDomain(domain: string): string {
  const d = domain.toLowerCase().replace(/\.$/, '');
  return domainToASCII(d) || d;
}

/** Domain of an address, lower case ("" when there is none). */
export function addressDomain(address: string): string {
  const at = address.lastIndexOf('@');
  return at === -1
    ? ''
    : address
        .slice(at + 1)
        .toLowerCase()
        .replace(/[>\].]+$/, '')
        .replace(/^\[/, '');
}

/** Link shorteners: the real target is hidden from the reader and from URL blocklists. */
export const URL_SHORTENERS = new Set([
  'bit.ly',
  'bitly.com',
  'tinyurl.com',
  'goo.gl',
  't.co',
  'ow.ly',
  'is.gd',
  'v.gd',
  'buff.ly',
  'rebrand.ly',
  'cutt.ly',
  'shorturl.at',
  'tiny.cc',
  'rb.gy',
  'x.gd',
  't.ly',
  's.id',
  'bl.ink',
  'shorte.st',
  'adf.ly',
  'qr.net',
  'tr.im',
  'u.nu',
  'urx.nu',
  'amzn.to',
]);

/** Free mail providers: their mail always passes their own servers (used for forged Received). */
export const FREEMAIL_PROVIDERS: Record<string, string[]> = {
  'hotmail.com': ['hotmail.com', 'outlook.com', 'msn.com', 'live.com'],
  'msn.com': ['hotmail.com', 'outlook.com', 'msn.com', 'live.com'],
  'outlook.com': ['hotmail.com', 'outlook.com', 'msn.com', 'live.com'],
  'live.com': ['hotmail.com', 'outlook.com', 'msn.com', 'live.com'],
  'yahoo.com': ['yahoo.com', 'yahoo.net', 'yahoodns.net'],
  'yahoo.co.jp': ['yahoo.co.jp', 'yahoo.net'],
  'gmail.com': ['google.com', 'gmail.com'],
  'googlemail.com': ['google.com', 'gmail.com'],
  'aol.com': ['aol.com', 'aol.net', 'mx.aol.com'],
};
