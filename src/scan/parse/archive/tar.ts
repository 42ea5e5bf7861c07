// Tar listing (v7, ustar, GNU long names, pax "path"): members are views into the archive's
// buffer, nothing is copied.
import { isTarHeader } from '../filetype.js';
import { decodeText, guessCharset } from '../charset.js';

export interface TarEntry {
  name: string;
  data: Buffer;
}

function cstring(buf: Buffer, at: number, len: number): Buffer {
  const field = buf.subarray(at, at + len);
  const nul = field.indexOf(0);
  return nul === -1 ? field : field.subarray(0, nul);
}

function octal(buf: Buffer, at: number, len: number): number {
  // GNU base-256 for sizes of 8 GB and more.
  if ((buf[at] as number) & 0x80) {
    let v = 0;
    for (let i = 1; i < len; i++) v = v * 256 + (buf[at + i] as number);
    return v;
  }
  const text = buf
    .toString('latin1', at, at + len)
    .replace(/[\0 ]+/g, ' ')
    .trim();
  return /^[0-7]+$/.test(text) ? parseInt(text, 8) : NaN;
}

const text = (b: Buffer) => decodeText(b, guessCharset(b));

export function listTar(buf: Buffer, maxEntries: number): { entries: TarEntry[]; problems: string[] } {
  const entries: TarEntry[] = [];
  const problems: string[] = [];
  let at = 0;
  let longName: string | undefined;
  while (at + 512 <= buf.length && entries.length < maxEntries) {
    if (buf[at] === 0 && buf.subarray(at, at + 512).every((b) => b === 0)) break; // end blocks
    if (!isTarHeader(buf, at)) {
      problems.push(`bad tar header at ${at}`);
      break;
    }
    const size = octal(buf, at + 124, 12);
    if (!Number.isFinite(size)) {
      problems.push(`bad size in tar header at ${at}`);
      break;
    }
    const hdr = at;
    const type = String.fromCharCode(buf[hdr + 156] as number);
    const dataStart = hdr + 512;
    const data = buf.subarray(dataStart, Math.min(buf.length, dataStart + size));
    if (data.length < size) problems.push('tar truncated');
    at = dataStart + Math.ceil(size / 512) * 512;
    if (type === 'L') {
      longName = text(cstring(data, 0, data.length));
      continue;
    }
    if (type === 'x') {
      const m = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(data.toString('utf8'));
      if (m) longName = m[1];
      continue;
    }
    if (type === 'g' || type === 'K') continue;
    let name = longName;
    longName = undefined;
    if (name === undefined) {
      const base = text(cstring(buf, hdr, 100));
      const isUstar = buf.toString('latin1', hdr + 257, hdr + 262) === 'ustar';
      const prefix = isUstar ? text(cstring(buf, hdr + 345, 155)) : '';
      name = prefix ? `${prefix}/${base}` : base;
    }
    // Regular files only ("0", NUL, and "7" contiguous); links, devices and directories carry no data.
    if (type === '0' || type === '\0' || type === '7') entries.push({ name, data });
  }
  return { entries, problems };
}
