// Messages Sekimori writes itself (notifications): plain UTF-8 text, never bounced.
import { randomBytes } from 'node:crypto';
import { encodeHeaderText } from './modify.js';
import { rfc5322Date } from '../delivery/dsn.js';

export function buildNotice(o: {
  from: string;
  to: string[];
  subject: string;
  body: string;
  hostname: string;
}): Buffer {
  const lines = [
    `From: ${o.from}`,
    `To: ${o.to.join(', ')}`,
    `Subject: ${encodeHeaderText(o.subject)}`,
    `Date: ${rfc5322Date(new Date())}`,
    `Message-ID: <${Date.now().toString(36)}.${randomBytes(6).toString('hex')}@${o.hostname}>`,
    'Auto-Submitted: auto-generated',
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: base64',
    '',
    (
      Buffer.from(o.body.replace(/\r?\n/g, '\r\n'), 'utf8')
        .toString('base64')
        .match(/.{1,76}/g) ?? []
    ).join('\r\n'),
    '',
  ];
  return Buffer.from(lines.join('\r\n'), 'latin1');
}
