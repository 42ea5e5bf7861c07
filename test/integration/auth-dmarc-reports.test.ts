// DMARC aggregate reports (RFC 7489 §7.2) from the running gateway: the DMARC results of inbound
// mail are counted per source and disposition (refused mail too), and `sekimori dmarc report`
// builds the XML report of each domain, prints it, or mails it gzipped to the rua= address.
// The reports are read with an XML parser (fast-xml-parser, which mailauth uses).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import { XMLParser } from 'fast-xml-parser';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { startSink, type Sink } from '../helpers/sink.js';
import { startDnsServer, type DnsServer } from '../helpers/dns-server.js';
import { swaks } from '../helpers/swaks.js';
import { waitUntil } from '../helpers/tmp.js';
import { parseMessage } from '../../src/scan/parse/index.js';
import { defaultScanSettings } from '../../src/scan/scan-settings.js';

let dns: DnsServer;
let sink: Sink;
let gw: TestGateway;

before(async () => {
  dns = await startDnsServer({
    txt: [
      { name: 'bank.test', text: 'v=spf1 ip4:192.0.2.10 -all' },
      { name: '_dmarc.bank.test', text: 'v=DMARC1; p=reject; rua=mailto:dmarc@bank.test' },
      { name: 'shop.test', text: 'v=spf1 ip4:127.0.0.2 -all' },
      {
        name: '_dmarc.shop.test',
        text: 'v=DMARC1; p=quarantine; pct=100; aspf=s; rua=mailto:agg@reports.test',
      },
    ],
    zones: ['test'],
  });
  sink = await startSink();
  gw = await startGateway({
    settings: {
      smtp: { hostname: 'gw.example.test' },
      domains: [{ name: 'example.com', nextHops: [`127.0.0.1:${sink.port}`] }],
      trustedNetworks: ['127.0.0.1/32'],
      dns: { resolvers: [dns.address] },
      delivery: { default: `127.0.0.1:${sink.port}` },
    },
  });
  const send = (from: string, localAddress: string) =>
    swaks({ server: `${gw.host}:${gw.port}`, from, to: 'bob@example.com', localAddress, subject: 'hello' });
  assert.equal((await send('news@shop.test', '127.0.0.2')).code, 0, 'SPF pass, aligned');
  assert.equal((await send('news@shop.test', '127.0.0.2')).code, 0);
  assert.equal((await send('news@shop.test', '127.0.0.3')).code, 0, 'SPF fail: quarantined');
  assert.notEqual((await send('ceo@bank.test', '127.0.0.3')).code, 0, 'refused per p=reject');
  // the gateway writes its counts in batches: wait until all four are in the store
  await waitUntil(async () => {
    const r = await gw.cli(['dmarc', 'report', '--print', '--json', '--day', today()]);
    const reports = (JSON.parse(r.stdout || '{}') as { reports?: { messages: number }[] }).reports ?? [];
    return reports.reduce((n, x) => n + x.messages, 0) === 4;
  }, 'the four DMARC results are counted');
});
after(async () => {
  await gw?.stop();
  await sink?.close();
  await dns?.stop();
});

const today = () => new Date().toISOString().slice(0, 10);

interface Row {
  row: {
    source_ip: string;
    count: number;
    policy_evaluated: { disposition: string; dkim: string; spf: string };
  };
  identifiers: { header_from: string };
  auth_results: { spf: { domain: string; result: string } };
}
interface Feedback {
  feedback: {
    report_metadata: {
      org_name: string;
      email: string;
      report_id: string;
      date_range: { begin: number; end: number };
    };
    policy_published: { domain: string; p: string; aspf: string; pct: number };
    record: Row | Row[];
  };
}

const xml = new XMLParser({ isArray: (name) => name === 'record' });

test('--print: one report for the domain, each source and disposition counted', async () => {
  const r = await gw.cli(['dmarc', 'report', '--print', '--day', today(), '--domain', 'shop.test']);
  assert.equal(r.code, 0, r.stderr);
  const doc = xml.parse(r.stdout) as Feedback;
  const f = doc.feedback;
  assert.equal(f.report_metadata.org_name, 'gw.example.test');
  assert.equal(f.report_metadata.email, 'postmaster@gw.example.test');
  assert.equal(f.report_metadata.date_range.end - f.report_metadata.date_range.begin, 86_399);
  assert.deepEqual(
    { domain: f.policy_published.domain, p: f.policy_published.p, aspf: f.policy_published.aspf },
    { domain: 'shop.test', p: 'quarantine', aspf: 's' },
  );
  const rows = f.record as Row[];
  const pass = rows.find((x) => x.row.source_ip === '127.0.0.2');
  const fail = rows.find((x) => x.row.source_ip === '127.0.0.3');
  assert.equal(pass?.row.count, 2);
  assert.deepEqual(pass?.row.policy_evaluated, { disposition: 'none', dkim: 'fail', spf: 'pass' });
  assert.equal(fail?.row.count, 1);
  assert.equal(fail?.row.policy_evaluated.disposition, 'quarantine');
  assert.equal(fail?.row.policy_evaluated.spf, 'fail');
  assert.equal(fail?.identifiers.header_from, 'shop.test');
  assert.deepEqual(fail?.auth_results.spf, { domain: 'shop.test', result: 'fail' });
});

test('--send: each report goes gzipped to its rua= address, the refused message counted as reject', async () => {
  const before = sink.messages.length;
  const r = await gw.cli([
    'dmarc',
    'report',
    '--send',
    '--day',
    today(),
    '--smtp',
    `${gw.host}:${gw.port}`,
    '--json',
  ]);
  assert.equal(r.code, 0, r.stderr);
  const summary = JSON.parse(r.stdout) as { reports: { domain: string; sent: boolean; rua: string[] }[] };
  assert.deepEqual(summary.reports.map((x) => [x.domain, x.rua, x.sent]).sort(), [
    ['bank.test', ['dmarc@bank.test'], true],
    ['shop.test', ['agg@reports.test'], true],
  ]);
  const mails = await sink.waitFor((m) => m.length >= before + 2, 15_000);
  const bank = mails.slice(before).find((m) => m.to.includes('dmarc@bank.test'));
  assert.ok(bank, 'the bank.test report was mailed to its rua');
  const parsed = await parseMessage(
    bank.raw,
    { sender: '', recipients: [], clientIp: '', helo: '', acceptedDomains: [] },
    defaultScanSettings(),
  );
  assert.match(parsed.facts.subject, /^Report Domain: bank\.test Submitter: gw\.example\.test Report-ID: /);
  const att = parsed.facts.attachments.find((a) => a.name?.endsWith('.xml.gz'));
  assert.match(att?.name ?? '', /^gw\.example\.test!bank\.test!\d+!\d+\.xml\.gz$/);
  const file = parsed.files.find((f) => f.attachmentId === att?.id);
  const f = (xml.parse(gunzipSync(file?.content ?? Buffer.alloc(0)).toString('utf8')) as Feedback).feedback;
  assert.equal(f.policy_published.p, 'reject');
  const [row] = f.record as Row[];
  assert.deepEqual(
    { ip: row?.row.source_ip, count: row?.row.count, disposition: row?.row.policy_evaluated.disposition },
    { ip: '127.0.0.3', count: 1, disposition: 'reject' },
  );
});
