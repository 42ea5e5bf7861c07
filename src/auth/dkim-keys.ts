// DKIM signing keys, per domain and selector, kept in the store (table dkim_keys) so every
// node of a group signs with the same keys. A domain's newest key is its active one; keys it
// replaced stay, "retired", until removed, so their DNS records can stay published while mail
// signed with them is still in flight.
import { createPrivateKey, createPublicKey, generateKeyPair, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import type { Kysely, Migration } from 'kysely';
import type { Store, StoreKind } from '../store/store.js';
import { DOMAIN_RE } from '../config/host-port.js';
import { isSelector } from './auth-settings.js';

export type DkimKeyType = 'rsa' | 'ed25519';
export type DkimKeyStatus = 'active' | 'retired';

export interface DkimKey {
  domain: string;
  selector: string;
  type: DkimKeyType;
  bits: number;
  /** PKCS#8 PEM. */
  privateKey: string;
  /** The p= value of the DNS record (RSA: SubjectPublicKeyInfo; Ed25519: the raw 32 bytes, RFC 8463). */
  publicKey: string;
  status: DkimKeyStatus;
  createdAt: number;
  retiredAt?: number;
}

/** Table dkim_keys (times epoch ms, as in the other tables). */
export interface DkimKeysTable {
  domain: string;
  selector: string;
  key_type: string;
  bits: number;
  private_key: string;
  public_key: string;
  status: string;
  created_at: number;
  retired_at: number | null;
}

type Db = Kysely<{ dkim_keys: DkimKeysTable }>;

/** Migration for src/store/migrations.ts (the lead adds it as 0004_dkim_keys). */
export function dkimKeysMigration(kind: StoreKind): Migration {
  const time = kind === 'postgres' ? 'bigint' : 'integer';
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('dkim_keys')
        .addColumn('domain', 'varchar(253)', (c) => c.notNull())
        .addColumn('selector', 'varchar(253)', (c) => c.notNull())
        .addColumn('key_type', 'varchar(16)', (c) => c.notNull())
        .addColumn('bits', 'integer', (c) => c.notNull())
        .addColumn('private_key', 'text', (c) => c.notNull())
        .addColumn('public_key', 'text', (c) => c.notNull())
        .addColumn('status', 'varchar(16)', (c) => c.notNull())
        .addColumn('created_at', time, (c) => c.notNull())
        .addColumn('retired_at', time)
        .addPrimaryKeyConstraint('dkim_keys_pk', ['domain', 'selector'])
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('dkim_keys').execute();
    },
  };
}

/** What went wrong, so the CLI can pick an exit code. */
export class DkimKeyError extends Error {
  constructor(
    message: string,
    readonly kind: 'invalid' | 'exists' | 'not-found' | 'active',
  ) {
    super(message);
  }
}

export interface KeyMaterial {
  type: DkimKeyType;
  bits: number;
  privateKey: string;
  publicKey: string;
}

/** RFC 8301: signers must use at least 1024 bits; we generate 2048. */
const MIN_IMPORT_BITS = 1024;
const GENERATED_RSA_BITS = 2048;

function material(key: KeyObject): KeyMaterial {
  const type = key.asymmetricKeyType;
  if (type !== 'rsa' && type !== 'ed25519')
    throw new DkimKeyError(`a ${type ?? 'unknown'} key cannot sign DKIM (use RSA or Ed25519)`, 'invalid');
  const pub = createPublicKey(key);
  const spki = pub.export({ type: 'spki', format: 'der' });
  const bits = type === 'rsa' ? (key.asymmetricKeyDetails?.modulusLength ?? 0) : 256;
  if (type === 'rsa' && bits < MIN_IMPORT_BITS)
    throw new DkimKeyError(
      `RSA key of ${bits} bits is too short (at least ${MIN_IMPORT_BITS}, 2048 advised)`,
      'invalid',
    );
  return {
    type,
    bits,
    privateKey: key.export({ type: 'pkcs8', format: 'pem' }).toString(),
    // Ed25519 SPKI is a fixed 12-byte prefix and the 32-byte key, which alone goes in p=.
    publicKey: (type === 'ed25519' ? spki.subarray(spki.length - 32) : spki).toString('base64'),
  };
}

const generate = promisify(generateKeyPair);

export async function generateKeyMaterial(type: DkimKeyType): Promise<KeyMaterial> {
  const { privateKey } =
    type === 'rsa'
      ? await generate('rsa', { modulusLength: GENERATED_RSA_BITS })
      : await generate('ed25519', {});
  return material(privateKey);
}

/** A private key in PEM (PKCS#1 or PKCS#8, RSA or Ed25519), as another signer exported it. */
export function keyMaterialFromPem(pem: string): KeyMaterial {
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: 'pem' });
  } catch (e) {
    const hint = /PUBLIC KEY|CERTIFICATE/.test(pem) ? ' (this is a public key or certificate)' : '';
    throw new DkimKeyError(`not a private key in PEM${hint}: ${(e as Error).message}`, 'invalid');
  }
  return material(key);
}

export interface DkimDnsRecord {
  /** "selector._domainkey.domain" */
  name: string;
  /** The record text, e.g. "v=DKIM1; k=rsa; p=…". */
  value: string;
  /** The value cut into DNS character-strings of at most 255 bytes. */
  strings: string[];
  /** A zone-file line: `name. IN TXT "…" "…"`. */
  text: string;
}

/** The TXT record to publish for a key. */
export function dnsRecord(key: Pick<DkimKey, 'domain' | 'selector' | 'type' | 'publicKey'>): DkimDnsRecord {
  const name = `${key.selector}._domainkey.${key.domain}`;
  const value = `v=DKIM1; k=${key.type}; p=${key.publicKey}`;
  const strings: string[] = [];
  // The value is ASCII, so 255 characters are 255 bytes.
  for (let i = 0; i < value.length; i += 255) strings.push(value.slice(i, i + 255));
  return { name, value, strings, text: `${name}. IN TXT ${strings.map((s) => `"${s}"`).join(' ')}` };
}

export function normalizeDomain(domain: string): string {
  const d = domain.trim().toLowerCase().replace(/\.$/, '');
  if (!DOMAIN_RE.test(d) || d.startsWith('*.'))
    throw new DkimKeyError(`"${domain}" is not a domain name`, 'invalid');
  return d;
}

export function normalizeSelector(selector: string): string {
  const s = selector.trim().toLowerCase();
  if (!isSelector(s))
    throw new DkimKeyError(
      `"${selector}" is not a selector (letters, digits and "-", labels split by ".")`,
      'invalid',
    );
  return s;
}

function fromRow(r: DkimKeysTable): DkimKey {
  return {
    domain: r.domain,
    selector: r.selector,
    type: r.key_type as DkimKeyType,
    bits: Number(r.bits),
    privateKey: r.private_key,
    publicKey: r.public_key,
    status: r.status as DkimKeyStatus,
    createdAt: Number(r.created_at),
    ...(r.retired_at === null ? {} : { retiredAt: Number(r.retired_at) }),
  };
}

/** A selector not used yet for the domain: "s20261128", then "s20261128-2", … */
function freshSelector(now: number, taken: Set<string>): string {
  const base = `s${new Date(now).toISOString().slice(0, 10).replace(/-/g, '')}`;
  if (!taken.has(base)) return base;
  for (let n = 2; ; n++) if (!taken.has(`${base}-${n}`)) return `${base}-${n}`;
}

export class DkimKeyStore {
  private readonly db: Db;

  constructor(
    store: Store,
    private readonly now: () => number = Date.now,
  ) {
    this.db = store.db.withTables<{ dkim_keys: DkimKeysTable }>() as unknown as Db;
  }

  /** Every key (of one domain), active first, then newest first. */
  async list(domain?: string): Promise<DkimKey[]> {
    let q = this.db.selectFrom('dkim_keys').selectAll();
    if (domain !== undefined) q = q.where('domain', '=', normalizeDomain(domain));
    const rows = await q.orderBy('domain').orderBy('status').orderBy('created_at', 'desc').execute();
    return rows.map(fromRow);
  }

  async get(domain: string, selector: string): Promise<DkimKey | undefined> {
    const row = await this.db
      .selectFrom('dkim_keys')
      .selectAll()
      .where('domain', '=', normalizeDomain(domain))
      .where('selector', '=', normalizeSelector(selector))
      .executeTakeFirst();
    return row ? fromRow(row) : undefined;
  }

  async active(domain: string): Promise<DkimKey | undefined> {
    const row = await this.db
      .selectFrom('dkim_keys')
      .selectAll()
      .where('domain', '=', normalizeDomain(domain))
      .where('status', '=', 'active')
      .executeTakeFirst();
    return row ? fromRow(row) : undefined;
  }

  /** Stores a key as the domain's active one; the key it replaces is retired. */
  async add(domain: string, selector: string | undefined, m: KeyMaterial): Promise<DkimKey> {
    const d = normalizeDomain(domain);
    const at = this.now();
    return this.db.transaction().execute(async (tx) => {
      const existing = await tx.selectFrom('dkim_keys').select('selector').where('domain', '=', d).execute();
      const taken = new Set(existing.map((r) => r.selector));
      const s = selector === undefined ? freshSelector(at, taken) : normalizeSelector(selector);
      if (taken.has(s)) throw new DkimKeyError(`${d} already has a key with selector ${s}`, 'exists');
      await tx
        .updateTable('dkim_keys')
        .set({ status: 'retired', retired_at: at })
        .where('domain', '=', d)
        .where('status', '=', 'active')
        .execute();
      const row: DkimKeysTable = {
        domain: d,
        selector: s,
        key_type: m.type,
        bits: m.bits,
        private_key: m.privateKey,
        public_key: m.publicKey,
        status: 'active',
        created_at: at,
        retired_at: null,
      };
      await tx.insertInto('dkim_keys').values(row).execute();
      return fromRow(row);
    });
  }

  async generate(domain: string, o: { selector?: string; type?: DkimKeyType } = {}): Promise<DkimKey> {
    // Validate before the (slow) generation.
    normalizeDomain(domain);
    if (o.selector !== undefined) normalizeSelector(o.selector);
    return this.add(domain, o.selector, await generateKeyMaterial(o.type ?? 'rsa'));
  }

  async import(domain: string, selector: string, pem: string): Promise<DkimKey> {
    return this.add(domain, selector, keyMaterialFromPem(pem));
  }

  /** A new key under a new selector becomes active; the old one is kept, retired. */
  async rotate(domain: string, o: { type?: DkimKeyType } = {}): Promise<{ key: DkimKey; previous: DkimKey }> {
    const previous = await this.active(domain);
    if (!previous)
      throw new DkimKeyError(`${normalizeDomain(domain)} has no active key to rotate`, 'not-found');
    const key = await this.add(domain, undefined, await generateKeyMaterial(o.type ?? previous.type));
    return { key, previous: { ...previous, status: 'retired', retiredAt: key.createdAt } };
  }

  /** Deletes a key; the active one only with `force` (the domain then goes unsigned). */
  async remove(domain: string, selector: string, o: { force?: boolean } = {}): Promise<DkimKey> {
    const key = await this.get(domain, selector);
    if (!key)
      throw new DkimKeyError(
        `no key ${normalizeSelector(selector)} for ${normalizeDomain(domain)}`,
        'not-found',
      );
    if (key.status === 'active' && !o.force)
      throw new DkimKeyError(
        `${key.selector} is the active key of ${key.domain}; rotate first, or remove it with --force (mail from ${key.domain} then goes unsigned)`,
        'active',
      );
    await this.db
      .deleteFrom('dkim_keys')
      .where('domain', '=', key.domain)
      .where('selector', '=', key.selector)
      .execute();
    return key;
  }
}
