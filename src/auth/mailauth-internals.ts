// The parts of mailauth's DKIM signer that signing here reuses (body hash, header
// canonicalization, DKIM-Signature formatting). Its public dkimSign() lists in h= only the
// fields a message has, so it cannot oversign From (RFC 6376 §8.15); these are its building
// blocks, with the field list chosen by us. Typed here because mailauth ships no types for them;
// the signing tests (independent verifiers) catch any change in a mailauth update.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export interface ParsedHeaderLine {
  key: string | null;
  casedKey?: string;
  line: Buffer;
}

export interface SigningHeaderLines {
  keys: string;
  headers: ParsedHeaderLine[];
}

interface Tools {
  parseHeaders(buf: Buffer): { parsed: ParsedHeaderLine[]; original: Buffer };
  getSigningHeaderLines(parsed: ParsedHeaderLine[], fieldNames: string, verify: boolean): SigningHeaderLines;
  formatSignatureHeaderLine(type: 'DKIM', values: Record<string, unknown>, folded: boolean): string;
}

interface BodyHasher {
  update(chunk: Buffer): void;
  digest(encoding: 'base64'): string;
}

interface HeaderModule {
  generateCanonicalizedHeader(
    type: 'DKIM',
    lines: SigningHeaderLines,
    options: Record<string, unknown>,
  ): { canonicalizedHeader: Buffer; dkimHeaderOpts: Record<string, unknown> };
}

export const tools = require('mailauth/lib/tools.js') as Tools;

const body = require('mailauth/lib/dkim/body/index.js') as {
  dkimBody(canonicalization: string, hashAlgo: string, maxBodyLength: number | false): BodyHasher;
};
export const dkimBody = body.dkimBody;

export const { generateCanonicalizedHeader } = require('mailauth/lib/dkim/header/index.js') as HeaderModule;
