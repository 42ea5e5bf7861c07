// Zip listing from the central directory (zip64 and prepended data included), plus every local
// file header the central directory does not mention: tools that read local headers in order
// (and concatenated or doctored zips) would show those files, so they are scanned as well.
import { decodeText, guessCharset } from '../charset.js';

export interface ZipEntry {
  name: string;
  /** The local header's name when it differs from the central directory's. */
  altName?: string;
  method: number;
  encrypted: boolean;
  compressedSize: number;
  /** Declared uncompressed size (may lie). */
  size: number;
  dataStart: number;
  /** End of the compressed data; the end of the buffer when the size is unknown. */
  dataEnd: number;
  isDirectory: boolean;
}

export interface ZipListing {
  entries: ZipEntry[];
  problems: string[];
}

const EOCD = 0x06054b50;
const CDH = 0x02014b50;
const LFH = 0x04034b50;

function decodeName(raw: Buffer, utf8Flag: boolean, unicodeExtra?: string): string {
  if (unicodeExtra !== undefined) return unicodeExtra;
  if (utf8Flag) return raw.toString('utf8');
  // Not flagged: UTF-8 when valid, else Shift_JIS (Japanese Windows), else CP437-ish.
  return decodeText(raw, guessCharset(raw));
}

interface Extra {
  unicodePath?: string;
  zip64?: Buffer;
}

function readExtra(buf: Buffer): Extra {
  const out: Extra = {};
  for (let i = 0; i + 4 <= buf.length;) {
    const id = buf.readUInt16LE(i);
    const len = buf.readUInt16LE(i + 2);
    const body = buf.subarray(i + 4, i + 4 + len);
    if (id === 0x0001) out.zip64 = body;
    if (id === 0x7075 && body.length > 5) out.unicodePath = body.subarray(5).toString('utf8');
    i += 4 + len;
  }
  return out;
}

function findEocd(buf: Buffer): number {
  const stop = Math.max(0, buf.length - 22 - 0xffff);
  for (let i = buf.length - 22; i >= stop; i--) {
    if (buf[i] === 0x50 && buf.readUInt32LE(i) === EOCD) return i;
  }
  return -1;
}

/** Central directory offset/count, following the zip64 locator when the fields overflow. */
function directory(buf: Buffer, eocd: number): { offset: number; size: number; count: number } {
  let count = buf.readUInt16LE(eocd + 10);
  let size = buf.readUInt32LE(eocd + 12);
  let offset = buf.readUInt32LE(eocd + 16);
  const loc = eocd - 20;
  if ((offset === 0xffffffff || count === 0xffff) && loc >= 0 && buf.readUInt32LE(loc) === 0x07064b50) {
    const z = Number(buf.readBigUInt64LE(loc + 8));
    if (z + 56 <= buf.length && buf.readUInt32LE(z) === 0x06064b50) {
      count = Number(buf.readBigUInt64LE(z + 32));
      size = Number(buf.readBigUInt64LE(z + 40));
      offset = Number(buf.readBigUInt64LE(z + 48));
    }
  }
  return { offset, size, count };
}

function localEntry(buf: Buffer, at: number): { name: Buffer; dataStart: number; flags: number } | undefined {
  if (at < 0 || at + 30 > buf.length || buf.readUInt32LE(at) !== LFH) return undefined;
  const n = buf.readUInt16LE(at + 26);
  const m = buf.readUInt16LE(at + 28);
  if (at + 30 + n + m > buf.length) return undefined;
  return {
    name: buf.subarray(at + 30, at + 30 + n),
    dataStart: at + 30 + n + m,
    flags: buf.readUInt16LE(at + 6),
  };
}

export function listZip(buf: Buffer, maxEntries: number): ZipListing {
  const entries: ZipEntry[] = [];
  const problems: string[] = [];
  const covered: [number, number][] = [];
  const eocd = findEocd(buf);
  if (eocd === -1) problems.push('no central directory');
  else {
    const dir = directory(buf, eocd);
    // Data prepended to the zip (self-extractors, junk) shifts every offset by the same amount.
    let shift = 0;
    if (dir.offset + 4 > buf.length || buf.readUInt32LE(dir.offset) !== CDH) {
      const guess = eocd - dir.size - dir.offset;
      if (guess > 0 && eocd - dir.size >= 0 && buf.readUInt32LE(eocd - dir.size) === CDH) shift = guess;
    }
    covered.push([dir.offset + shift, eocd + 22]);
    let p = dir.offset + shift;
    for (let k = 0; k < dir.count && entries.length < maxEntries; k++) {
      if (p + 46 > buf.length || buf.readUInt32LE(p) !== CDH) {
        problems.push(`central directory ends after ${k} of ${dir.count} entries`);
        break;
      }
      const flags = buf.readUInt16LE(p + 8);
      const method = buf.readUInt16LE(p + 10);
      let compressedSize = buf.readUInt32LE(p + 20);
      let size = buf.readUInt32LE(p + 24);
      const n = buf.readUInt16LE(p + 28);
      const m = buf.readUInt16LE(p + 30);
      const c = buf.readUInt16LE(p + 32);
      let offset = buf.readUInt32LE(p + 42);
      const rawName = buf.subarray(p + 46, p + 46 + n);
      const extra = readExtra(buf.subarray(p + 46 + n, p + 46 + n + m));
      if (extra.zip64) {
        let q = 0;
        const z = extra.zip64;
        const next = () => {
          const v = q + 8 <= z.length ? Number(z.readBigUInt64LE(q)) : 0;
          q += 8;
          return v;
        };
        if (size === 0xffffffff) size = next();
        if (compressedSize === 0xffffffff) compressedSize = next();
        if (offset === 0xffffffff) offset = next();
      }
      p += 46 + n + m + c;
      const name = decodeName(rawName, (flags & 0x800) !== 0, extra.unicodePath);
      const local = localEntry(buf, offset + shift);
      if (!local) {
        problems.push(`entry "${name}" has no local header`);
        continue;
      }
      const dataEnd = Math.min(buf.length, local.dataStart + compressedSize);
      const localName = decodeName(local.name, (local.flags & 0x800) !== 0);
      const entry: ZipEntry = {
        name,
        method,
        encrypted: (flags & 0x41) !== 0 || method === 99,
        compressedSize,
        size,
        dataStart: local.dataStart,
        dataEnd,
        isDirectory: name.endsWith('/') || name.endsWith('\\'),
      };
      if (localName !== name && localName !== '') entry.altName = localName;
      entries.push(entry);
      covered.push([offset + shift, dataEnd]);
    }
  }
  scanLocalHeaders(buf, covered, entries, maxEntries);
  return { entries, problems };
}

/** Adds files that only a local-header reader would see. */
function scanLocalHeaders(buf: Buffer, covered: [number, number][], entries: ZipEntry[], max: number): void {
  const inside = (at: number) => covered.some(([s, e]) => at >= s && at < e);
  for (
    let at = buf.indexOf('PK\x03\x04');
    at !== -1 && entries.length < max;
    at = buf.indexOf('PK\x03\x04', at + 4)
  ) {
    if (inside(at)) continue;
    const local = localEntry(buf, at);
    if (!local) continue;
    const flags = local.flags;
    const method = buf.readUInt16LE(at + 8);
    const compressedSize = buf.readUInt32LE(at + 18);
    const size = buf.readUInt32LE(at + 22);
    const unknownSize = (flags & 0x08) !== 0 && compressedSize === 0;
    // Stored data of unknown length cannot be delimited; deflate streams end by themselves.
    if (unknownSize && method !== 8) continue;
    const dataEnd = unknownSize ? buf.length : Math.min(buf.length, local.dataStart + compressedSize);
    const name = decodeName(local.name, (flags & 0x800) !== 0);
    entries.push({
      name,
      method,
      encrypted: (flags & 0x41) !== 0 || method === 99,
      compressedSize: dataEnd - local.dataStart,
      size,
      dataStart: local.dataStart,
      dataEnd,
      isDirectory: name.endsWith('/'),
    });
    covered.push([at, dataEnd]);
  }
}
