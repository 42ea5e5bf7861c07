// Content-Transfer-Encoding decoders working on bytes: base64 (lenient, and continuing after
// padding in the middle, as some clients do with concatenated chunks), quoted-printable, and
// uuencoded blocks found inside text bodies.

const B64 = new Int16Array(256).fill(-1);
'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
  .split('')
  .forEach((c, i) => (B64[c.charCodeAt(0)] = i));
B64[0x2d] = 62; // base64url "-"
B64[0x5f] = 63; // base64url "_"

/** Whether '=' appears before the final padding (then Node's decoder would stop early). */
function hasInnerPadding(buf: Buffer): boolean {
  const first = buf.indexOf(0x3d);
  if (first === -1) return false;
  for (let i = first; i < buf.length; i++) {
    const c = buf[i] as number;
    if (c !== 0x3d && c !== 0x0d && c !== 0x0a && c !== 0x20 && c !== 0x09) return true;
  }
  return false;
}

/** Decodes base64, skipping characters outside the alphabet; "=" ends a quantum, not the data. */
export function decodeBase64(buf: Buffer): Buffer {
  if (!hasInnerPadding(buf)) return Buffer.from(buf.toString('latin1'), 'base64');
  const out = Buffer.allocUnsafe(Math.ceil((buf.length * 3) / 4) + 3);
  let n = 0;
  let acc = 0;
  let bits = 0;
  for (let i = 0; i < buf.length; i++) {
    const c = buf[i] as number;
    if (c === 0x3d) {
      acc = 0;
      bits = 0; // padding: drop the partial byte and start a new quantum
      continue;
    }
    const v = B64[c] as number;
    if (v < 0) continue;
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[n++] = (acc >> bits) & 0xff;
    }
  }
  return out.subarray(0, n);
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

/**
 * The bytes of a latin1 string in which `escape` and two hex digits stand for one byte ("=41",
 * "%41"); an escape not followed by two hex digits is kept as it is.
 */
export function decodeHexEscapes(text: string, escape: '=' | '%'): Buffer {
  const mark = escape.charCodeAt(0);
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === mark && /^[0-9a-fA-F]{2}$/.test(text.slice(i + 1, i + 3))) {
      bytes.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(c & 0xff);
  }
  return Buffer.from(bytes);
}

/** Decodes quoted-printable; a malformed "=" sequence is kept as it is. */
export function decodeQuotedPrintable(buf: Buffer): Buffer {
  const out = Buffer.allocUnsafe(buf.length);
  let n = 0;
  for (let i = 0; i < buf.length; i++) {
    const c = buf[i] as number;
    if (c !== 0x3d) {
      out[n++] = c;
      continue;
    }
    const a = buf[i + 1];
    if (a === 0x0a) {
      i += 1; // soft line break "=\n"
      continue;
    }
    if (a === 0x0d && buf[i + 2] === 0x0a) {
      i += 2; // soft line break "=\r\n"
      continue;
    }
    const hi = a === undefined ? -1 : hexValue(a);
    const b = buf[i + 2];
    const lo = b === undefined ? -1 : hexValue(b);
    if (hi >= 0 && lo >= 0) {
      out[n++] = (hi << 4) | lo;
      i += 2;
    } else {
      // "=" followed by spaces then a line end is a soft break with transport padding.
      let j = i + 1;
      while (buf[j] === 0x20 || buf[j] === 0x09) j++;
      if (buf[j] === 0x0a || (buf[j] === 0x0d && buf[j + 1] === 0x0a)) {
        i = buf[j] === 0x0a ? j : j + 1;
        continue;
      }
      out[n++] = c;
    }
  }
  return out.subarray(0, n);
}

/** Decodes the body of a part by its Content-Transfer-Encoding; unknown encodings pass through. */
export function decodeTransfer(body: Buffer, encoding: string): Buffer {
  switch (encoding) {
    case 'base64':
      return decodeBase64(body);
    case 'quoted-printable':
      return decodeQuotedPrintable(body);
    case 'x-uuencode':
    case 'uuencode':
    case 'x-uue':
      return findUuencoded(body, 1)[0]?.data ?? body;
    default:
      return body; // 7bit, 8bit, binary, unknown
  }
}

export interface UuFile {
  name: string;
  data: Buffer;
}

/** Finds "begin 644 name" … "end" blocks in a text body and decodes each one. */
export function findUuencoded(body: Buffer, maxFiles: number): UuFile[] {
  const files: UuFile[] = [];
  let pos = body.indexOf('begin ');
  while (pos !== -1 && files.length < maxFiles) {
    const lineStart = pos === 0 || body[pos - 1] === 0x0a;
    const eol = body.indexOf(0x0a, pos);
    const header = body.toString('latin1', pos, eol === -1 ? body.length : eol).replace(/\r$/, '');
    const m = /^begin(?:-base64)? +([0-7]{3,4}) +(.+)$/.exec(header);
    if (!lineStart || !m || eol === -1) {
      pos = body.indexOf('begin ', pos + 6);
      continue;
    }
    const out: number[] = [];
    let lineAt = eol + 1;
    while (lineAt < body.length) {
      const next = body.indexOf(0x0a, lineAt);
      const end = next === -1 ? body.length : next;
      let lineEnd = end;
      if (body[lineEnd - 1] === 0x0d) lineEnd--;
      const first = body[lineAt];
      if (lineEnd - lineAt === 3 && body.toString('latin1', lineAt, lineEnd) === 'end') {
        lineAt = end + 1;
        break;
      }
      if (first !== undefined && lineEnd > lineAt) {
        const count = (first - 0x20) & 0x3f;
        let k = lineAt + 1;
        let written = 0;
        while (written < count && k + 1 < lineEnd + 2) {
          const c = (j: number) => ((body[k + j] ?? 0x20) - 0x20) & 0x3f;
          const v = (c(0) << 18) | (c(1) << 12) | (c(2) << 6) | c(3);
          for (let s = 16; s >= 0 && written < count; s -= 8, written++) out.push((v >> s) & 0xff);
          k += 4;
        }
      }
      lineAt = end + 1;
      if (next === -1) break;
    }
    files.push({ name: (m[2] as string).trim(), data: Buffer.from(out) });
    pos = body.indexOf('begin ', lineAt);
  }
  return files;
}
