// The two wire formats on their own: what the clients send (rspamd's request headers, spamd's
// trace line) and how they read what comes back (rspamd's JSON, spamd's status, Spam header and
// report table), from replies captured from rspamd 3.4 and spamd 4.0.1.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRspamdReply, rspamdEndpoint, rspamdHeaders } from '../../src/spam-engines/rspamd.js';
import {
  formatSpamdAddress,
  parseReportSymbols,
  parseSpamdAddress,
  parseSpamdReply,
  parseSpamHeader,
  parseSymbolList,
  traceHeader,
} from '../../src/spam-engines/spamd.js';

test('rspamd endpoints: below the base URL, also when the base names /checkv2 itself', () => {
  assert.equal(rspamdEndpoint('http://127.0.0.1:11333', 'checkv2').href, 'http://127.0.0.1:11333/checkv2');
  assert.equal(rspamdEndpoint('http://h:11333/', 'ping').href, 'http://h:11333/ping');
  assert.equal(rspamdEndpoint('https://h/rspamd/checkv2', 'ping').href, 'https://h/rspamd/ping');
  assert.equal(rspamdEndpoint('http://h/rspamd?x=1', 'checkv2').href, 'http://h/rspamd/checkv2');
});

test('rspamd request headers: the envelope, one Rcpt per recipient, "<>" for a bounce, cleaned values', () => {
  assert.deepEqual(
    rspamdHeaders(
      {
        clientIp: '203.0.113.5',
        helo: 'mail.example.net',
        clientHostname: 'mail.example.net',
        mailFrom: '',
        recipients: ['a@example.com', 'b@example.com'],
        queueId: 'Q1',
        authUser: 'alice',
      },
      's3cret',
    ),
    {
      IP: '203.0.113.5',
      Helo: 'mail.example.net',
      Hostname: 'mail.example.net',
      From: '<>',
      Rcpt: ['a@example.com', 'b@example.com'],
      'Queue-Id': 'Q1',
      User: 'alice',
      Password: 's3cret',
    },
  );
  // A HELO with a line break would split the header (and Node would refuse it): only printable text goes.
  assert.deepEqual(rspamdHeaders({ helo: 'evil\r\nX-Injected: 1', recipients: ['\u0000'] }), {
    Helo: 'evilX-Injected: 1',
  });
  assert.deepEqual(rspamdHeaders({}), {});
});

// A /checkv2 reply of rspamd 3.4 (shortened).
const RSPAMD_REPLY = {
  is_skipped: false,
  score: 4.8,
  required_score: 15.0,
  action: 'greylist',
  symbols: {
    MIME_GOOD: {
      name: 'MIME_GOOD',
      score: -0.1,
      metric_score: -0.1,
      description: 'Known content-type',
      options: ['text/plain'],
    },
    DATE_IN_PAST: {
      name: 'DATE_IN_PAST',
      score: 1.0,
      metric_score: 1.0,
      description: 'Message date is in past',
    },
    MV_CASE: {
      name: 'MV_CASE',
      score: 0.5,
      metric_score: 0.5,
      description: 'Mime-Version .vs. MIME-Version',
    },
    RBL_SEM_FAIL: {
      name: 'RBL_SEM_FAIL',
      score: 0.0,
      metric_score: 0.0,
      options: ['203.0.113.5:query timed out'],
    },
  },
  messages: {},
  'message-id': 'x@example.net',
  time_real: 0.62,
};

test('rspamd reply: score, required_score, action, symbols largest first with descriptions and options', () => {
  const r = parseRspamdReply(RSPAMD_REPLY);
  assert.equal(r.engine, 'rspamd');
  assert.equal(r.score, 4.8);
  assert.equal(r.threshold, 15);
  assert.equal(r.action, 'greylist');
  assert.equal(r.isSpam, false); // greylist is "not now", not "spam"
  assert.deepEqual(
    r.symbols.map((s) => [s.name, s.score]),
    [
      ['DATE_IN_PAST', 1],
      ['MV_CASE', 0.5],
      ['MIME_GOOD', -0.1],
      ['RBL_SEM_FAIL', 0],
    ],
  );
  assert.deepEqual(r.symbols[2], {
    name: 'MIME_GOOD',
    score: -0.1,
    description: 'Known content-type',
    options: ['text/plain'],
  });
});

test('rspamd reply: the spam actions are reject, rewrite subject and add header', () => {
  const verdict = (action: string) => parseRspamdReply({ ...RSPAMD_REPLY, action }).isSpam;
  assert.deepEqual(
    ['reject', 'rewrite subject', 'add header', 'soft reject', 'greylist', 'no action'].map(verdict),
    [true, true, true, false, false, false],
  );
});

test('rspamd reply: no symbols is fine; an error object or a missing field is refused', () => {
  assert.deepEqual(parseRspamdReply({ score: 0, required_score: 15, action: 'no action' }).symbols, []);
  assert.throws(() => parseRspamdReply({ error: 'invalid command' }), /invalid command/);
  assert.throws(() => parseRspamdReply({ required_score: 15, action: 'reject' }), /no score/);
  assert.throws(() => parseRspamdReply({ score: 1, action: 'reject' }), /required_score/);
  assert.throws(() => parseRspamdReply({ score: 1, required_score: 15 }), /action/);
  assert.throws(() => parseRspamdReply('pong'), /not a JSON object/);
});

// A REPORT reply of spamd 4.0.1 for GTUBE.
const REPORT = Buffer.from(
  'SPAMD/1.1 0 EX_OK\r\nContent-length: 973\r\nSpam: True ; 1000.0 / 5.0\r\n\r\n' +
    'Spam detection software, running on the system "vm",\nhas identified this incoming email as possible spam.\n\n' +
    'Content preview:  This is the GTUBE, the Generic Test for Unsolicited Bulk Email\n' +
    '   100 ways to say it [...] \n\n' +
    'Content analysis details:   (1000.0 points, 5.0 required)\n\n' +
    ' pts rule name              description\n' +
    '---- ---------------------- --------------------------------------------------\n' +
    '-0.0 NO_RECEIVED            Informational: message has no Received headers\n' +
    '-0.0 NO_RELAYS              Informational: message was not relayed via SMTP\n' +
    '1000 GTUBE                  BODY: Generic Test for Unsolicited Bulk Email\n' +
    ' 2.5 LOCAL_RULE_WITH_A_RATHER_LONG_NAME A description long enough that\n' +
    '                            SpamAssassin wraps it\n' +
    '-1.9 BAYES_00               BODY: Bayes spam probability is 0 to 1%\n\n',
);

test('spamd reply: status, headers and body', () => {
  const r = parseSpamdReply(REPORT);
  assert.ok(r);
  assert.equal(r.code, 0);
  assert.equal(r.message, 'EX_OK');
  assert.equal(r.headers.get('spam'), 'True ; 1000.0 / 5.0');
  assert.match(r.body, /^Spam detection software/);
  assert.deepEqual(parseSpamdReply(Buffer.from('SPAMD/1.5 0 PONG\r\n'))?.message, 'PONG');
  assert.equal(parseSpamdReply(Buffer.from('SPAMD/1.0 76 Bad header line: x\r\n'))?.code, 76);
  assert.equal(parseSpamdReply(Buffer.from('HTTP/1.1 200 OK\r\n\r\n')), undefined);
  assert.equal(parseSpamdReply(Buffer.alloc(0)), undefined);
});

test('spamd Spam header: True/False and the older Yes/No, score and threshold', () => {
  assert.deepEqual(parseSpamHeader('True ; 15.0 / 5.0'), { isSpam: true, score: 15, threshold: 5 });
  assert.deepEqual(parseSpamHeader('False ; -1.9 / 5.0'), { isSpam: false, score: -1.9, threshold: 5 });
  assert.deepEqual(parseSpamHeader('Yes ; 7 / 5'), { isSpam: true, score: 7, threshold: 5 });
  assert.equal(parseSpamHeader('maybe'), undefined);
  assert.equal(parseSpamHeader(''), undefined);
});

test('spamd REPORT table: every rule with its score, wrapped descriptions joined, largest first', () => {
  const body = parseSpamdReply(REPORT)?.body ?? '';
  assert.deepEqual(parseReportSymbols(body), [
    { name: 'GTUBE', score: 1000, description: 'BODY: Generic Test for Unsolicited Bulk Email' },
    {
      name: 'LOCAL_RULE_WITH_A_RATHER_LONG_NAME',
      score: 2.5,
      description: 'A description long enough that SpamAssassin wraps it',
    },
    { name: 'BAYES_00', score: -1.9, description: 'BODY: Bayes spam probability is 0 to 1%' },
    { name: 'NO_RECEIVED', score: -0, description: 'Informational: message has no Received headers' },
    { name: 'NO_RELAYS', score: -0, description: 'Informational: message was not relayed via SMTP' },
  ]);
  // The content preview above the table never counts as rules, even when it starts with a number.
  assert.ok(!parseReportSymbols(body).some((s) => s.name === 'ways'));
  assert.deepEqual(parseReportSymbols('a report template without the table\n'), []);
});

test('spamd SYMBOLS body: names only', () => {
  assert.deepEqual(parseSymbolList('GTUBE,NO_RECEIVED,NO_RELAYS'), [
    { name: 'GTUBE', score: 0 },
    { name: 'NO_RECEIVED', score: 0 },
    { name: 'NO_RELAYS', score: 0 },
  ]);
  assert.deepEqual(parseSymbolList(''), []);
});

test('spamd addresses: host:port, host alone (783), IPv6, unix sockets', () => {
  assert.deepEqual(parseSpamdAddress('127.0.0.1:7830'), { kind: 'tcp', host: '127.0.0.1', port: 7830 });
  assert.deepEqual(parseSpamdAddress('Spamd.Example'), { kind: 'tcp', host: 'spamd.example', port: 783 });
  assert.deepEqual(parseSpamdAddress('[::1]:783'), { kind: 'tcp', host: '::1', port: 783 });
  assert.deepEqual(parseSpamdAddress('unix:/run/spamd.sock'), { kind: 'unix', path: '/run/spamd.sock' });
  assert.deepEqual(parseSpamdAddress('/run/spamd.sock'), { kind: 'unix', path: '/run/spamd.sock' });
  for (const bad of ['', 'host:0', 'host:70000', 'a b', 'http://h:783'])
    assert.equal(parseSpamdAddress(bad), undefined, bad);
  assert.equal(formatSpamdAddress({ kind: 'tcp', host: '::1', port: 783 }), '[::1]:783');
  assert.equal(formatSpamdAddress({ kind: 'unix', path: '/s' }), 'unix:/s');
});

test('spamd trace line: the client as a Received header SpamAssassin parses; none without a client IP', () => {
  const when = new Date(Date.UTC(2026, 0, 2, 3, 4, 5));
  assert.equal(
    traceHeader(
      { clientIp: '203.0.113.5', helo: 'mx.example.net', clientHostname: 'mx.example.net', queueId: 'Q1' },
      when,
    ),
    'Received: from mx.example.net (mx.example.net [203.0.113.5])\r\n\tby sekimori with ESMTP id Q1; Fri, 02 Jan 2026 03:04:05 +0000\r\n',
  );
  assert.equal(
    traceHeader({ clientIp: '203.0.113.5', helo: 'bad helo\r\nX: y' }, when),
    'Received: from badheloX:y (unknown [203.0.113.5])\r\n\tby sekimori with ESMTP; Fri, 02 Jan 2026 03:04:05 +0000\r\n',
  );
  assert.equal(traceHeader({ helo: 'x' }), undefined);
});
