// Sends mail with swaks, a real SMTP client, as an administrator would test a gateway.
import { execFile } from 'node:child_process';

export interface SwaksResult {
  code: number;
  output: string;
  /** The queue ID from "250 … queued as ID", when the message was accepted. */
  queueId?: string;
}

export interface SwaksOptions {
  server: string; // host:port
  from: string;
  to: string | string[];
  subject?: string;
  body?: string;
  headers?: string[];
  localAddress?: string;
  tls?: boolean;
  extra?: string[];
}

export function swaks(o: SwaksOptions): Promise<SwaksResult> {
  const to = Array.isArray(o.to) ? o.to.join(',') : o.to;
  const args = [
    '--server',
    o.server,
    '--from',
    o.from,
    '--to',
    to,
    '--hide-informational',
    '--timeout',
    '30',
  ];
  if (o.subject !== undefined) args.push('--header', `Subject: ${o.subject}`);
  for (const h of o.headers ?? []) args.push('--add-header', h);
  if (o.body !== undefined) args.push('--body', o.body);
  if (o.localAddress) args.push('--local-interface', o.localAddress);
  if (o.tls) args.push('--tls');
  args.push(...(o.extra ?? []));
  return new Promise((resolve) => {
    execFile('swaks', args, { timeout: 60_000 }, (err, stdout, stderr) => {
      const output = stdout + stderr;
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      const m = /queued as ([0-9A-Z]+)/.exec(output);
      resolve({ code, output, queueId: m?.[1] });
    });
  });
}
