// Sends mail with swaks, a real SMTP client, as an administrator would test a gateway.
import { execFile } from 'node:child_process';
import { writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

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

/** Bodies longer than this go through a file: the command line has a size limit. */
const INLINE_BODY_LIMIT = 64 * 1024;

export async function swaks(o: SwaksOptions): Promise<SwaksResult> {
  let bodyFile: string | undefined;
  if (o.body !== undefined && o.body.length > INLINE_BODY_LIMIT) {
    bodyFile = join(tmpdir(), `swaks-body-${randomBytes(6).toString('hex')}`);
    await writeFile(bodyFile, o.body);
  }
  try {
    return await run(o, bodyFile);
  } finally {
    if (bodyFile) await rm(bodyFile, { force: true });
  }
}

function run(o: SwaksOptions, bodyFile: string | undefined): Promise<SwaksResult> {
  const to = Array.isArray(o.to) ? o.to.join(',') : o.to;
  const args = [
    '--server',
    o.server,
    '--from',
    o.from,
    '--to',
    to,
    '--hide-informational',
    '--suppress-data',
    '--timeout',
    '30',
  ];
  if (o.subject !== undefined) args.push('--header', `Subject: ${o.subject}`);
  for (const h of o.headers ?? []) args.push('--add-header', h);
  if (bodyFile) args.push('--body', `@${bodyFile}`);
  else if (o.body !== undefined) args.push('--body', o.body);
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
