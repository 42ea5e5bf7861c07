// The RFC 7208 SPF test suite (openspf.org 2014.04, shipped by Debian's python3-spf as
// /usr/share/doc/python3-spf/rfc7208-tests.yml.gz): each scenario's zone data is served by a
// real DNS server (dnsmasq) and checkSpf() — what authenticate() runs — must give the expected
// result.
//
// As the suite's own drivers do, "SPF" (type 99) records are served as TXT when a name lists no
// TXT records, and TIMEOUT makes the name's other queries time out. dnsmasq's configuration
// cannot hold control characters (CR, LF, NUL) in a record nor spaces, ":" or "/" in a name;
// scenarios that reach such data are skipped and listed. Non-ASCII bytes are served UTF-8
// encoded, which keeps them non-ASCII (what those scenarios test).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { parseAllDocuments } from 'yaml';
import { checkSpf } from '../../src/auth/spf.js';
import { createAuthResolver } from '../../src/auth/dns.js';
import { startDnsServer, type DnsRecords, type DnsServer } from '../helpers/dns-server.js';

const SUITE = '/usr/share/doc/python3-spf/rfc7208-tests.yml.gz';

type ZoneRecord = string | Record<string, unknown>;
interface Scenario {
  helo: string;
  host: string;
  mailfrom: string;
  result: string | string[];
}
interface Group {
  description: string;
  tests: Record<string, Scenario>;
  zonedata?: Record<string, ZoneRecord[]>;
}

// eslint-disable-next-line no-control-regex -- control characters are what it matches
const CONTROL = /[\x00-\x1f]/;
const servableName = (n: string) => /^[A-Za-z0-9._-]+$/.test(n);

/** The group's zone data as dnsmasq records, and the names it cannot serve faithfully. */
function toRecords(zone: Record<string, ZoneRecord[]>): { records: DnsRecords; unservable: Set<string> } {
  const records: Required<Pick<DnsRecords, 'a' | 'mx' | 'txt' | 'ptr' | 'cname' | 'unanswered'>> = {
    a: [],
    mx: [],
    txt: [],
    ptr: [],
    cname: [],
    unanswered: [],
  };
  const unservable = new Set<string>();
  for (const [name, list] of Object.entries(zone)) {
    if (!servableName(name)) {
      unservable.add(name.toLowerCase());
      continue;
    }
    const entries = list.filter((r): r is Record<string, unknown> => typeof r === 'object');
    const hasTxt = entries.some((r) => 'TXT' in r);
    if (list.includes('TIMEOUT')) records.unanswered.push(name);
    for (const r of entries) {
      const [type, value] = Object.entries(r)[0] as [string, unknown];
      if (type === 'TXT' || (type === 'SPF' && !hasTxt)) {
        if (value === 'NONE') continue;
        const strings = (Array.isArray(value) ? value : [value]).map(String);
        if (strings.some((s) => CONTROL.test(s))) {
          unservable.add(name.toLowerCase());
          continue;
        }
        records.txt.push({ name, text: strings.length === 0 ? '' : strings });
      } else if (type === 'A' || type === 'AAAA') records.a.push({ name, address: String(value) });
      else if (type === 'MX') {
        const [preference, exchange] = value as [number, string];
        // An empty exchange is the null MX ".".
        if (exchange !== '' && !servableName(exchange)) unservable.add(name.toLowerCase());
        else records.mx.push({ name, exchange: exchange === '' ? '.' : exchange, preference });
      } else if (type === 'PTR') records.ptr.push({ name, target: String(value).replace(/\.$/, '') });
      else if (type === 'CNAME') records.cname.push({ name, target: String(value).replace(/\.$/, '') });
    }
  }
  // dnsmasq refuses to start with a CNAME loop (which the suite uses on purpose).
  const target = new Map(records.cname.map((c) => [c.name.toLowerCase(), c.target.toLowerCase()]));
  const looping = new Set<string>();
  for (const start of target.keys()) {
    const path: string[] = [];
    for (let n: string | undefined = start; n !== undefined; n = target.get(n)) {
      if (path.includes(n)) {
        path.slice(path.indexOf(n)).forEach((x) => looping.add(x));
        break;
      }
      path.push(n);
    }
  }
  records.cname = records.cname.filter((c) => !looping.has(c.name.toLowerCase()));
  for (const n of looping) unservable.add(n);
  // TIMEOUT is for the name itself; dnsmasq would let its subdomains time out too, so names
  // below it that have records get their own zone (their other types answer NODATA).
  const names = Object.keys(zone).filter(servableName);
  const zones = new Set(['test', 'example', 'invalid', ...names.map((n) => n.split('.').pop() as string)]);
  for (const n of names)
    if (records.unanswered.some((t) => n.toLowerCase().endsWith(`.${t.toLowerCase()}`))) zones.add(n);
  return { records: { ...records, zones: [...zones] }, unservable };
}

/** Names of the zone a scenario can reach: its domain, then every name its records mention. */
function reachable(zone: Record<string, ZoneRecord[]>, start: string): Set<string> {
  const lower = new Map(Object.entries(zone).map(([n, v]) => [n.toLowerCase(), v]));
  const seen = new Set<string>();
  const queue = [start.toLowerCase()];
  while (queue.length > 0) {
    const n = queue.pop() as string;
    if (seen.has(n)) continue;
    seen.add(n);
    // The literal macro escapes (RFC 7208 §7.2) spell names too: "%_" is a space, "%-" is "%20".
    const text = JSON.stringify(lower.get(n) ?? [])
      .toLowerCase()
      .replace(/%%/g, '%')
      .replace(/%_/g, ' ')
      .replace(/%-/g, '%20');
    for (const other of lower.keys()) if (!seen.has(other) && text.includes(other)) queue.push(other);
  }
  return seen;
}

const domainOf = (s: Scenario) =>
  s.mailfrom.includes('@') ? s.mailfrom.slice(s.mailfrom.lastIndexOf('@') + 1) : s.mailfrom || s.helo;

let dns: DnsServer;
before(async () => {
  dns = await startDnsServer({});
});
after(async () => {
  await dns.stop();
});

test(
  'RFC 7208 test suite',
  { skip: !existsSync(SUITE) && `${SUITE} missing (apt-get install python3-spf)` },
  async (t) => {
    const groups = parseAllDocuments(gunzipSync(readFileSync(SUITE)).toString('latin1')).map(
      (d) => d.toJS() as Group,
    );
    const skipped: string[] = [];
    const failed: string[] = [];
    let passed = 0;
    for (const g of groups) {
      const zone = g.zonedata ?? {};
      const { records, unservable } = toRecords(zone);
      await dns.update(records);
      const lookup = () => createAuthResolver({ resolvers: [dns.address], timeout: 300, tries: 1 });
      for (const [name, s] of Object.entries(g.tests)) {
        const reach = reachable(zone, domainOf(s));
        const blocked = [...reach].filter((n) => unservable.has(n));
        if (blocked.length > 0) {
          skipped.push(`${g.description} / ${name} (needs ${blocked.join(', ')})`);
          continue;
        }
        const r = await checkSpf(
          { ip: s.host, helo: s.helo, sender: s.mailfrom, mta: 'gw.sekimori.test' },
          lookup(),
        );
        const want = Array.isArray(s.result) ? s.result : [s.result];
        if (want.includes(r.result)) passed++;
        else
          failed.push(
            `${g.description} / ${name}: expected ${want.join('|')}, got ${r.result} (${r.comment ?? ''})`,
          );
      }
    }
    t.diagnostic(`passed ${passed}, skipped ${skipped.length}: ${skipped.join('; ')}`);
    // Where mailauth 4.13's SPF evaluation departs from the suite (listed so that a mailauth that
    // fixes them shows up as a changed list; nothing else may fail). None turns a failure into a
    // pass: they are permerror vs fail/neutral on broken records and HELO macros.
    assert.deepEqual(
      failed.map((f) => f.slice(0, f.indexOf(':'))),
      [
        'IP6 mechanism syntax / bare-ip6', // "ip6" without an address: permerror; mailauth: fail
        'Semantics of exp and other modifiers / exp-syntax-error', // "exp=" empty: permerror; mailauth: neutral
        'Semantics of exp and other modifiers / exp-twice', // exp= twice: permerror; mailauth: fail
        'Macro expansion rules / exp-only-macro-char', // bad macro in exp=: permerror; mailauth: fail
        'Macro expansion rules / p-macro-multiple', // %{p} should prefer the subdomain PTR name; mailauth: neutral
        'Macro expansion rules / invalid-hello-macro', // %{h} of a bad HELO is no match (fail); mailauth: permerror
        'Macro expansion rules / hello-domain-literal', // same with "[192.168.218.40]"
        'Macro expansion rules / require-valid-helo', // same with "OEMCOMPUTER"
      ],
      failed.join('\n'),
    );
    assert.ok(passed >= 180, `only ${passed} scenarios passed`);
  },
);
