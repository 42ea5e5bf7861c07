// Delivery status notifications (RFC 3464): the bounce or delay report sent to the original
// sender, as multipart/report with a human-readable part, the machine-readable status and the
// original message or its headers. Non-ASCII addresses make it an internationalized report
// (RFC 6533: message/global-delivery-status, message/global).
import { randomBytes } from 'node:crypto';
import type { Envelope } from '../queue/types.js';

export interface DsnRecipient {
  address: string;
  action: 'failed' | 'delayed';
  /** Enhanced status code, e.g. "5.1.1". */
  status: string;
  /** With its type, e.g. "smtp; 550 5.1.1 no such user". */
  diagnostic?: string;
  /** The server that answered, "mx.example.com[192.0.2.1]:25" or a plain host name. */
  remoteMta?: string;
  /** ORCPT as received, "rfc822;user@example.com" or the bare address. */
  orcpt?: string;
}

export interface DsnOptions {
  reportingMta: string;
  original: Envelope;
  /** The queued message; its headers are enough when only headers are returned. */
  originalMessage: Buffer;
  recipients: DsnRecipient[];
  arrivalDate: Date;
  now?: Date;
  /** Return only the headers. Default: when RET=HDRS or the message exceeds maxOriginalBytes. */
  headersOnly?: boolean;
  /** Larger originals are returned as headers only (default 100 KB). */
  maxOriginalBytes?: number;
}

const CRLF = '\r\n';
const NON_ASCII = /[\u0080-\uffff]/;
const STATUS_RE = /^[245]\.\d{1,3}\.\d{1,3}$/;

/** RFC 5322 date, e.g. "Thu, 19 Nov 2026 08:12:01 +0000". */
export function rfc5322Date(d: Date): string {
  return d.toUTCString().replace(/GMT$/, '+0000');
}

/** One line of printable text: no CR/LF or other controls that could start a new field. */
function oneLine(s: string, max = 900): string {
  // eslint-disable-next-line no-control-regex
  const t = s.replace(/[\x00-\x1f\x7f]+/g, ' ').trim();
  return t.length > max ? t.slice(0, max) + '...' : t;
}

/** Folds a long field at spaces so no line exceeds ~78 characters where that is possible. */
function fold(field: string): string {
  if (field.length <= 78) return field;
  const words = field.split(' ');
  let out = '';
  let line = '';
  for (const w of words) {
    if (line && line.length + 1 + w.length > 76) {
      out += line + CRLF;
      line = ' ' + w;
    } else {
      line = line ? line + ' ' + w : w;
    }
  }
  return out + line;
}

/** "rfc822; user@example.com", or "utf-8; ..." for an internationalized address. */
function addressField(address: string): string {
  return (NON_ASCII.test(address) ? 'utf-8; ' : 'rfc822; ') + oneLine(address);
}

function originalRecipientField(orcpt: string): string {
  const m = /^([a-z0-9-]+);\s*(.+)$/i.exec(orcpt);
  return m ? `${(m[1] as string).toLowerCase()}; ${oneLine(m[2] as string)}` : addressField(orcpt);
}

/** The host name out of "name[ip]:port", "[ip]:port" or "host:port". */
export function remoteMtaName(remote: string): string {
  const named = /^([^[\]\s]+)\[/.exec(remote);
  if (named) return named[1] as string;
  const literal = /^(\[[^\]]+\])/.exec(remote);
  if (literal) return literal[1] as string;
  return remote.replace(/:\d+$/, '');
}

/** The header block of a message, including the blank line that ends it. */
export function headerBlock(message: Buffer): Buffer {
  let end = message.indexOf('\r\n\r\n');
  if (end >= 0) return message.subarray(0, end + 4);
  end = message.indexOf('\n\n');
  return end >= 0 ? message.subarray(0, end + 2) : message;
}

function humanText(
  o: DsnOptions,
  failed: DsnRecipient[],
  delayed: DsnRecipient[],
  headersOnly: boolean,
): string {
  const lines = [`This is the mail system at host ${oneLine(o.reportingMta)}.`, ''];
  const what = headersOnly ? 'The headers of your message are attached.' : 'Your message is attached.';
  const list = (rs: DsnRecipient[]) => {
    for (const r of rs) {
      const diag = r.diagnostic
        ? oneLine(r.diagnostic.replace(/^[a-z0-9-]+;\s*/i, ''))
        : `status ${r.status}`;
      const host = r.remoteMta ? ` (host ${remoteMtaName(r.remoteMta)})` : '';
      lines.push(`<${oneLine(r.address)}>${host}:`, `    ${diag}`, '');
    }
  };
  if (failed.length > 0) {
    lines.push(
      'Your message could not be delivered to the following recipients.',
      'The delivery failed permanently; the mail system will not try again.',
      '',
    );
    list(failed);
  }
  if (delayed.length > 0) {
    lines.push(
      'Your message has not been delivered yet to the following recipients.',
      'The mail system will keep trying; you do not need to send it again.',
      '',
    );
    list(delayed);
  }
  if (o.original.subject) lines.push(`Subject of your message: ${oneLine(o.original.subject)}`);
  if (o.original.messageId) lines.push(`Message-ID of your message: ${oneLine(o.original.messageId)}`);
  lines.push(what, '', 'If you need help, forward this report to your postmaster.', '');
  return lines.join(CRLF);
}

function statusFields(o: DsnOptions, now: Date): string {
  const msg: string[] = [`Reporting-MTA: dns; ${oneLine(o.reportingMta)}`];
  if (o.original.id) msg.push(`X-Sekimori-Queue-ID: ${oneLine(o.original.id)}`);
  if (o.original.dsn?.envid) msg.push(`Original-Envelope-Id: ${oneLine(o.original.dsn.envid)}`);
  msg.push(`Arrival-Date: ${rfc5322Date(o.arrivalDate)}`);
  let out = msg.join(CRLF) + CRLF;
  for (const r of o.recipients) {
    const status = STATUS_RE.test(r.status) ? r.status : r.action === 'failed' ? '5.0.0' : '4.0.0';
    const f: string[] = ['', `Final-Recipient: ${addressField(r.address)}`];
    if (r.orcpt) f.push(`Original-Recipient: ${originalRecipientField(r.orcpt)}`);
    f.push(`Action: ${r.action}`, `Status: ${status}`);
    if (r.remoteMta) f.push(`Remote-MTA: dns; ${oneLine(remoteMtaName(r.remoteMta))}`);
    if (r.diagnostic) {
      const d = oneLine(r.diagnostic);
      f.push(fold(`Diagnostic-Code: ${/^[a-z0-9-]+;/i.test(d) ? d : 'smtp; ' + d}`));
    }
    f.push(`Last-Attempt-Date: ${rfc5322Date(now)}`);
    out += f.join(CRLF) + CRLF;
  }
  return out;
}

function hasEightBit(b: Buffer): boolean {
  for (let i = 0; i < b.length; i++) if ((b[i] as number) > 0x7f) return true;
  return false;
}

/** Builds the DSN message (CRLF line ends). It needs BODY=8BITMIME when it contains 8-bit bytes. */
export function buildDsn(o: DsnOptions): Buffer {
  const now = o.now ?? new Date();
  const failed = o.recipients.filter((r) => r.action === 'failed');
  const delayed = o.recipients.filter((r) => r.action === 'delayed');
  const limit = o.maxOriginalBytes ?? 100 * 1024;
  const headersOnly = o.headersOnly ?? (o.original.dsn?.ret === 'HDRS' || o.originalMessage.length > limit);
  const attached = headersOnly ? headerBlock(o.originalMessage) : o.originalMessage;
  const global =
    o.original.smtputf8 === true ||
    NON_ASCII.test(o.original.sender) ||
    o.recipients.some((r) => NON_ASCII.test(r.address) || NON_ASCII.test(r.orcpt ?? ''));

  const boundary = `=_sekimori_${randomBytes(12).toString('hex')}`;
  const mta = oneLine(o.reportingMta);
  const subject =
    delayed.length === 0
      ? 'Undelivered Mail Returned to Sender'
      : failed.length === 0
        ? 'Delayed Mail (still being retried)'
        : 'Delivery Status Notification';
  const text = humanText(o, failed, delayed, headersOnly);

  const head = [
    `From: Mail Delivery System <MAILER-DAEMON@${mta}>`,
    `To: <${oneLine(o.original.sender)}>`,
    `Subject: ${subject}`,
    `Date: ${rfc5322Date(now)}`,
    `Message-ID: <${now.getTime().toString(36)}.${randomBytes(8).toString('hex')}@${mta}>`,
  ];
  const origId = o.original.messageId ? oneLine(o.original.messageId) : '';
  if (/^<[^<>\s]+>$/.test(origId)) head.push(`In-Reply-To: ${origId}`, `References: ${origId}`);
  head.push(
    'Auto-Submitted: auto-replied',
    'MIME-Version: 1.0',
    `Content-Type: multipart/report; report-type=${global ? 'global-delivery-status' : 'delivery-status'};`,
    `\tboundary="${boundary}"`,
    'Content-Transfer-Encoding: ' +
      (global || hasEightBit(attached) || NON_ASCII.test(text) ? '8bit' : '7bit'),
    '',
    'This is a MIME-encapsulated message.',
    '',
  );

  const parts: (string | Buffer)[] = [head.join(CRLF)];
  const part = (headers: string[], body: string | Buffer) => {
    parts.push(`--${boundary}${CRLF}${headers.join(CRLF)}${CRLF}${CRLF}`, body);
    const last = typeof body === 'string' ? body.charCodeAt(body.length - 1) : body[body.length - 1];
    if (last !== 0x0a) parts.push(CRLF);
  };
  part(
    [
      'Content-Description: Notification',
      'Content-Type: text/plain; charset=utf-8',
      `Content-Transfer-Encoding: ${NON_ASCII.test(text) ? '8bit' : '7bit'}`,
    ],
    text,
  );
  part(
    [
      'Content-Description: Delivery report',
      `Content-Type: message/${global ? 'global-delivery-status' : 'delivery-status'}`,
      ...(global ? ['Content-Transfer-Encoding: 8bit'] : []),
    ],
    statusFields(o, now),
  );
  const type = headersOnly
    ? global
      ? 'message/global-headers'
      : 'text/rfc822-headers'
    : global
      ? 'message/global'
      : 'message/rfc822';
  part(
    [
      `Content-Description: ${headersOnly ? 'Undelivered Message Headers' : 'Undelivered Message'}`,
      `Content-Type: ${type}`,
      `Content-Transfer-Encoding: ${hasEightBit(attached) ? '8bit' : '7bit'}`,
    ],
    attached,
  );
  parts.push(`--${boundary}--${CRLF}`);
  return Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : p)));
}

const NETWORK = /ECONNREFUSED|EHOSTUNREACH|ENETUNREACH|timed? ?out|ETIMEDOUT|no answer/i;
const DROPPED = /ECONNRESET|EPIPE|connection closed|closed unexpectedly/i;
const NAMES = /EDNS|ENOTFOUND|EAI_AGAIN|DNS/;
const TLS = /TLS|certificate|handshake/i;

/**
 * The enhanced status code (RFC 3463) of a reply: the one the server gave (its class corrected
 * to the reply code's), else "<class>.0.0" from the reply code; for replies without a code
 * (network and local errors) a leading x.y.z in the text, else one derived from the error.
 */
export function statusFromReply(reply: string, code?: number): string {
  const text = reply.trim();
  const basicMatch = /^([2-5])\d\d(?:[ -]|$)/.exec(text);
  const basic = code && code >= 200 && code < 600 ? code : basicMatch ? Number(text.slice(0, 3)) : 0;
  const cls = Math.floor(basic / 100);
  const validClass = cls === 2 || cls === 4 || cls === 5;
  // at the start ("550 5.1.1 ...", or a local "4.4.3 ..."), else after a reply code inside a
  // longer text ("mx.example.com[192.0.2.1]:25 said: 421 4.3.2 busy")
  const enhanced =
    /^(?:\d{3}[ -])?([245])\.(\d{1,3})\.(\d{1,3})(?=[\s,;:]|$)/.exec(text) ??
    /(?:^|\s)[245]\d\d[ -]([245])\.(\d{1,3})\.(\d{1,3})(?=[\s,;:]|$)/.exec(text);
  if (enhanced) {
    const c = validClass ? cls : Number(enhanced[1]);
    return `${c}.${enhanced[2]}.${enhanced[3]}`;
  }
  if (validClass) return `${cls}.0.0`;
  if (NAMES.test(text)) return '4.4.3';
  if (TLS.test(text)) return '4.7.5';
  if (DROPPED.test(text)) return '4.4.2';
  if (NETWORK.test(text)) return '4.4.1';
  return '4.0.0';
}
