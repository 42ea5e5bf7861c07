// DMARC aggregate reports (RFC 7489 §7.2, Appendix C): every DMARC result of inbound mail is
// counted in the store per day, policy domain, source IP, disposition and authentication
// results; `sekimori dmarc report` turns a period of those counts into one XML report per
// domain that asks for them (rua=mailto:…), gzipped, as the RFC names and sends them.
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { sql, type Kysely, type Migration } from 'kysely';
import type { Database } from '../store/schema.js';
import type { StoreKind } from '../store/store.js';
import type { AuthResults, DmarcPolicy } from './types.js';
import { BatchWriter, chunks } from '../log/batch-writer.js';
import type { Logger } from '../util/log.js';

export interface DmarcResultsTable {
  /** Hash of every other key column: one row per distinct combination and day. */
  row_key: string;
  /** UTC day, YYYY-MM-DD. */
  day: string;
  /** The domain whose record applied (organizational domain when the From domain has none). */
  policy_domain: string;
  header_from: string;
  source_ip: string;
  disposition: string;
  /** DMARC-aligned outcomes (pass / fail). */
  dkim_aligned: string;
  spf_aligned: string;
  /** The first DKIM signature's domain and result, and SPF's domain and result, as checked. */
  dkim_domain: string;
  dkim_result: string;
  spf_domain: string;
  spf_result: string;
  count: number;
  /** The record text last seen for the domain (its rua=, p=, adkim=…). */
  record: string;
  pct: number;
  updated_at: number;
}

type Db = Kysely<{ dmarc_results: DmarcResultsTable }>;

/** Migration for src/store/migrations.ts. */
export function dmarcResultsMigration(kind: StoreKind): Migration {
  const big = kind === 'postgres' ? 'bigint' : 'integer';
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('dmarc_results')
        .addColumn('row_key', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('day', 'varchar(10)', (c) => c.notNull())
        .addColumn('policy_domain', 'text', (c) => c.notNull())
        .addColumn('header_from', 'text', (c) => c.notNull())
        .addColumn('source_ip', 'text', (c) => c.notNull())
        .addColumn('disposition', 'text', (c) => c.notNull())
        .addColumn('dkim_aligned', 'text', (c) => c.notNull())
        .addColumn('spf_aligned', 'text', (c) => c.notNull())
        .addColumn('dkim_domain', 'text', (c) => c.notNull())
        .addColumn('dkim_result', 'text', (c) => c.notNull())
        .addColumn('spf_domain', 'text', (c) => c.notNull())
        .addColumn('spf_result', 'text', (c) => c.notNull())
        .addColumn('count', 'integer', (c) => c.notNull())
        .addColumn('record', 'text', (c) => c.notNull())
        .addColumn('pct', 'integer', (c) => c.notNull())
        .addColumn('updated_at', big, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('dmarc_results_day').on('dmarc_results').column('day').execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('dmarc_results').execute();
    },
  };
}

const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** The report's disposition: what the receiver did (RFC 7489 "none", "quarantine", "reject"). */
function disposition(auth: AuthResults): DmarcPolicy {
  const a = auth.dmarc?.action;
  return a === 'reject' || a === 'quarantine' ? a : 'none';
}

/** The row an authenticated message adds to, or undefined when there was no DMARC record. */
export function dmarcRow(
  auth: AuthResults,
  sourceIp: string,
  at: number,
): Omit<DmarcResultsTable, 'count'> | undefined {
  const d = auth.dmarc;
  if (!d || !d.record || (d.result !== 'pass' && d.result !== 'fail')) return undefined;
  const dkim = auth.dkim[0];
  const key = {
    day: dayOf(at),
    policy_domain: (d.recordDomain ?? d.domain).toLowerCase(),
    header_from: d.domain.toLowerCase(),
    source_ip: sourceIp,
    disposition: disposition(auth),
    dkim_aligned: d.alignment.dkim.aligned ? 'pass' : 'fail',
    spf_aligned: d.alignment.spf.aligned ? 'pass' : 'fail',
    dkim_domain: dkim?.domain ?? '',
    dkim_result: dkim ? dkim.result : 'none',
    spf_domain: auth.spf?.domain ?? '',
    spf_result: auth.spf?.result ?? 'none',
  };
  const row_key = createHash('sha256').update(JSON.stringify(key)).digest('hex');
  return { row_key, ...key, record: d.record, pct: d.pct, updated_at: at };
}

/**
 * The counts in the store. Results are counted in memory and written together one flush
 * interval later (like the other logs), so inbound mail never waits on a write per message.
 */
export class DmarcResultLog extends BatchWriter<DmarcResultsTable> {
  private readonly db: Db;

  constructor(
    private readonly database: Kysely<Database>,
    log: Logger,
    flushIntervalMs = 1000,
  ) {
    super(log, 'cannot write DMARC results; will retry', flushIntervalMs);
    this.db = database as unknown as Db;
  }

  /** Purges days older than DMARC_RETENTION_DAYS now and then every hour. */
  startRetention(intervalMs = 3_600_000): void {
    this.startPurging(
      () => purgeDmarcResults(this.database, Date.now() - DMARC_RETENTION_DAYS * DAY_MS),
      'cannot purge old DMARC results',
      intervalMs,
    );
  }

  /** Counts one message's DMARC result (nothing when its domain publishes no record). */
  record(auth: AuthResults, sourceIp: string, at = Date.now()): void {
    const row = dmarcRow(auth, sourceIp, at);
    if (row) this.push({ ...row, count: 1 });
  }

  protected async write(items: DmarcResultsTable[]): Promise<void> {
    // one row per combination, whatever the number of messages; the latest record and pct win
    const sums = new Map<string, DmarcResultsTable>();
    for (const item of items) {
      const seen = sums.get(item.row_key);
      sums.set(item.row_key, seen ? { ...item, count: seen.count + item.count } : item);
    }
    for (const rows of chunks([...sums.values()], 100)) {
      await this.db
        .insertInto('dmarc_results')
        .values(rows)
        .onConflict((oc) =>
          oc.column('row_key').doUpdateSet({
            count: sql<number>`dmarc_results.count + excluded.count`,
            record: sql<string>`excluded.record`,
            pct: sql<number>`excluded.pct`,
            updated_at: sql<number>`excluded.updated_at`,
          }),
        )
        .execute();
    }
  }
}

/**
 * Days of results kept: reports are sent for yesterday, and a month leaves time to send a
 * missed day again (`sekimori dmarc report --day`).
 */
export const DMARC_RETENTION_DAYS = 31;
const DAY_MS = 86_400_000;

/** Removes the results of the UTC days before the day of `before` (epoch ms); returns rows removed. */
export async function purgeDmarcResults(db: Kysely<Database>, before: number): Promise<number> {
  const r = await (db as unknown as Db)
    .deleteFrom('dmarc_results')
    .where('day', '<', dayOf(before))
    .executeTakeFirst();
  return Number(r.numDeletedRows);
}

/** The counted rows of the UTC days from `from` to `to` (inclusive, YYYY-MM-DD). */
export function dmarcResultRows(
  db: Kysely<Database>,
  from: string,
  to: string,
): Promise<DmarcResultsTable[]> {
  return (db as unknown as Db)
    .selectFrom('dmarc_results')
    .selectAll()
    .where('day', '>=', from)
    .where('day', '<=', to)
    .orderBy('policy_domain')
    .orderBy('source_ip')
    .execute();
}

/** The tags of a DMARC record ("v=DMARC1; p=reject; rua=mailto:a@b"). */
export function recordTags(record: string): Map<string, string> {
  const tags = new Map<string, string>();
  for (const part of record.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) tags.set(part.slice(0, eq).trim().toLowerCase(), part.slice(eq + 1).trim());
  }
  return tags;
}

/** The mailto: addresses of rua= (size limits "!10m" dropped); other schemes are ignored. */
export function ruaAddresses(record: string): string[] {
  const rua = recordTags(record).get('rua') ?? '';
  return rua
    .split(',')
    .map((u) => u.trim())
    .filter((u) => /^mailto:/i.test(u))
    .map((u) => decodeURIComponent(u.slice(7).replace(/!.*$/, '')))
    .filter((a) => /^[^\s@]+@[^\s@]+$/.test(a));
}

const esc = (s: string) =>
  s.replace(
    /[<>&'"]/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] ?? c,
  );

export interface ReportMeta {
  /** Who reports (org_name), its contact address (email) and the receiving domain (file name). */
  orgName: string;
  email: string;
  receiver: string;
  /** The period, epoch seconds (date_range). */
  begin: number;
  end: number;
}

export interface AggregateReport {
  domain: string;
  rua: string[];
  reportId: string;
  /** RFC 7489 §7.2.1.1: receiver "!" policy domain "!" begin "!" end ".xml.gz". */
  filename: string;
  xml: string;
  gzip: Buffer;
  messages: number;
}

function policyPublished(domain: string, record: string, pct: number): string {
  const t = recordTags(record);
  const p = t.get('p') ?? 'none';
  return [
    '  <policy_published>',
    `    <domain>${esc(domain)}</domain>`,
    `    <adkim>${t.get('adkim') === 's' ? 's' : 'r'}</adkim>`,
    `    <aspf>${t.get('aspf') === 's' ? 's' : 'r'}</aspf>`,
    `    <p>${esc(p)}</p>`,
    `    <sp>${esc(t.get('sp') ?? p)}</sp>`,
    `    <pct>${pct}</pct>`,
    '  </policy_published>',
  ].join('\n');
}

function recordXml(r: DmarcResultsTable): string {
  return [
    '  <record>',
    '    <row>',
    `      <source_ip>${esc(r.source_ip)}</source_ip>`,
    `      <count>${r.count}</count>`,
    '      <policy_evaluated>',
    `        <disposition>${esc(r.disposition)}</disposition>`,
    `        <dkim>${esc(r.dkim_aligned)}</dkim>`,
    `        <spf>${esc(r.spf_aligned)}</spf>`,
    '      </policy_evaluated>',
    '    </row>',
    '    <identifiers>',
    `      <header_from>${esc(r.header_from)}</header_from>`,
    '    </identifiers>',
    '    <auth_results>',
    ...(r.dkim_domain
      ? [
          '      <dkim>',
          `        <domain>${esc(r.dkim_domain)}</domain>`,
          `        <result>${esc(r.dkim_result)}</result>`,
          '      </dkim>',
        ]
      : []),
    '      <spf>',
    `        <domain>${esc(r.spf_domain)}</domain>`,
    `        <result>${esc(r.spf_result)}</result>`,
    '      </spf>',
    '    </auth_results>',
    '  </record>',
  ].join('\n');
}

/** One report per policy domain with rows in the period (and an rua address to send to). */
export function buildAggregateReports(
  rows: readonly DmarcResultsTable[],
  meta: ReportMeta,
): AggregateReport[] {
  const byDomain = new Map<string, DmarcResultsTable[]>();
  for (const r of rows) byDomain.set(r.policy_domain, [...(byDomain.get(r.policy_domain) ?? []), r]);
  const reports: AggregateReport[] = [];
  for (const [domain, list] of byDomain) {
    const latest = list.reduce((a, b) => (b.updated_at > a.updated_at ? b : a));
    const reportId = `${meta.receiver}-${domain}-${meta.begin}`;
    const xml = [
      '<?xml version="1.0" encoding="UTF-8"?>',
      '<feedback>',
      '  <version>1.0</version>',
      '  <report_metadata>',
      `    <org_name>${esc(meta.orgName)}</org_name>`,
      `    <email>${esc(meta.email)}</email>`,
      `    <report_id>${esc(reportId)}</report_id>`,
      '    <date_range>',
      `      <begin>${meta.begin}</begin>`,
      `      <end>${meta.end}</end>`,
      '    </date_range>',
      '  </report_metadata>',
      policyPublished(domain, latest.record, latest.pct),
      ...list.map(recordXml),
      '</feedback>',
      '',
    ].join('\n');
    reports.push({
      domain,
      rua: ruaAddresses(latest.record),
      reportId,
      filename: `${meta.receiver}!${domain}!${meta.begin}!${meta.end}.xml.gz`,
      xml,
      gzip: gzipSync(xml),
      messages: list.reduce((n, r) => n + r.count, 0),
    });
  }
  return reports;
}
