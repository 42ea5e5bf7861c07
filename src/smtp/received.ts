// The trace header Sekimori prepends to every message it receives (RFC 5321 §4.4).
import net from 'node:net';

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (n: number) => (n < 10 ? `0${n}` : String(n));

/** RFC 5322 date-time in UTC, e.g. "Tue, 07 Jan 2025 09:05:03 +0000". */
export function rfc5322Date(d: Date): string {
  return (
    `${DAYS[d.getUTCDay()]}, ${two(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ` +
    `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0000`
  );
}

export interface ReceivedInfo {
  /** HELO/EHLO argument. */
  helo: string;
  /** Reverse DNS name when known. */
  clientHostname?: string;
  ip: string;
  /** Our host name. */
  by: string;
  /** Protocol keyword: SMTP, ESMTP, ESMTPS, UTF8SMTP, UTF8SMTPS. */
  protocol: string;
  id: string;
  /** The recipient, when the message has exactly one. */
  for?: string;
  date: Date;
}

/** Protocol keyword for the "with" clause (RFC 3848, RFC 6531 §3.7.3). */
export function protocolName(ehlo: boolean, tls: boolean, smtputf8: boolean): string {
  const base = smtputf8 ? 'UTF8SMTP' : ehlo ? 'ESMTP' : 'SMTP';
  return tls ? `${base}S` : base;
}

export function receivedHeader(r: ReceivedInfo): Buffer {
  const literal = net.isIPv6(r.ip) ? `[IPv6:${r.ip}]` : `[${r.ip}]`;
  const tcpInfo = r.clientHostname ? `${r.clientHostname} ${literal}` : literal;
  const forClause = r.for ? `\r\n\tfor <${r.for}>` : '';
  const text =
    `Received: from ${r.helo || 'unknown'} (${tcpInfo})\r\n` +
    `\tby ${r.by} (Sekimori) with ${r.protocol} id ${r.id}${forClause}; ${rfc5322Date(r.date)}\r\n`;
  return Buffer.from(text, 'utf8');
}
