// Member lists of archives whose contents need codecs Node lacks (RAR, CAB): names, sizes and
// encryption come from their uncompressed headers, so name and extension rules still apply and
// encrypted members are flagged. The bytes themselves are left to the virus engines, which
// decompress these formats. RAR with encrypted headers cannot be listed.

export interface ListedEntry {
  name: string;
  size: number;
  encrypted: boolean;
}

export interface Listing {
  entries: ListedEntry[];
  /** The archive could not be listed (encrypted headers, damage). */
  problem?: string;
  /** The whole archive is encrypted (headers included). */
  encrypted?: boolean;
}

/** Reads RAR 5 variable-length integers (7 bits a byte, low first) from a position on. */
class Vints {
  constructor(
    private readonly buf: Buffer,
    public at: number,
  ) {}

  next(): number {
    let v = 0;
    let mul = 1;
    for (let i = 0; i < 10 && this.at < this.buf.length; i++) {
      const b = this.buf[this.at++] as number;
      v += (b & 0x7f) * mul;
      mul *= 128;
      if ((b & 0x80) === 0) return v;
    }
    return NaN;
  }
}

function listRar5(buf: Buffer, max: number): Listing {
  const entries: ListedEntry[] = [];
  let at = 8;
  while (at + 7 < buf.length && entries.length < max) {
    const r = new Vints(buf, at + 4); // after the header CRC
    const size = r.next();
    if (!Number.isFinite(size) || size <= 0) return { entries, problem: 'damaged RAR header' };
    const end = r.at + size;
    const type = r.next();
    const flags = r.next();
    const extraSize = flags & 1 ? r.next() : 0;
    const dataSize = flags & 2 ? r.next() : 0;
    if (type === 4) return { entries, problem: 'RAR with encrypted headers', encrypted: true };
    if (type === 2) {
      const fileFlags = r.next();
      const unpacked = r.next();
      r.next(); // attributes
      if (fileFlags & 2) r.at += 4; // modification time
      if (fileFlags & 4) r.at += 4; // CRC32
      r.next(); // compression
      r.next(); // host OS
      const nameLength = r.next();
      const name = buf.toString('utf8', r.at, Math.min(end, r.at + nameLength));
      // Extra record type 1 is file encryption.
      let encrypted = false;
      const x = new Vints(buf, end - extraSize);
      while (x.at < end) {
        const recSize = x.next();
        const recStart = x.at;
        if (x.next() === 1) encrypted = true;
        if (!Number.isFinite(recSize) || recSize <= 0) break;
        x.at = recStart + recSize;
      }
      if (!(fileFlags & 1)) entries.push({ name, size: unpacked, encrypted }); // bit 0: directory
    }
    if (type === 5) break; // end of archive
    if (!Number.isFinite(dataSize)) return { entries, problem: 'damaged RAR header' };
    at = end + dataSize;
  }
  return { entries };
}

function listRar4(buf: Buffer, max: number): Listing {
  const entries: ListedEntry[] = [];
  let at = 7;
  while (at + 7 <= buf.length && entries.length < max) {
    const type = buf[at + 2] as number;
    const flags = buf.readUInt16LE(at + 3);
    const headSize = buf.readUInt16LE(at + 5);
    if (headSize < 7) return { entries, problem: 'damaged RAR header' };
    let addSize = flags & 0x8000 && at + 11 <= buf.length ? buf.readUInt32LE(at + 7) : 0;
    if (type === 0x73 && flags & 0x0080)
      return { entries, problem: 'RAR with encrypted headers', encrypted: true };
    if (type === 0x74 && at + 32 <= buf.length) {
      addSize = buf.readUInt32LE(at + 7);
      let size = buf.readUInt32LE(at + 11);
      const nameSize = buf.readUInt16LE(at + 26);
      let nameAt = at + 32;
      if (flags & 0x100) {
        addSize += buf.readUInt32LE(at + 32) * 2 ** 32;
        size += buf.readUInt32LE(at + 36) * 2 ** 32;
        nameAt += 8;
      }
      const raw = buf.subarray(nameAt, Math.min(buf.length, nameAt + nameSize));
      // Unicode names: "ascii\0encoded"; the ASCII part is enough to read the extension.
      const nul = raw.indexOf(0);
      const name = (flags & 0x200 ? raw.subarray(0, nul === -1 ? raw.length : nul) : raw).toString(
        flags & 0x200 ? 'utf8' : 'latin1',
      );
      const isDir = (flags & 0xe0) === 0xe0;
      if (!isDir) entries.push({ name, size, encrypted: (flags & 0x04) !== 0 });
    }
    if (type === 0x7b) break; // end of archive
    at += headSize + addSize;
  }
  return { entries };
}

export function listRar(buf: Buffer, max: number): Listing {
  if (buf.toString('latin1', 0, 8) === 'Rar!\x1a\x07\x01\x00') return listRar5(buf, max);
  if (buf.toString('latin1', 0, 7) === 'Rar!\x1a\x07\x00') return listRar4(buf, max);
  return { entries: [], problem: 'unknown RAR version' };
}

/** Microsoft Cabinet: CFFILE entries follow the folders, names NUL-terminated. */
export function listCab(buf: Buffer, max: number): Listing {
  const entries: ListedEntry[] = [];
  if (buf.length < 36) return { entries, problem: 'truncated cabinet' };
  let at = buf.readUInt32LE(16);
  const count = buf.readUInt16LE(28);
  for (let i = 0; i < count && entries.length < max; i++) {
    if (at + 16 > buf.length) return { entries, problem: 'truncated cabinet' };
    const size = buf.readUInt32LE(at);
    const attribs = buf.readUInt16LE(at + 14);
    const end = buf.indexOf(0, at + 16);
    if (end === -1) return { entries, problem: 'truncated cabinet' };
    const name = buf.toString(attribs & 0x80 ? 'utf8' : 'latin1', at + 16, end);
    entries.push({ name, size, encrypted: false });
    at = end + 1;
  }
  return { entries };
}
