// The C&C / suspicious objects list (SPEC §4): addresses, domains, URLs, IPs and file hashes of
// command-and-control servers and known-bad objects, imported from CSV ("type,value,description")
// and matched on the sender, recipients, Reply-To, URLs, client IP and attachment SHA-256.
//
// Kept in the store (table cnc_objects), not in the settings document: threat feeds run to tens
// of thousands of entries and are replaced wholesale by scheduled imports; in the settings they
// would bloat every settings version, export and validation. The table is shared by the group
// like the settings, and each node keeps a compiled copy it reloads every spam.cnc.refresh.
import ipaddr from 'ipaddr.js';
import type { Kysely, Migration } from 'kysely';
import type { Facts } from '../scan/facts.js';
import { normalizeUrl } from '../scan/parse/urls.js';
import { parseIp } from '../sender/lists.js';
import type { StoreKind } from '../store/store.js';
import type { Database } from '../store/schema.js';
import { addressDomain, asciiDomain, isIpHost, urlHost } from './domains.js';

export type CncType = 'address' | 'domain' | 'url' | 'ip' | 'sha256';
export const CNC_TYPES: readonly CncType[] = ['address', 'domain', 'url', 'ip', 'sha256'];

const TYPE_ALIASES: Record<string, CncType> = {
  address: 'address',
  email: 'address',
  'e-mail': 'address',
  sender: 'address',
  domain: 'domain',
  fqdn: 'domain',
  hostname: 'domain',
  url: 'url',
  uri: 'url',
  ip: 'ip',
  ipv4: 'ip',
  ipv6: 'ip',
  cidr: 'ip',
  network: 'ip',
  sha256: 'sha256',
  'sha-256': 'sha256',
  hash: 'sha256',
  file: 'sha256',
};

export interface CncEntry {
  type: CncType;
  value: string;
  description: string;
}

export type CncWhere = 'sender' | 'from' | 'recipient' | 'reply-to' | 'url' | 'client-ip' | 'attachment';

export interface CncMatch {
  type: CncType;
  /** The list entry that matched. */
  value: string;
  description: string;
  where: CncWhere;
  /** What in the message matched it (the address, URL, IP or attachment name). */
  subject: string;
}

/** Normalised value of an entry, or an explanation of why it is not one. */
export function normalizeEntry(type: CncType, raw: string): { value: string } | { error: string } {
  const v = raw.trim();
  switch (type) {
    case 'address': {
      const at = v.lastIndexOf('@');
      if (at < 1 || at === v.length - 1) return { error: `"${v}" is not an e-mail address` };
      return { value: `${v.slice(0, at).toLowerCase()}@${asciiDomain(v.slice(at + 1))}` };
    }
    case 'domain': {
      const d = asciiDomain(v.replace(/^\*\./, ''));
      if (!/^(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$/.test(d))
        return { error: `"${v}" is not a domain` };
      return { value: d };
    }
    case 'url': {
      const u = normalizeUrl(/^[a-z][a-z0-9+.-]*:\/\//i.test(v) ? v : `http://${v}`);
      return u ? { value: u.replace(/\/$/, '') } : { error: `"${v}" is not a web URL` };
    }
    case 'ip': {
      try {
        if (v.includes('/')) {
          const [addr, bits] = ipaddr.parseCIDR(v);
          return { value: `${addr.toString()}/${bits}` };
        }
        const a = parseIp(v);
        return a ? { value: a.toNormalizedString() } : { error: `"${v}" is not an IP address` };
      } catch {
        return { error: `"${v}" is not an IP address or CIDR block` };
      }
    }
    case 'sha256':
      return /^[0-9a-f]{64}$/i.test(v)
        ? { value: v.toLowerCase() }
        : { error: `"${v}" is not a SHA-256 hash` };
  }
}

/** Splits one CSV line (RFC 4180 quoting; a quoted field cannot span lines here). */
function csvFields(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

export interface CsvResult {
  entries: CncEntry[];
  errors: { line: number; message: string }[];
}

/** Reads "type,value,description" lines; a header line, blank lines and "#" comments are skipped. */
export function parseCncCsv(text: string): CsvResult {
  const result: CsvResult = { entries: [], errors: [] };
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((line, idx) => {
    const n = idx + 1;
    if (line.trim() === '' || line.trimStart().startsWith('#')) return;
    const [rawType = '', rawValue = '', ...rest] = csvFields(line);
    const t = rawType.trim().toLowerCase();
    if (idx === 0 && t === 'type') return;
    const type = TYPE_ALIASES[t];
    if (!type) {
      result.errors.push({
        line: n,
        message: `unknown type "${rawType.trim()}" (use ${CNC_TYPES.join(', ')})`,
      });
      return;
    }
    const norm = normalizeEntry(type, rawValue);
    if ('error' in norm) result.errors.push({ line: n, message: norm.error });
    else result.entries.push({ type, value: norm.value, description: rest.join(',').trim() });
  });
  return result;
}

/** The list compiled for matching. */
export class CncList {
  private readonly byKey = new Map<string, CncEntry>();
  private readonly networks: { range: [ipaddr.IPv4 | ipaddr.IPv6, number]; entry: CncEntry }[] = [];

  constructor(entries: readonly CncEntry[]) {
    for (const e of entries) {
      if (e.type === 'ip' && e.value.includes('/')) {
        try {
          this.networks.push({ range: ipaddr.parseCIDR(e.value), entry: e });
        } catch {
          // normalised on import; a bad row matches nothing
        }
      } else this.byKey.set(`${e.type}:${e.value}`, e);
    }
  }

  get size(): number {
    return this.byKey.size + this.networks.length;
  }

  private get(type: CncType, value: string): CncEntry | undefined {
    return this.byKey.get(`${type}:${value}`);
  }

  /** The entry for a domain or any parent domain of it. */
  private domain(d: string): CncEntry | undefined {
    const host = asciiDomain(d);
    for (let rest = host; rest.includes('.'); rest = rest.slice(rest.indexOf('.') + 1)) {
      const e = this.get('domain', rest);
      if (e) return e;
    }
    return undefined;
  }

  private ip(text: string): CncEntry | undefined {
    const a = parseIp(text.replace(/^\[|\]$/g, ''));
    if (!a) return undefined;
    const exact = this.get('ip', a.toNormalizedString());
    if (exact) return exact;
    return this.networks.find((n) => n.range[0].kind() === a.kind() && a.match(n.range))?.entry;
  }

  private address(address: string): CncEntry | undefined {
    const a = address.trim().toLowerCase();
    if (!a.includes('@')) return undefined;
    const norm = normalizeEntry('address', a);
    const exact = 'value' in norm ? this.get('address', norm.value) : undefined;
    if (exact) return exact;
    const d = addressDomain(a);
    return isIpHost(d) ? this.ip(d) : this.domain(d);
  }

  match(facts: Facts): CncMatch[] {
    if (this.size === 0) return [];
    const out: CncMatch[] = [];
    const seen = new Set<string>();
    const add = (entry: CncEntry | undefined, where: CncWhere, subject: string) => {
      if (!entry || seen.has(`${where}:${entry.type}:${entry.value}`)) return;
      seen.add(`${where}:${entry.type}:${entry.value}`);
      out.push({ type: entry.type, value: entry.value, description: entry.description, where, subject });
    };
    if (facts.envelope.sender) add(this.address(facts.envelope.sender), 'sender', facts.envelope.sender);
    for (const a of facts.from) add(this.address(a.address), 'from', a.address);
    for (const r of new Set([
      ...facts.envelope.recipients,
      ...facts.to.map((a) => a.address),
      ...facts.cc.map((a) => a.address),
    ])) {
      add(this.address(r), 'recipient', r);
    }
    for (const a of facts.replyTo) add(this.address(a.address), 'reply-to', a.address);
    if (facts.envelope.clientIp) add(this.ip(facts.envelope.clientIp), 'client-ip', facts.envelope.clientIp);
    for (const u of facts.urls) {
      const bare = u.replace(/\/$/, '');
      add(this.get('url', bare) ?? this.get('url', bare.replace(/[?#].*$/, '')), 'url', u);
      const host = urlHost(u);
      add(isIpHost(host) ? this.ip(host) : this.domain(host), 'url', u);
    }
    for (const a of facts.attachments) add(this.get('sha256', a.sha256), 'attachment', a.name ?? a.id);
    return out;
  }
}

/** Table cnc_objects. */
export interface CncObjectsTable {
  type: string;
  value: string;
  description: string;
  /** Where the entry came from: the imported file's name, "cli", "console". */
  source: string;
  added_at: number;
}

type Db = Kysely<{ cnc_objects: CncObjectsTable }>;

/** Migration for src/store/migrations.ts (the lead adds it under the next free number). */
export function cncMigration(kind: StoreKind): Migration {
  const time = kind === 'postgres' ? 'bigint' : 'integer';
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('cnc_objects')
        .addColumn('type', 'varchar(10)', (c) => c.notNull())
        .addColumn('value', 'varchar(2048)', (c) => c.notNull())
        .addColumn('description', 'text', (c) => c.notNull())
        .addColumn('source', 'varchar(255)', (c) => c.notNull())
        .addColumn('added_at', time, (c) => c.notNull())
        .addPrimaryKeyConstraint('cnc_objects_pk', ['type', 'value'])
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('cnc_objects').execute();
    },
  };
}

export class CncRepository {
  private readonly db: Db;

  constructor(db: Kysely<Database>) {
    this.db = db as unknown as Db;
  }

  /** Adds (or updates the description of) entries; with replace, the list becomes exactly these. */
  async import(entries: readonly CncEntry[], opts: { source: string; replace?: boolean }): Promise<number> {
    const at = Date.now();
    const unique = new Map(entries.map((e) => [`${e.type}:${e.value}`, e]));
    await this.db.transaction().execute(async (trx) => {
      if (opts.replace) await trx.deleteFrom('cnc_objects').execute();
      const rows = [...unique.values()].map((e) => ({ ...e, source: opts.source, added_at: at }));
      for (let i = 0; i < rows.length; i += 500) {
        await trx
          .insertInto('cnc_objects')
          .values(rows.slice(i, i + 500))
          .onConflict((oc) =>
            oc.columns(['type', 'value']).doUpdateSet((eb) => ({
              description: eb.ref('excluded.description'),
              source: eb.ref('excluded.source'),
            })),
          )
          .execute();
      }
    });
    return unique.size;
  }

  async list(
    opts: { type?: CncType; limit?: number } = {},
  ): Promise<(CncEntry & { source: string; addedAt: number })[]> {
    let q = this.db.selectFrom('cnc_objects').selectAll().orderBy('type').orderBy('value');
    if (opts.type) q = q.where('type', '=', opts.type);
    if (opts.limit !== undefined) q = q.limit(opts.limit);
    const rows = await q.execute();
    return rows.map((r) => ({
      type: r.type as CncType,
      value: r.value,
      description: r.description,
      source: r.source,
      addedAt: Number(r.added_at),
    }));
  }

  async remove(type: CncType, value: string): Promise<boolean> {
    const r = await this.db
      .deleteFrom('cnc_objects')
      .where('type', '=', type)
      .where('value', '=', value)
      .executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  async clear(): Promise<number> {
    const r = await this.db.deleteFrom('cnc_objects').executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  async load(): Promise<CncList> {
    return new CncList(await this.list());
  }
}

/** A node's compiled copy of the list, reloaded from the store when older than `refresh` ms. */
export class CncCache {
  private list: CncList | undefined;
  private loadedAt = 0;
  private loading: Promise<CncList> | undefined;

  constructor(
    private readonly repo: CncRepository,
    private readonly refresh: () => number,
  ) {}

  async get(): Promise<CncList> {
    if (this.list && Date.now() - this.loadedAt < this.refresh()) return this.list;
    this.loading ??= this.repo.load().finally(() => (this.loading = undefined));
    try {
      this.list = await this.loading;
      this.loadedAt = Date.now();
    } catch (e) {
      // A store hiccup keeps the last list rather than matching nothing.
      if (!this.list) throw e;
    }
    return this.list;
  }

  /** Forces a reload on the next get() (after an import on this node). */
  invalidate(): void {
    this.loadedAt = 0;
  }
}
