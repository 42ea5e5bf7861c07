// DKIM verification: mailauth checks hashes and signatures; dkim-checks.ts first applies the
// RFC 6376 rules mailauth skips. One outcome per DKIM-Signature field, in header order.
import { dkimVerify, type DKIMVerifyResult } from 'mailauth';
import { checkKey, checkSignature, type DkimResult, type SignatureInfo } from './dkim-checks.js';
import type { AuthLookup } from './dns.js';
import type { HeaderBlock } from './message-headers.js';
import type { DkimSignatureOutcome } from './types.js';

export type VerifiedSignature = Omit<DkimSignatureOutcome, 'aligned'>;

export interface DkimVerification {
  signatures: VerifiedSignature[];
  /** mailauth's own reading of From (for the strict reader to compare). */
  headerFrom: string[];
  /** mailauth's result, which carries the ARC chain for arc(). */
  raw: DKIMVerifyResult;
}

export interface DkimVerifyOptions {
  minKeyBits: number;
  allowSha1: boolean;
  now?: number;
}

type MailauthDkim = DKIMVerifyResult['results'][number] & {
  signature?: string;
  bodyHashExpecting?: string;
  format?: string;
  algo?: string;
};

const squeeze = (v: unknown) => String(v ?? '').replace(/\s+/g, '');

/** Is this mailauth result about that signature? (Two fields may share b=; not all their tags.) */
function sameSignature(r: MailauthDkim, s: SignatureInfo): boolean {
  return (
    squeeze(r.signature) === s.b &&
    squeeze(r.bodyHashExpecting) === s.bh &&
    String(r.format ?? '').toLowerCase() === s.c &&
    String(r.algo ?? '').toLowerCase() === s.algorithm &&
    String(r.signingDomain).toLowerCase().replace(/\.$/, '') === s.domain &&
    String(r.selector ?? '').toLowerCase() === s.selector
  );
}

/** mailauth's verdict on a signature whose tags and key passed our checks. */
function fromMailauth(r: MailauthDkim | undefined): { result: DkimResult; reason?: string } {
  if (!r) return { result: 'permerror', reason: 'signature not verified' };
  const comment = r.status.comment;
  switch (r.status.result) {
    case 'pass':
      return r.status.underSized
        ? { result: 'policy', reason: `l= leaves ${r.status.underSized} bytes unsigned` }
        : { result: 'pass' };
    case 'fail':
      return { result: 'fail', reason: 'signature did not verify' };
    case 'neutral':
      // RFC 6376 §6.1.3: a body hash mismatch is a failure of the signature, not "neutral".
      if (comment === 'body hash did not verify') return { result: 'fail', reason: comment };
      return { result: 'permerror', reason: comment };
    case 'policy':
      return { result: 'policy', reason: comment ?? 'weak key' };
    case 'temperror':
    case 'temperr':
      return { result: 'temperror', reason: comment };
    default:
      return { result: 'permerror', reason: comment };
  }
}

/** A message that ends inside its header gets the empty line, so mailauth sees an empty body. */
function withSeparator(raw: Buffer, block: HeaderBlock): Buffer {
  if (block.hasSeparator) return raw;
  const eol = block.crlf ? '\r\n' : '\n';
  const last = raw[raw.length - 1];
  return Buffer.concat([raw, Buffer.from(last === 0x0a ? eol : eol + eol)]);
}

export async function verifyDkim(
  raw: Buffer,
  block: HeaderBlock,
  lookup: AuthLookup,
  o: DkimVerifyOptions,
): Promise<DkimVerification> {
  const verified = await dkimVerify(withSeparator(raw, block), {
    resolver: lookup as never,
    minBitLength: o.minKeyBits,
    curTime: o.now === undefined ? undefined : new Date(o.now),
  } as Parameters<typeof dkimVerify>[1]);
  const pending = (verified.results as MailauthDkim[]).filter((r) => r.signingDomain);
  const signatures: VerifiedSignature[] = [];
  for (const field of block.fields.filter((f) => f.name === 'dkim-signature')) {
    const check = checkSignature(field.value, { allowSha1: o.allowSha1, now: o.now });
    const { info } = check;
    const base = {
      domain: info.domain,
      selector: info.selector,
      algorithm: info.algorithm,
      identity: info.identity,
      b: info.b.slice(0, 8),
    };
    // Identical fields are in the same order in both lists: take the first unused.
    const idx = pending.findIndex((r) => sameSignature(r, info));
    const mine = idx >= 0 ? pending.splice(idx, 1)[0] : undefined;
    if (check.error) {
      signatures.push({ ...base, result: 'permerror', reason: check.error });
      continue;
    }
    const key = await checkKey(info, lookup, o.minKeyBits);
    if (key.result) {
      signatures.push({ ...base, result: key.result, reason: key.reason, keyBits: key.bits });
      continue;
    }
    signatures.push({ ...base, ...fromMailauth(mine), keyBits: key.bits });
  }
  return { signatures, headerFrom: verified.headerFrom ?? [], raw: verified };
}

const ORDER: DkimResult[] = ['pass', 'fail', 'temperror', 'policy', 'permerror', 'neutral'];

/** The message's verdict: pass if any signature passes, otherwise the most telling failure. */
export function overallDkim(signatures: VerifiedSignature[]): DkimResult {
  if (signatures.length === 0) return 'none';
  for (const r of ORDER) if (signatures.some((s) => s.result === r)) return r;
  return 'neutral';
}
