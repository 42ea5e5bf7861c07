// Check-digit and structure rules of the numbers DLP looks for. Each takes the bare number
// (separators removed) and says whether it can be real; finding candidates in text is
// detectors.ts's job.

/** Luhn (mod 10), used by every payment card. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

interface CardBrand {
  name: string;
  /** Inclusive IIN ranges, compared on the number's first digits (as many as the bound has). */
  ranges: [string, string][];
  lengths: number[];
}

const span = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

const CARD_BRANDS: CardBrand[] = [
  { name: 'Visa', ranges: [['4', '4']], lengths: [13, 16, 19] },
  {
    name: 'Mastercard',
    ranges: [
      ['51', '55'],
      ['2221', '2720'],
    ],
    lengths: [16],
  },
  {
    name: 'American Express',
    ranges: [
      ['34', '34'],
      ['37', '37'],
    ],
    lengths: [15],
  },
  {
    name: 'Discover',
    ranges: [
      ['6011', '6011'],
      ['644', '649'],
      ['65', '65'],
    ],
    lengths: span(16, 19),
  },
  { name: 'JCB', ranges: [['3528', '3589']], lengths: span(16, 19) },
  {
    name: 'Diners Club',
    ranges: [
      ['300', '305'],
      ['3095', '3095'],
      ['36', '36'],
      ['38', '39'],
    ],
    lengths: span(14, 19),
  },
  { name: 'UnionPay', ranges: [['62', '62']], lengths: span(16, 19) },
  { name: 'Mir', ranges: [['2200', '2204']], lengths: span(16, 19) },
];

/** The card brand whose prefixes and lengths fit, or undefined. */
export function cardBrand(digits: string): string | undefined {
  for (const b of CARD_BRANDS) {
    if (!b.lengths.includes(digits.length)) continue;
    for (const [lo, hi] of b.ranges) {
      const prefix = digits.slice(0, lo.length);
      if (prefix >= lo && prefix <= hi) return b.name;
    }
  }
  return undefined;
}

/** A payment card number: a known brand's prefix and length, and a valid Luhn digit. */
export function creditCardValid(digits: string): boolean {
  return /^\d{13,19}$/.test(digits) && cardBrand(digits) !== undefined && luhnValid(digits);
}

/**
 * Japan's Individual Number (My Number), 12 digits, the last a check digit (the Cabinet
 * Office ordinance on the check digit): with P(n) the n-th digit counted from the right of
 * the first 11 and Q(n) = n + 1 for n <= 6, n - 5 for n >= 7, the remainder r of
 * sum(P(n) * Q(n)) mod 11 gives the check digit 0 when r <= 1, else 11 - r.
 */
export function myNumberValid(digits: string): boolean {
  if (!/^\d{12}$/.test(digits)) return false;
  // All one digit ("000000000000") passes the arithmetic but is a placeholder, not a number.
  if (/^(\d)\1{11}$/.test(digits)) return false;
  let sum = 0;
  for (let n = 1; n <= 11; n++) {
    const p = digits.charCodeAt(11 - n) - 48;
    sum += p * (n <= 6 ? n + 1 : n - 5);
  }
  const r = sum % 11;
  return digits.charCodeAt(11) - 48 === (r <= 1 ? 0 : 11 - r);
}

/** IBAN lengths by country (SWIFT IBAN registry). */
// prettier-ignore
export const IBAN_LENGTHS: Readonly<Record<string, number>> = {
  AD: 24, AE: 23, AL: 28, AT: 20, AZ: 28, BA: 20, BE: 16, BG: 22, BH: 22, BI: 27, BR: 29, BY: 28,
  CH: 21, CR: 22, CY: 28, CZ: 24, DE: 22, DJ: 27, DK: 18, DO: 28, EE: 20, EG: 29, ES: 24, FI: 18,
  FK: 18, FO: 18, FR: 27, GB: 22, GE: 22, GI: 23, GL: 18, GR: 27, GT: 28, HN: 28, HR: 21, HU: 28,
  IE: 22, IL: 23, IQ: 23, IS: 26, IT: 27, JO: 30, KW: 30, KZ: 20, LB: 28, LC: 32, LI: 21, LT: 20,
  LU: 20, LV: 21, LY: 25, MC: 27, MD: 24, ME: 22, MK: 19, MN: 20, MR: 27, MT: 31, MU: 30, NI: 28,
  NL: 18, NO: 15, OM: 23, PK: 24, PL: 28, PS: 29, PT: 25, QA: 29, RO: 24, RS: 22, RU: 33, SA: 24,
  SC: 31, SD: 18, SE: 24, SI: 19, SK: 24, SM: 27, SO: 23, ST: 25, SV: 28, TL: 23, TN: 24, TR: 26,
  UA: 29, VA: 22, VG: 24, XK: 20, YE: 30,
};

/** ISO 13616: the country's length, then the number rearranged mod 97 must be 1. */
export function ibanValid(iban: string): boolean {
  const s = iban.toUpperCase();
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]+$/.test(s)) return false;
  if (IBAN_LENGTHS[s.slice(0, 2)] !== s.length) return false;
  const rearranged = s.slice(4) + s.slice(0, 4);
  let rest = 0;
  for (const ch of rearranged) {
    const code = ch.charCodeAt(0);
    // Letters count as two digits (A = 10 ... Z = 35); fold digit by digit to stay in range.
    const value = code >= 65 ? String(code - 55) : ch;
    for (const d of value) rest = (rest * 10 + (d.charCodeAt(0) - 48)) % 97;
  }
  return rest === 1;
}

/** Numbers used in advertising and examples, never issued to anyone. */
const SSN_PLACEHOLDERS = new Set(['078051120', '219099999', '123456789']);

/**
 * US Social Security number AAA-GG-SSSS: area not 000, 666 or 900-999; group not 00; serial
 * not 0000 (SSA rules, still true after 2011's randomisation).
 */
export function usSsnValid(digits: string): boolean {
  if (!/^\d{9}$/.test(digits) || SSN_PLACEHOLDERS.has(digits)) return false;
  const area = Number(digits.slice(0, 3));
  const group = Number(digits.slice(3, 5));
  const serial = Number(digits.slice(5));
  return area !== 0 && area !== 666 && area < 900 && group !== 0 && serial !== 0;
}
