// SPF (RFC 7208) through mailauth, for the MAIL FROM identity, or HELO for the null sender.
import { spf as mailauthSpf } from 'mailauth';
import type { AuthLookup } from './dns.js';
import type { SpfOutcome, SpfResult } from './types.js';

const RESULTS: readonly SpfResult[] = [
  'pass',
  'fail',
  'softfail',
  'neutral',
  'none',
  'temperror',
  'permerror',
];

export interface SpfInput {
  ip: string;
  helo: string;
  /** MAIL FROM; "" for the null sender. */
  sender: string;
  /** Our host name (it appears in the comment). */
  mta: string;
}

export async function checkSpf(i: SpfInput, lookup: AuthLookup): Promise<SpfOutcome> {
  const scope = i.sender === '' ? 'helo' : 'mailfrom';
  const fallback = (i.sender === '' ? i.helo : i.sender.slice(i.sender.lastIndexOf('@') + 1)).toLowerCase();
  try {
    const r = await mailauthSpf({
      sender: i.sender || undefined,
      ip: i.ip,
      helo: i.helo,
      mta: i.mta,
      resolver: lookup as never,
    });
    const raw = String(r.status.result) === 'temperr' ? 'temperror' : r.status.result;
    const result = (RESULTS as readonly string[]).includes(raw) ? (raw as SpfResult) : 'permerror';
    return { result, domain: r.domain || fallback, scope, comment: r.status.comment || undefined };
  } catch (err) {
    // mailauth maps DNS trouble itself; anything thrown is unexpected and must not look like a pass.
    return { result: 'temperror', domain: fallback, scope, comment: (err as Error).message };
  }
}
