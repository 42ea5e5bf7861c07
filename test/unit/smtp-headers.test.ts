import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { HEADER_SCAN_LIMIT, HeaderScanner, parseFields } from '../../src/smtp/headers.js';
import { protocolName, receivedHeader, rfc5322Date } from '../../src/smtp/received.js';

function scan(...chunks: string[]) {
  const s = new HeaderScanner();
  for (const c of chunks) s.push(Buffer.from(c, 'utf8'));
  return { scanner: s, fields: s.fields() };
}

describe('header scanner', () => {
  const msg = 'From: a@b\r\nSubject: Hello\r\n world\r\nMessage-ID: <1@b>\r\n\r\nSubject: not a header\r\n';

  it('finds Message-ID and the unfolded Subject in one chunk', () => {
    const { scanner, fields } = scan(msg);
    assert.equal(scanner.done, true);
    assert.deepEqual(fields, { subject: 'Hello world', messageId: '<1@b>' });
  });

  it('finds the end of the header block split at any byte', () => {
    for (let cut = 1; cut < msg.length; cut++) {
      const { fields } = scan(msg.slice(0, cut), msg.slice(cut));
      assert.deepEqual(fields, { subject: 'Hello world', messageId: '<1@b>' }, `cut at ${cut}`);
    }
    // byte by byte
    const { scanner, fields } = scan(...msg.split(''));
    assert.equal(scanner.done, true);
    assert.deepEqual(fields, { subject: 'Hello world', messageId: '<1@b>' });
  });

  it('ignores the body and handles bare LF and header-less messages', () => {
    assert.deepEqual(scan('Subject: a\n\nMessage-ID: <x@y>\n').fields, { subject: 'a' });
    assert.deepEqual(scan('\r\nSubject: body\r\n').fields, {});
    assert.deepEqual(scan('Subject: only headers, no body').fields, { subject: 'only headers, no body' });
  });

  it('keeps the first occurrence, truncates to 998 characters, matches names case-insensitively', () => {
    const long = 'x'.repeat(2000);
    const f = parseFields(`SUBJECT: ${long}\r\nsubject: second\r\nmessage-id:   <a@b>  \r\n`);
    assert.equal(f.subject?.length, 998);
    assert.equal(f.messageId, '<a@b>');
  });

  it('stops collecting at the scan limit', () => {
    const s = new HeaderScanner();
    const big = Buffer.from(`Subject: big\r\nX-Pad: ${'p'.repeat(HEADER_SCAN_LIMIT)}\r\n`);
    s.push(big);
    assert.equal(s.done, true);
    assert.deepEqual(s.fields(), { subject: 'big' });
  });
});

describe('Received header', () => {
  const date = new Date(Date.UTC(2025, 0, 7, 9, 5, 3));

  it('formats RFC 5322 dates', () => {
    assert.equal(rfc5322Date(date), 'Tue, 07 Jan 2025 09:05:03 +0000');
  });

  it('names the protocol', () => {
    assert.equal(protocolName(true, false, false), 'ESMTP');
    assert.equal(protocolName(true, true, false), 'ESMTPS');
    assert.equal(protocolName(false, false, false), 'SMTP');
    assert.equal(protocolName(true, true, true), 'UTF8SMTPS');
  });

  it('has from, by, with, id, for and the date', () => {
    const h = receivedHeader({
      helo: 'client.test',
      clientHostname: 'ptr.client.test',
      ip: '192.0.2.1',
      by: 'mx.test',
      protocol: 'ESMTPS',
      id: 'ABC',
      for: 'x@example.com',
      date,
    }).toString();
    assert.equal(
      h,
      'Received: from client.test (ptr.client.test [192.0.2.1])\r\n' +
        '\tby mx.test (Sekimori) with ESMTPS id ABC\r\n' +
        '\tfor <x@example.com>; Tue, 07 Jan 2025 09:05:03 +0000\r\n',
    );
  });

  it('leaves out unknown reverse names and several recipients, writes IPv6 literals', () => {
    const h = receivedHeader({
      helo: 'c',
      ip: '2001:db8::1',
      by: 'mx.test',
      protocol: 'ESMTP',
      id: 'ID',
      date,
    });
    assert.equal(
      h.toString(),
      'Received: from c ([IPv6:2001:db8::1])\r\n\tby mx.test (Sekimori) with ESMTP id ID; Tue, 07 Jan 2025 09:05:03 +0000\r\n',
    );
  });
});
