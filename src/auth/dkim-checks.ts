// The RFC 6376 checks mailauth leaves out, run on every DKIM-Signature before its verdict is
// taken: tags of the signature (§3.5, §6.1.1) and of the key record (§3.6.1, §6.1.2), in the
// order the RFC gives, so a signature with a bad key is "permerror" whatever its body hash, and
// a signature mailauth silently skips (unknown algorithm, canonicalization) is reported.
import { createPublicKey } from 'node:crypto';
import { dnsErrorCode, isNoRecord, type AuthLookup } from './dns.js';

export type DkimResult = 'pass' | 'fail' | 'neutral' | 'policy' | 'temperror' | 'permerror' | 'none';

export interface TagList {
  tags: Map<string, string>;
  /** Names in the order written (RFC 6376 wants v= first in a key record). */
  order: string[];
  error?: string;
}

/** RFC 6376 §3.2 tag=value list. Values are unfolded and trimmed; a repeated tag is an error. */
export function parseTagList(text: string): TagList {
  const tags = new Map<string, string>();
  const order: string[] = [];
  const parts = text.replace(/\r?\n/g, '').split(';');
  // one trailing ";" is allowed
  if (parts.length > 1 && (parts[parts.length - 1] as string).trim() === '') parts.pop();
  for (const part of parts) {
    const eq = part.indexOf('=');
    if (eq < 0) return { tags, order, error: `tag without "=": "${part.trim().slice(0, 40)}"` };
    const name = part.slice(0, eq).trim();
    if (!/^[a-z][a-z0-9_]*$/i.test(name))
      return { tags, order, error: `bad tag name "${name.slice(0, 40)}"` };
    const key = name.toLowerCase();
    if (tags.has(key)) return { tags, order, error: `tag ${key}= repeated` };
    tags.set(key, part.slice(eq + 1).trim());
    order.push(key);
  }
  return { tags, order };
}

/** dkim-quoted-printable (RFC 6376 §2.11), as used in i=. */
export function decodeDkimQp(v: string): string {
  return v
    .replace(/\s+/g, '')
    .replace(/=([0-9A-F]{2})/gi, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));
}

const DOMAIN_RE =
  /^(?=.{1,253}$)([a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.?$/i;
const SELECTOR_RE =
  /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)*$/i;

export interface SignatureInfo {
  domain: string;
  selector: string;
  algorithm: string;
  /** "rsa" | "ed25519" */
  keyType: string;
  /** "sha1" | "sha256" */
  hash: string;
  /** i= decoded, when present. */
  identity?: string;
  /** b=, bh= (without whitespace) and c= as written: mailauth's results are matched on them. */
  b: string;
  bh: string;
  c: string;
}

export interface SignatureCheck {
  info: SignatureInfo;
  /** Set when the signature is unusable before any DNS lookup. */
  error?: string;
}

export interface SignatureCheckOptions {
  allowSha1: boolean;
  now?: number;
}

/** §6.1.1: is this a signature we can verify at all? */
export function checkSignature(value: string, o: SignatureCheckOptions): SignatureCheck {
  const t = parseTagList(value);
  const get = (k: string) => t.tags.get(k);
  const algorithm = (get('a') ?? '').toLowerCase();
  const [keyType = '', hash = ''] = algorithm.split('-');
  const info: SignatureInfo = {
    domain: (get('d') ?? '').toLowerCase().replace(/\.$/, ''),
    selector: (get('s') ?? '').toLowerCase(),
    algorithm,
    keyType,
    hash,
    b: (get('b') ?? '').replace(/\s+/g, ''),
    bh: (get('bh') ?? '').replace(/\s+/g, ''),
    c: (get('c') ?? '').toLowerCase(),
  };
  const fail = (error: string): SignatureCheck => ({ info, error });
  if (t.error) return fail(`signature syntax: ${t.error}`);
  for (const k of ['a', 'b', 'bh', 'd', 'h', 's']) if (!get(k)) return fail(`signature has no ${k}= tag`);
  // RFC 6376 wants v=1; signatures of its drafts (no v=, or v=0.5) are still read, as
  // Mail::DKIM and others do — the cryptography is the same.
  const v = get('v');
  if (v !== undefined && v !== '1' && v !== '0.5') return fail(`incompatible signature version v=${v}`);
  if (!['rsa-sha256', 'ed25519-sha256', 'rsa-sha1'].includes(algorithm))
    return fail(`unsupported algorithm a=${algorithm}`);
  if (algorithm === 'rsa-sha1' && !o.allowSha1) return fail('rsa-sha1 is no longer accepted (RFC 8301)');
  const c = (get('c') ?? 'simple/simple').toLowerCase().split('/');
  if (c.length > 2 || !c.every((x) => x === 'simple' || x === 'relaxed'))
    return fail(`unsupported canonicalization c=${get('c')}`);
  const q = get('q');
  if (q !== undefined) {
    const methods = q
      .toLowerCase()
      .split(':')
      .map((m) => m.trim());
    if (!methods.includes('dns/txt') && !methods.includes('dns'))
      return fail(`unsupported query method q=${q}`);
  }
  if (!DOMAIN_RE.test(info.domain)) return fail('signing domain d= is not a domain name');
  if (!SELECTOR_RE.test(info.selector)) return fail('selector s= is not valid');
  const h = (get('h') as string)
    .toLowerCase()
    .split(':')
    .map((x) => x.trim());
  if (!h.includes('from')) return fail('From is not signed');
  const i = get('i');
  if (i !== undefined) {
    info.identity = decodeDkimQp(i);
    const idDomain = info.identity.slice(info.identity.lastIndexOf('@') + 1).toLowerCase();
    if (!info.identity.includes('@') || (idDomain !== info.domain && !idDomain.endsWith(`.${info.domain}`)))
      return fail('identity i= is not within the signing domain d=');
  }
  const l = get('l');
  if (l !== undefined && !/^\d{1,76}$/.test(l)) return fail('body length l= is not a number');
  const ts = get('t');
  const x = get('x');
  if (ts !== undefined && !/^\d+$/.test(ts)) return fail('timestamp t= is not a number');
  if (x !== undefined) {
    if (!/^\d+$/.test(x)) return fail('expiration x= is not a number');
    if (ts !== undefined && Number(x) < Number(ts)) return fail('signature expires before it was made');
    if (Number(x) * 1000 < (o.now ?? Date.now())) return fail('signature expired');
  }
  return { info };
}

export interface KeyCheck {
  result?: Exclude<DkimResult, 'pass' | 'fail' | 'none' | 'neutral'>;
  reason?: string;
  bits?: number;
}

function keyBits(type: string, p: Buffer): { bits?: number; error?: string } {
  if (type === 'ed25519') {
    // RFC 8463: the raw 32-byte key, not a DER structure.
    return p.length === 32 ? { bits: 256 } : { error: `ed25519 key of ${p.length} bytes (must be 32)` };
  }
  try {
    const key = createPublicKey({ key: p, format: 'der', type: 'spki' });
    if (key.asymmetricKeyType !== 'rsa') return { error: `key is ${key.asymmetricKeyType}, not RSA` };
    return { bits: key.asymmetricKeyDetails?.modulusLength };
  } catch {
    return { error: 'public key p= does not decode' };
  }
}

/** §3.6.1 / §6.1.2: fetch the key record and check it fits the signature. */
export async function checkKey(
  sig: SignatureInfo,
  lookup: AuthLookup,
  minKeyBits: number,
): Promise<KeyCheck> {
  const name = `${sig.selector}._domainkey.${sig.domain}`;
  let records: string[][];
  try {
    records = (await lookup(name, 'TXT')) as string[][];
  } catch (err) {
    if (isNoRecord(err)) return { result: 'permerror', reason: `no key at ${name}` };
    return { result: 'temperror', reason: `key lookup failed (${dnsErrorCode(err)})` };
  }
  // The first record, as mailauth reads it: both must judge the same key.
  const text = (records[0] ?? []).join('');
  if (text.trim() === '') return { result: 'permerror', reason: 'empty key record' };
  const t = parseTagList(text);
  if (t.error) return { result: 'permerror', reason: `key record syntax: ${t.error}` };
  const v = t.tags.get('v');
  if (v !== undefined && (v !== 'DKIM1' || t.order[0] !== 'v'))
    return { result: 'permerror', reason: `key record version v=${v}` };
  const k = (t.tags.get('k') ?? 'rsa').toLowerCase();
  if (k !== 'rsa' && k !== 'ed25519') return { result: 'permerror', reason: `unknown key type k=${k}` };
  if (k !== sig.keyType)
    return { result: 'permerror', reason: `key type k=${k} does not match a=${sig.algorithm}` };
  const h = t.tags.get('h');
  if (
    h !== undefined &&
    !h
      .toLowerCase()
      .split(':')
      .map((x) => x.trim())
      .includes(sig.hash)
  )
    return { result: 'permerror', reason: `key allows only h=${h}` };
  const s = t.tags.get('s');
  if (
    s !== undefined &&
    !s
      .split(':')
      .map((x) => x.trim().toLowerCase())
      .some((x) => x === 'email' || x === '*')
  )
    return { result: 'permerror', reason: `key is not for email (s=${s})` };
  const flags = (t.tags.get('t') ?? '').split(':').map((x) => x.trim().toLowerCase());
  if (flags.includes('s') && sig.identity !== undefined) {
    const idDomain = sig.identity.slice(sig.identity.lastIndexOf('@') + 1).toLowerCase();
    if (idDomain !== sig.domain) return { result: 'permerror', reason: 'key t=s forbids a subdomain in i=' };
  }
  const p = (t.tags.get('p') ?? '').replace(/\s+/g, '');
  if (!t.tags.has('p')) return { result: 'permerror', reason: 'key record has no p=' };
  if (p === '') return { result: 'permerror', reason: 'key revoked' };
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(p))
    return { result: 'permerror', reason: 'public key p= is not base64' };
  const { bits, error } = keyBits(k, Buffer.from(p, 'base64'));
  if (error) return { result: 'permerror', reason: error };
  if (k === 'rsa' && bits !== undefined && bits < minKeyBits)
    return { result: 'policy', reason: `weak key (${bits} bits)`, bits };
  return { bits };
}
