// The original file name stored in a gzip header (FNAME), when there is one.

export function gzipName(buf: Buffer): string | undefined {
  if (buf.length < 10 || buf[0] !== 0x1f || buf[1] !== 0x8b) return undefined;
  const flags = buf[3] as number;
  let at = 10;
  if (flags & 0x04) {
    if (at + 2 > buf.length) return undefined;
    at += 2 + buf.readUInt16LE(at); // FEXTRA
  }
  if (!(flags & 0x08)) return undefined;
  const end = buf.indexOf(0, at);
  if (end === -1 || end - at > 1024) return undefined;
  const raw = buf.subarray(at, end);
  return raw.toString('latin1');
}

/** The name of the file inside "x.gz" / "x.tgz" when the header does not say. */
export function gunzippedName(archiveName: string | undefined): string {
  if (!archiveName) return 'file';
  if (/\.tgz$/i.test(archiveName)) return archiveName.replace(/\.tgz$/i, '.tar');
  const stripped = archiveName.replace(/\.(gz|gzip|z)$/i, '');
  return stripped === archiveName ? `${archiveName}.out` : stripped;
}
