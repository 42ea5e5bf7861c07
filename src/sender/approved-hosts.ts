// Approved-list domains with "resolve: true" approve the IPs of the domain's A/AAAA records and
// of its MX hosts (SPEC §12): approving by sender domain alone would let anyone forge it.
// Resolved in the background on a schedule; the hot path reads a set.
import { Resolver } from 'node:dns/promises';
import type { Logger } from '../util/log.js';
import { parseIp } from './lists.js';
import type { ApprovedEntry } from './sender-settings.js';

export class ApprovedHosts {
  /** Normalised IP -> the domain entry that approved it. */
  private ips = new Map<string, string>();
  private entries: readonly ApprovedEntry[] | undefined;
  private resolvedAt = 0;
  private running = false;

  constructor(
    private readonly log: Logger,
    private readonly resolvers: () => string[],
  ) {}

  /** The domain entry approving this IP, if any; schedules a refresh when due. */
  match(ip: string, entries: readonly ApprovedEntry[], intervalMs: number): string | undefined {
    if (entries !== this.entries || Date.now() - this.resolvedAt > intervalMs) {
      this.refresh(entries).catch((err: unknown) =>
        this.log.warn({ err }, 'cannot resolve the approved domains; keeping the addresses known so far'),
      );
    }
    if (this.ips.size === 0) return undefined;
    const a = parseIp(ip);
    return a ? this.ips.get(a.toNormalizedString()) : undefined;
  }

  async refresh(entries: readonly ApprovedEntry[]): Promise<void> {
    if (this.running && entries === this.entries) return;
    this.entries = entries;
    this.resolvedAt = Date.now();
    const domains = entries.filter((e) => e.resolve).map((e) => e.entry.toLowerCase());
    if (domains.length === 0) {
      this.ips = new Map();
      return;
    }
    this.running = true;
    try {
      const resolver = new Resolver({ timeout: 3000, tries: 2 });
      const servers = this.resolvers();
      if (servers.length > 0) resolver.setServers(servers);
      const next = new Map<string, string>();
      for (const domain of domains) {
        for (const ip of await this.addressesOf(resolver, domain)) next.set(ip, domain);
      }
      // Settings may have changed while we resolved; the newer refresh wins.
      if (entries === this.entries) this.ips = next;
    } finally {
      this.running = false;
    }
  }

  private async addressesOf(resolver: Resolver, domain: string): Promise<string[]> {
    const hosts = [domain];
    try {
      for (const mx of await resolver.resolveMx(domain)) hosts.push(mx.exchange);
    } catch {
      // No MX is normal for a host name.
    }
    const out: string[] = [];
    for (const host of hosts) {
      for (const lookup of [resolver.resolve4.bind(resolver), resolver.resolve6.bind(resolver)]) {
        try {
          for (const ip of await lookup(host)) {
            const a = parseIp(ip);
            if (a) out.push(a.toNormalizedString());
          }
        } catch {
          // NXDOMAIN or no record of this family.
        }
      }
    }
    if (out.length === 0) this.log.warn({ domain }, 'approved domain resolves to no address');
    return out;
  }
}
