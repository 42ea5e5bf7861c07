// DKIM signing of outbound mail (RFC 6376, RFC 8463 for Ed25519): relaxed/relaxed, SHA-256,
// the fields a reader sees and MIME structure signed, and the fields whose later addition
// would change what the reader sees oversigned (listed once more than present, RFC 6376
// §8.15), so nobody can add a second From or a Reply-To after us.
import { createHash, createPrivateKey, sign } from 'node:crypto';
import type { AuthSettings } from './auth-settings.js';
import type { DkimKey, DkimKeyStore } from './dkim-keys.js';
import { dkimBody, generateCanonicalizedHeader, tools } from './mailauth-internals.js';
import { readFrom, readHeaderBlock } from './message-headers.js';

export interface SigningKey {
  domain: string;
  selector: string;
  /** PKCS#8 or PKCS#1 PEM. */
  privateKey: string;
  status?: DkimKey['status'];
}

/** Signed when present, as many times as present. */
export const SIGNED_HEADERS = [
  'From',
  'Sender',
  'Reply-To',
  'Subject',
  'Date',
  'Message-ID',
  'To',
  'Cc',
  'In-Reply-To',
  'References',
  'MIME-Version',
  'Content-Type',
  'Content-Transfer-Encoding',
  'Content-Disposition',
  'Content-ID',
  'Content-Description',
  'List-Id',
  'List-Unsubscribe',
  'List-Unsubscribe-Post',
  'Feedback-ID',
] as const;

/**
 * Signed once more than present. Not Date or Message-ID: some relays add them when missing,
 * and a signature that breaks on the way is worse than the attack it prevents.
 */
export const OVERSIGNED_HEADERS = [
  'From',
  'Reply-To',
  'Subject',
  'To',
  'Cc',
  'Content-Type',
  'MIME-Version',
] as const;

function headerList(parsed: { key: string | null }[]): string[] {
  const count = (name: string) => parsed.filter((h) => h.key === name.toLowerCase()).length;
  const list: string[] = [];
  for (const name of SIGNED_HEADERS) {
    const n = count(name) + ((OVERSIGNED_HEADERS as readonly string[]).includes(name) ? 1 : 0);
    for (let i = 0; i < n; i++) list.push(name);
  }
  return list;
}

/** One DKIM-Signature field (folded with CRLF, no final line ending) for the message. */
export function dkimSignature(raw: Buffer, key: SigningKey, time: Date = new Date()): string {
  const block = readHeaderBlock(raw);
  const headerBytes = raw.subarray(0, block.hasSeparator ? block.bodyStart : raw.length);
  const parsed = tools.parseHeaders(headerBytes).parsed;
  const body = block.hasSeparator ? raw.subarray(block.bodyStart) : Buffer.alloc(0);

  const hasher = dkimBody('relaxed', 'sha256', false);
  hasher.update(body);
  const bodyHash = hasher.digest('base64');

  const privateKey = createPrivateKey({ key: key.privateKey, format: 'pem' });
  const keyType = privateKey.asymmetricKeyType;
  if (keyType !== 'rsa' && keyType !== 'ed25519') throw new Error(`cannot sign with a ${keyType} key`);
  const algorithm = `${keyType}-sha256`;

  const names = headerList(parsed);
  // Verify mode picks each listed field bottom-up and skips those not there — exactly what a
  // verifier does with the oversigned names, which stand for nothing (the null string).
  const lines = tools.getSigningHeaderLines(parsed, names.join(':'), true);
  const { canonicalizedHeader, dkimHeaderOpts } = generateCanonicalizedHeader(
    'DKIM',
    { keys: names.join(':'), headers: lines.headers },
    {
      signingDomain: key.domain,
      selector: key.selector,
      algorithm,
      canonicalization: 'relaxed/relaxed',
      bodyHash,
      // Fixed here: mailauth would otherwise read the clock twice and may cross a second.
      signTime: time,
    },
  );
  const signature =
    keyType === 'rsa'
      ? sign('rsa-sha256', canonicalizedHeader, privateKey)
      : // RFC 8463: Ed25519 signs the SHA-256 hash of the canonicalized header.
        sign(null, createHash('sha256').update(canonicalizedHeader).digest(), privateKey);
  return tools.formatSignatureHeaderLine(
    'DKIM',
    { ...dkimHeaderOpts, b: signature.toString('base64') },
    true,
  );
}

/** The key(s) to sign for a sender domain: those of the domain itself or its closest parent. */
export function keysFor(senderDomain: string, keys: SigningKey[]): SigningKey[] {
  const d = senderDomain.toLowerCase().replace(/\.$/, '');
  const usable = keys.filter((k) => k.status === undefined || k.status === 'active');
  const matching = usable.filter((k) => d === k.domain || d.endsWith(`.${k.domain}`));
  const closest = Math.max(-1, ...matching.map((k) => k.domain.length));
  return matching.filter((k) => k.domain.length === closest);
}

/**
 * The message with a DKIM-Signature on top for each key that fits the sender domain (none fits:
 * the message unchanged). The field uses the message's own line endings.
 */
export function signMessage(
  raw: Buffer,
  senderDomain: string,
  keys: SigningKey | SigningKey[],
  time: Date = new Date(),
): Buffer {
  const chosen = keysFor(senderDomain, Array.isArray(keys) ? keys : [keys]);
  if (chosen.length === 0) return raw;
  const crlf = readHeaderBlock(raw).crlf || !raw.includes(0x0a);
  const fields = chosen.map((k) => dkimSignature(raw, k, time) + '\r\n').join('');
  return Buffer.concat([Buffer.from(crlf ? fields : fields.replace(/\r\n/g, '\n'), 'latin1'), raw]);
}

export interface OutboundSignResult {
  message: Buffer;
  /** "d=example.com s=s20261128" per signature added; empty when nothing was signed. */
  signedBy: string[];
  /** Why the message was not signed, when signing was wanted. */
  skipped?: string;
}

/**
 * Signs outbound mail per settings auth.dkimSigning, with keys from the store (cached for a
 * minute, so rotation reaches every node without a restart).
 */
export class OutboundSigner {
  private cache = new Map<string, { at: number; keys: DkimKey[] }>();

  constructor(
    private readonly keys: Pick<DkimKeyStore, 'list'>,
    private readonly settings: () => AuthSettings,
    private readonly cacheMs = 60_000,
  ) {}

  private async domainKeys(domain: string): Promise<DkimKey[]> {
    const hit = this.cache.get(domain);
    if (hit && Date.now() - hit.at < this.cacheMs) return hit.keys;
    const keys = await this.keys.list(domain);
    this.cache.set(domain, { at: Date.now(), keys });
    return keys;
  }

  /** Signs when the From domain (else the envelope sender's) is one we sign for. */
  async sign(raw: Buffer, envelopeSender: string, time?: Date): Promise<OutboundSignResult> {
    const s = this.settings().dkimSigning;
    if (!s.enabled) return { message: raw, signedBy: [] };
    const from = readFrom(readHeaderBlock(raw), raw);
    // Our signature must not vouch for a From that reads more than one way.
    if (from.problems.length > 0 && from.domains.length > 0)
      return { message: raw, signedBy: [], skipped: `From is ambiguous (${from.problems.join(', ')})` };
    const senderDomain = (
      from.domain ?? envelopeSender.slice(envelopeSender.lastIndexOf('@') + 1)
    ).toLowerCase();
    const entry = s.domains
      .filter((e) => senderDomain === e.domain || senderDomain.endsWith(`.${e.domain}`))
      .sort((a, b) => b.domain.length - a.domain.length)[0];
    if (!entry) return { message: raw, signedBy: [] };
    const all = await this.domainKeys(entry.domain);
    const keys = entry.selector
      ? all.filter((k) => k.selector === entry.selector).map((k) => ({ ...k, status: 'active' as const }))
      : all.filter((k) => k.status === 'active');
    if (keys.length === 0)
      return {
        message: raw,
        signedBy: [],
        skipped: `no ${entry.selector ?? 'active'} key for ${entry.domain}`,
      };
    return {
      message: signMessage(raw, senderDomain, keys, time),
      signedBy: keys.map((k) => `d=${k.domain} s=${k.selector}`),
    };
  }
}
