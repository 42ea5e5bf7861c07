import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Envelope } from '../../src/queue/types.js';
import { buildDsn, headerBlock, remoteMtaName, statusFromReply } from '../../src/delivery/dsn.js';

const original: Envelope = {
  id: 'Q1234',
  sender: 'alice@origin.test',
  recipients: [{ address: 'bob@dest.test', orcpt: 'rfc822;Bob@Dest.test' }],
  receivedAt: Date.UTC(2026, 0, 2, 3, 4, 5),
  client: { ip: '192.0.2.1', helo: 'client.test', tls: false },
  size: 0,
  messageId: '<orig-1@origin.test>',
  subject: 'Quarterly report',
  origin: 'smtp',
};

const message = Buffer.from(
  'From: alice@origin.test\r\nTo: bob@dest.test\r\nSubject: Quarterly report\r\nMessage-ID: <orig-1@origin.test>\r\n\r\nBody line\r\n',
);

/** Splits the DSN into its top headers and MIME parts (each: headers text, body text). */
function parse(dsn: Buffer) {
  const text = dsn.toString('utf8');
  const [head, ...rest] = text.split('\r\n\r\n');
  const boundary = /boundary="([^"]+)"/.exec(head ?? '')?.[1];
  assert.ok(boundary, 'multipart boundary');
  const body = rest.join('\r\n\r\n');
  const chunks = body.split(`--${boundary}`);
  assert.equal(chunks.at(-1)?.trim(), '--', 'closing boundary');
  const parts = chunks.slice(1, -1).map((c) => {
    const i = c.indexOf('\r\n\r\n');
    return { headers: c.slice(2, i), body: c.slice(i + 4) };
  });
  return { head: head ?? '', parts, text };
}

function field(block: string, name: string): string[] {
  return [...block.matchAll(new RegExp(`^${name}: (.*(?:\\r\\n[ \\t].*)*)`, 'gim'))].map((m) =>
    (m[1] as string).replace(/\r\n[ \t]/g, ' '),
  );
}

test('a bounce is a multipart/report with text, delivery-status and the original message', () => {
  const dsn = buildDsn({
    reportingMta: 'gw.sekimori.test',
    original,
    originalMessage: message,
    arrivalDate: new Date(original.receivedAt),
    now: new Date(Date.UTC(2026, 0, 2, 4, 0, 0)),
    recipients: [
      {
        address: 'bob@dest.test',
        action: 'failed',
        status: '5.1.1',
        diagnostic: 'smtp; 550 5.1.1 no such user',
        remoteMta: 'mx1.dest.test[192.0.2.25]:25',
        orcpt: 'rfc822;Bob@Dest.test',
      },
    ],
  });
  const { head, parts, text } = parse(dsn);
  assert.ok(!/[^\r]\n/.test(text), 'CRLF line ends only');
  assert.deepEqual(field(head, 'From'), ['Mail Delivery System <MAILER-DAEMON@gw.sekimori.test>']);
  assert.deepEqual(field(head, 'To'), ['<alice@origin.test>']);
  assert.deepEqual(field(head, 'Auto-Submitted'), ['auto-replied']);
  assert.deepEqual(field(head, 'Subject'), ['Undelivered Mail Returned to Sender']);
  assert.deepEqual(field(head, 'In-Reply-To'), ['<orig-1@origin.test>']);
  assert.match(field(head, 'Message-ID')[0] ?? '', /^<[^@<>]+@gw\.sekimori\.test>$/);
  assert.deepEqual(field(head, 'Date'), ['Fri, 02 Jan 2026 04:00:00 +0000']);
  assert.match(
    field(head, 'Content-Type')[0] ?? '',
    /^multipart\/report; report-type=delivery-status; boundary=/,
  );

  assert.equal(parts.length, 3);
  const [human, status, orig] = parts as { headers: string; body: string }[];
  assert.match(human!.headers, /Content-Type: text\/plain; charset=utf-8/);
  assert.match(human!.body, /could not be delivered/);
  assert.match(human!.body, /<bob@dest\.test> \(host mx1\.dest\.test\):\r\n {4}550 5\.1\.1 no such user/);

  assert.match(status!.headers, /Content-Type: message\/delivery-status/);
  const [perMessage, perRecipient] = status!.body.split('\r\n\r\n') as [string, string];
  assert.deepEqual(field(perMessage, 'Reporting-MTA'), ['dns; gw.sekimori.test']);
  assert.deepEqual(field(perMessage, 'Arrival-Date'), ['Fri, 02 Jan 2026 03:04:05 +0000']);
  assert.deepEqual(field(perRecipient, 'Final-Recipient'), ['rfc822; bob@dest.test']);
  assert.deepEqual(field(perRecipient, 'Original-Recipient'), ['rfc822; Bob@Dest.test']);
  assert.deepEqual(field(perRecipient, 'Action'), ['failed']);
  assert.deepEqual(field(perRecipient, 'Status'), ['5.1.1']);
  assert.deepEqual(field(perRecipient, 'Remote-MTA'), ['dns; mx1.dest.test']);
  assert.deepEqual(field(perRecipient, 'Diagnostic-Code'), ['smtp; 550 5.1.1 no such user']);
  assert.deepEqual(field(perRecipient, 'Last-Attempt-Date'), ['Fri, 02 Jan 2026 04:00:00 +0000']);

  assert.match(orig!.headers, /Content-Type: message\/rfc822/);
  assert.equal(orig!.body, message.toString());
});

test('RET=HDRS, an explicit headersOnly or a large message returns only the headers', () => {
  const big = Buffer.concat([message, Buffer.alloc(200 * 1024, 'x')]);
  const cases = [
    { original: { ...original, dsn: { ret: 'HDRS' as const } }, originalMessage: message },
    { original, originalMessage: message, headersOnly: true },
    { original, originalMessage: big },
    { original, originalMessage: message, maxOriginalBytes: 10 },
  ];
  for (const c of cases) {
    const { parts } = parse(
      buildDsn({
        reportingMta: 'gw.test',
        arrivalDate: new Date(),
        recipients: [{ address: 'bob@dest.test', action: 'failed', status: '5.0.0' }],
        ...c,
      }),
    );
    const orig = parts[2]!;
    assert.match(orig.headers, /Content-Type: text\/rfc822-headers/);
    assert.match(orig.headers, /Content-Description: Undelivered Message Headers/);
    assert.equal(orig.body, headerBlock(message).toString());
    assert.ok(!orig.body.includes('Body line'));
  }
});

test('delay notices and mixed reports say what happened to whom', () => {
  const delayed = parse(
    buildDsn({
      reportingMta: 'gw.test',
      original,
      originalMessage: message,
      arrivalDate: new Date(),
      recipients: [
        { address: 'bob@dest.test', action: 'delayed', status: '4.4.1', diagnostic: 'connect refused' },
      ],
    }),
  );
  assert.deepEqual(field(delayed.head, 'Subject'), ['Delayed Mail (still being retried)']);
  assert.match(delayed.parts[0]!.body, /not been delivered yet/);
  assert.match(delayed.parts[0]!.body, /do not need to send it again/);
  assert.deepEqual(field(delayed.parts[1]!.body, 'Action'), ['delayed']);
  // a diagnostic without a type gets "smtp;"
  assert.deepEqual(field(delayed.parts[1]!.body, 'Diagnostic-Code'), ['smtp; connect refused']);

  const mixed = parse(
    buildDsn({
      reportingMta: 'gw.test',
      original,
      originalMessage: message,
      arrivalDate: new Date(),
      recipients: [
        { address: 'a@dest.test', action: 'failed', status: '5.1.1' },
        { address: 'b@dest.test', action: 'delayed', status: 'bogus' },
      ],
    }),
  );
  assert.deepEqual(field(mixed.head, 'Subject'), ['Delivery Status Notification']);
  assert.deepEqual(field(mixed.parts[1]!.body, 'Status'), ['5.1.1', '4.0.0']);
});

test('values from outside cannot add fields or headers; long diagnostics are folded', () => {
  const dsn = buildDsn({
    reportingMta: 'gw.test',
    original: { ...original, subject: 'hi\r\nBcc: victim@x.test', dsn: { envid: 'ID\r\nX-Evil: 1' } },
    originalMessage: message,
    arrivalDate: new Date(),
    recipients: [
      {
        address: 'bob@dest.test',
        action: 'failed',
        status: '5.0.0',
        diagnostic: 'smtp; 550 first\r\nAction: delivered\r\n' + 'word '.repeat(60),
      },
    ],
  }).toString();
  assert.ok(!/^Bcc:/m.test(dsn));
  assert.ok(!/^X-Evil:/m.test(dsn));
  assert.equal([...dsn.matchAll(/^Action:/gm)].length, 1);
  for (const line of dsn.split('\r\n')) assert.ok(line.length <= 998);
  const diag = /^Diagnostic-Code: .*(\r\n[ \t].*)+/m.exec(dsn);
  assert.ok(diag, 'folded Diagnostic-Code');
});

test('internationalized addresses make a global delivery status report (RFC 6533)', () => {
  const { head, parts } = parse(
    buildDsn({
      reportingMta: 'gw.test',
      original: { ...original, sender: 'álvaro@origin.test', smtputf8: true },
      originalMessage: message,
      arrivalDate: new Date(),
      recipients: [{ address: '用户@dest.test', action: 'failed', status: '5.1.1' }],
    }),
  );
  assert.match(head, /report-type=global-delivery-status/);
  assert.match(parts[1]!.headers, /Content-Type: message\/global-delivery-status/);
  assert.deepEqual(field(parts[1]!.body, 'Final-Recipient'), ['utf-8; 用户@dest.test']);
  assert.match(parts[2]!.headers, /Content-Type: message\/global/);
});

test('statusFromReply takes the enhanced code or derives one', () => {
  assert.equal(statusFromReply('550 5.1.1 no such user'), '5.1.1');
  assert.equal(statusFromReply('550-5.7.1 policy\n550 5.7.1 more'), '5.7.1');
  assert.equal(statusFromReply('451 4.2.0 try later', 451), '4.2.0');
  assert.equal(statusFromReply('550 no such user'), '5.0.0');
  assert.equal(statusFromReply('no such user', 552), '5.0.0');
  // the class follows the reply code
  assert.equal(statusFromReply('550 4.2.2 mailbox full'), '5.2.2');
  // a reply inside a longer text
  assert.equal(statusFromReply('mx.test[192.0.2.1]:25 said: 421 4.3.2 busy', 421), '4.3.2');
  // local replies that start with a status
  assert.equal(statusFromReply('5.1.2 domain x.test does not exist (DNS: NXDOMAIN)', 0), '5.1.2');
  assert.equal(statusFromReply('5.1.10 domain x.test accepts no mail (null MX)'), '5.1.10');
  // network and local errors
  assert.equal(statusFromReply('connect to 127.0.0.1:1: connect ECONNREFUSED 127.0.0.1:1', 0), '4.4.1');
  assert.equal(statusFromReply('Connection closed unexpectedly'), '4.4.2');
  assert.equal(statusFromReply('something odd'), '4.0.0');
});

test('remoteMtaName keeps the host name', () => {
  assert.equal(remoteMtaName('mx1.test[192.0.2.1]:25'), 'mx1.test');
  assert.equal(remoteMtaName('192.0.2.1:2525'), '192.0.2.1');
  assert.equal(remoteMtaName('[2001:db8::1]:25'), '[2001:db8::1]');
  assert.equal(remoteMtaName('relay.test'), 'relay.test');
});
