// Trusted upstream relays (SPEC §1): the real client IP read from the relay's Received header.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { realClient, realClientIp, receivedFromIp, receivedHeaders } from '../../src/reputation/relays.js';

const RELAYS = ['192.0.2.10', '10.20.0.0/16'];
const ours = (ip: string) =>
  `Received: from relay.example.net (relay.example.net [${ip}])\r\n\tby mx.test (Sekimori) with ESMTP id 4F2A; Tue, 07 Jan 2025 09:05:03 +0000\r\n`;

test('the client address in the Received formats of common MTAs', () => {
  const cases: [string, string | undefined][] = [
    // Postfix
    [
      'from mail.example.org (mail.example.org [198.51.100.7]) by relay (Postfix) with ESMTPS id X',
      '198.51.100.7',
    ],
    ['from client.test (unknown [198.51.100.7]) by relay (Postfix) with ESMTP id X', '198.51.100.7'],
    ['from [203.0.113.9] (unknown [198.51.100.7]) by relay (Postfix)', '198.51.100.7'],
    // Sendmail
    ['from helo (host.example [198.51.100.7] (may be forged)) by relay (8.15.2/8.15.2)', '198.51.100.7'],
    // Exim
    ['from host.example ([198.51.100.7] helo=[203.0.113.9]) by relay with esmtp (Exim 4.96)', '198.51.100.7'],
    ['from [198.51.100.7] (helo=client.test) by relay with esmtp (Exim 4.96)', '198.51.100.7'],
    ['from host.example ([198.51.100.7]:40512 helo=x) by relay with esmtps', '198.51.100.7'],
    // Exchange, qmail (no brackets)
    [
      'from EXCH01.corp.example (10.1.2.3) by EXCH02.corp.example (10.1.2.4) with Microsoft SMTP Server',
      '10.1.2.3',
    ],
    ['from unknown (HELO mail.example) (198.51.100.7) by relay with SMTP; 1 Jan 2025', '198.51.100.7'],
    ['from unknown (HELO [203.0.113.9]) (198.51.100.7) by relay with SMTP', '198.51.100.7'],
    // Gmail style, IPv6
    [
      'from mail-sor-f41.google.com (mail-sor-f41.google.com. [2a00:1450:4864:20::130]) by mx.google.com',
      '2a00:1450:4864:20::130',
    ],
    ['from client ([IPv6:2001:DB8::25]) by relay (Postfix)', '2001:db8::25'],
    ['from client (client.example [::ffff:198.51.100.7]) by relay', '198.51.100.7'],
    // no client address
    ['from client.example by relay with SMTP', undefined],
    ['by relay (Postfix, from userid 1000) id 1234; Tue, 7 Jan 2025', undefined],
    ['from localhost (port 1234) by relay', undefined],
  ];
  for (const [value, ip] of cases) assert.equal(receivedFromIp(value), ip, value);
});

test('Received fields are unfolded and read top first, from a header block, a message or parsed fields', () => {
  const block = `${ours('192.0.2.10')}Received: from a (a [198.51.100.1])\r\n by relay; date\r\nSubject: x\r\nReceived: from b (b [198.51.100.2]) by c\r\n\r\nReceived: from body ([198.51.100.3]) by x\r\n`;
  const values = receivedHeaders(block);
  assert.equal(values.length, 3, 'the body is not read');
  assert.equal(values[1], 'from a (a [198.51.100.1]) by relay; date');
  assert.deepEqual(receivedHeaders(Buffer.from(block)), values);
  assert.deepEqual(
    receivedHeaders([
      { name: 'received', value: 'from x ([198.51.100.1]) by y' },
      { name: 'subject', value: 's' },
    ]),
    ['from x ([198.51.100.1]) by y'],
  );
});

test('a client that is not a trusted relay is its own real client', () => {
  assert.equal(realClientIp(ours('198.51.100.7'), '198.51.100.7', RELAYS), '198.51.100.7');
  assert.equal(realClientIp('', '::ffff:198.51.100.7', RELAYS), '198.51.100.7');
  assert.equal(realClientIp(ours('198.51.100.7'), '198.51.100.7', []), '198.51.100.7');
});

test('behind a trusted relay, the client the relay recorded is the real one', () => {
  const headers =
    ours('192.0.2.10') +
    'Received: from sender.example (sender.example [203.0.113.50])\r\n\tby relay.example.net (Postfix) with ESMTP id AB; Tue, 07 Jan 2025 09:05:01 +0000\r\n' +
    'Subject: hello\r\n\r\nbody';
  assert.equal(realClientIp(headers, '192.0.2.10', RELAYS), '203.0.113.50');
});

test('a chain of relays is walked, loopback hops (content filters) skipped, local pickups too', () => {
  const headers = [
    ours('192.0.2.10'),
    'Received: from edge.example.net (edge.example.net [10.20.3.4]) by relay.example.net (Postfix) with ESMTP id C\r\n',
    'Received: from localhost (localhost [127.0.0.1]) by edge.example.net (amavis) with ESMTP id B\r\n',
    'Received: by edge.example.net (Postfix, from userid 0) id Z\r\n',
    'Received: from sender.example ([203.0.113.50] helo=sender.example) by edge.example.net with esmtp id A\r\n',
    'Received: from forged.example ([198.51.100.66]) by sender.example\r\n',
    '\r\n',
  ].join('');
  assert.equal(realClientIp(headers, '192.0.2.10', RELAYS), '203.0.113.50');
});

test('headers written below the relay are never believed; a relay that names no client gives no answer', () => {
  const noIp =
    ours('192.0.2.10') +
    'Received: from sender.example by relay.example.net with SMTP id A\r\n' +
    'Received: from forged.example ([198.51.100.66]) by sender.example\r\n\r\n';
  assert.equal(realClientIp(noIp, '192.0.2.10', RELAYS), undefined);
  const onlyRelays = ours('192.0.2.10') + 'Subject: no trace\r\n\r\n';
  assert.equal(realClientIp(onlyRelays, '192.0.2.10', RELAYS), undefined);
});

test('the real client comes with the HELO name its relay recorded (for SPF)', () => {
  const headers =
    ours('192.0.2.10') +
    'Received: from sender.example (sender.example [203.0.113.50])\r\n\tby relay.example.net (Postfix) with ESMTP id AB; Tue, 07 Jan 2025 09:05:01 +0000\r\n' +
    'Subject: hello\r\n\r\nbody';
  assert.deepEqual(realClient(headers, '192.0.2.10', RELAYS), {
    ip: '203.0.113.50',
    helo: 'sender.example',
    relayed: true,
  });
  assert.deepEqual(realClient(headers, '198.51.100.7', RELAYS), { ip: '198.51.100.7', relayed: false });
});
