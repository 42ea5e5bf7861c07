// Host names, "host:port" pairs and IP addresses as they appear in settings.
import ipaddr from 'ipaddr.js';

export const DOMAIN_RE =
  /^(\*\.)?(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i;

/** "host", "host:port", "[v6]:port" or "v6" — a next hop or smart host. */
export function parseHostPort(text: string): { host: string; port: number } | undefined {
  const t = text.trim();
  let m = /^\[([0-9a-f:.]+)\](?::(\d{1,5}))?$/i.exec(t);
  if (m && ipaddr.IPv6.isValid(m[1] ?? '')) return { host: m[1] ?? '', port: Number(m[2] ?? 25) };
  if (ipaddr.IPv6.isValid(t) && t.includes(':')) return { host: t, port: 25 };
  m = /^([^:\s[\]]+)(?::(\d{1,5}))?$/.exec(t);
  if (!m) return undefined;
  const host = m[1] ?? '';
  const port = Number(m[2] ?? 25);
  if (port < 1 || port > 65535) return undefined;
  if (!ipaddr.IPv4.isValid(host) && !DOMAIN_RE.test(host)) return undefined;
  return { host: host.toLowerCase(), port };
}

export function isIpWithPort(text: string): boolean {
  const hp = parseHostPort(text);
  return hp !== undefined && ipaddr.isValid(hp.host);
}
