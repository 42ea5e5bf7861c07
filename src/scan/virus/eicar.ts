// The EICAR anti-virus test file, known without any signature database so an administrator can
// check the whole chain (rule, action, notification) even before clamd is configured.
// The standard: the 68-byte string at the start of the file, optionally followed by white space
// (space, tab, CR, LF, Ctrl-Z), the whole file no longer than 128 bytes.

export const EICAR_SIGNATURE_NAME = 'Eicar-Test-Signature';

// Kept in two halves so this source file is not itself the test string to a scanner.
const EICAR = Buffer.from(
  'X5O!P%@AP[4\\PZX54(P^)7CC)7}$' + 'EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*',
  'latin1',
);
const MAX_LENGTH = 128;
const ALLOWED_TAIL = new Set([0x20, 0x09, 0x0d, 0x0a, 0x1a]);

/** True when the bytes are the EICAR test file as the standard defines it. */
export function isEicar(content: Buffer): boolean {
  if (content.length < EICAR.length || content.length > MAX_LENGTH) return false;
  if (!content.subarray(0, EICAR.length).equals(EICAR)) return false;
  for (let i = EICAR.length; i < content.length; i++) {
    if (!ALLOWED_TAIL.has(content[i] ?? 0)) return false;
  }
  return true;
}

/** The body of a raw message (after the blank line ending the header), or undefined. */
export function messageBody(raw: Buffer): Buffer | undefined {
  const crlf = raw.indexOf('\r\n\r\n');
  const lf = raw.indexOf('\n\n');
  if (crlf < 0 && lf < 0) return undefined;
  if (crlf >= 0 && (lf < 0 || crlf < lf)) return raw.subarray(crlf + 4);
  return raw.subarray(lf + 2);
}
