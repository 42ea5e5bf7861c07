// Address patterns in routes and address groups: "user@example.com", "*@example.com",
// "*@*.example.com", a bare domain ("example.com" = anyone there), "*" (anyone, including the
// null sender) and "group:NAME". Matching is case-insensitive and works for internationalised
// addresses: local parts are compared in Unicode NFC lower case, domains as A-labels, so
// "*@例え.jp" matches the envelope form "user@xn--r8jz45g.jp" the SMTP layer stores.
import { domainToASCII } from 'node:url';
import { globRegex } from './regex.js';

export const GROUP_PREFIX = 'group:';
/** The built-in group of addresses in the accepted (internal) domains. */
export const INTERNAL_GROUP = 'internal';

function asciiLabel(label: string): string {
  if (label.includes('*') || /^[\x20-\x7e]*$/.test(label)) return label;
  return domainToASCII(label) || label;
}

function normaliseDomain(domain: string): string {
  return domain.toLowerCase().replace(/\.$/, '').split('.').map(asciiLabel).join('.');
}

/** The canonical form addresses are compared in (also for envelope addresses). */
export function normaliseAddress(address: string): string {
  let a = address.trim().normalize('NFC');
  if (a.startsWith('<') && a.endsWith('>')) a = a.slice(1, -1);
  const at = a.lastIndexOf('@');
  if (at < 0) return a.toLowerCase();
  return `${a.slice(0, at).toLowerCase()}@${normaliseDomain(a.slice(at + 1))}`;
}

/** A pattern in canonical form: bare domains become "*@domain". */
export function normalisePattern(pattern: string): string {
  const p = pattern.trim();
  if (p.toLowerCase().startsWith(GROUP_PREFIX))
    return GROUP_PREFIX + p.slice(GROUP_PREFIX.length).toLowerCase();
  if (p === '*') return '*';
  if (!p.includes('@')) return `*@${normaliseDomain(p)}`;
  return normaliseAddress(p);
}

export function groupName(pattern: string): string | undefined {
  const p = pattern.trim();
  return p.toLowerCase().startsWith(GROUP_PREFIX) ? p.slice(GROUP_PREFIX.length).toLowerCase() : undefined;
}

/** What is wrong with a pattern as an administrator wrote it, or undefined. */
export function addressPatternProblem(pattern: string): string | undefined {
  const p = pattern.trim();
  if (p === '') return 'empty address pattern';
  if (/[\s<>,;]/u.test(p)) return `"${pattern}" is not an address pattern (no spaces, brackets or lists)`;
  const group = groupName(p);
  if (group !== undefined) return group === '' ? 'group: needs a group name' : undefined;
  if (p === '*') return undefined;
  const at = p.lastIndexOf('@');
  const domain = at < 0 ? p : p.slice(at + 1);
  if (at === 0) return `"${pattern}" has no local part (write *@domain)`;
  if (domain === '')
    return `"${pattern}" has no domain (write user@example.com, *@example.com or example.com)`;
  return undefined;
}

/** A compiled set of patterns: exact addresses in a Set (groups of 10,000), wildcards as regexes. */
export class AddressSet {
  private readonly exact = new Map<string, string>();
  private readonly wildcards: { pattern: string; re: RegExp }[] = [];
  private any: string | undefined;

  constructor(patterns: readonly string[]) {
    for (const written of patterns) {
      const p = normalisePattern(written);
      if (p === '*') this.any ??= written;
      else if (p.includes('*')) this.wildcards.push({ pattern: written, re: globRegex(p) });
      else if (!this.exact.has(p)) this.exact.set(p, written);
    }
  }

  /** The pattern (as written) that matches a normalised address, or undefined. */
  match(normalised: string): string | undefined {
    if (this.any !== undefined) return this.any;
    const hit = this.exact.get(normalised);
    if (hit !== undefined) return hit;
    return this.wildcards.find((w) => w.re.test(normalised))?.pattern;
  }
}

/** The built-in "internal" group from accepted domains ("example.com" or "*.example.com"). */
export function internalGroup(acceptedDomains: readonly string[]): AddressSet {
  return new AddressSet(acceptedDomains.map((d) => `*@${d}`));
}

export type GroupResolver = (name: string) => AddressSet | undefined;

/** A route's list of patterns: direct patterns plus group references resolved on use. */
export class AddressMatcher {
  private readonly direct: AddressSet;
  private readonly groups: string[] = [];
  /** No pattern at all: the route does not restrict this side. */
  readonly empty: boolean;

  constructor(patterns: readonly string[]) {
    this.empty = patterns.length === 0;
    const direct: string[] = [];
    for (const p of patterns) {
      const g = groupName(p);
      if (g !== undefined) this.groups.push(g);
      else direct.push(p);
    }
    this.direct = new AddressSet(direct);
  }

  /** Why the address matched ("*@example.com", "group:executives"), or undefined. */
  match(address: string, groups: GroupResolver): string | undefined {
    const hit = this.direct.match(address);
    if (hit !== undefined) return hit;
    for (const g of this.groups) {
      const set = groups(g);
      const inGroup = set?.match(address);
      if (inGroup !== undefined) return `${GROUP_PREFIX}${g} (${inGroup})`;
    }
    return undefined;
  }
}
