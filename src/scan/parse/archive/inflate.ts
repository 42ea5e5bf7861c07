// Decompression with a hard output cap. Output is collected chunk by chunk and the stream is
// destroyed the moment the cap is passed, so a bomb costs at most `cap` bytes of memory and the
// work to produce them; nothing is inflated first and measured later.
import zlib from 'node:zlib';

export interface InflateResult {
  /** What was produced, at most `cap` bytes (the head of the file when `overflow`). */
  data: Buffer;
  /** The output would have been longer than `cap`. */
  overflow: boolean;
  /** The stream is corrupt or truncated (data holds what came out before). */
  error?: string;
}

const CHUNK = 128 * 1024;

export function inflateCapped(
  input: Buffer,
  mode: 'raw' | 'gzip' | 'zlib',
  cap: number,
): Promise<InflateResult> {
  return new Promise((resolve) => {
    const options = { chunkSize: CHUNK };
    const z =
      mode === 'raw'
        ? zlib.createInflateRaw(options)
        : mode === 'gzip'
          ? zlib.createGunzip(options)
          : zlib.createInflate(options);
    const chunks: Buffer[] = [];
    let total = 0;
    let done = false;
    const finish = (overflow: boolean, error?: string) => {
      if (done) return;
      done = true;
      const data = Buffer.concat(chunks, total);
      resolve(error === undefined ? { data, overflow } : { data, overflow, error });
    };
    z.on('data', (chunk: Buffer) => {
      if (done) return;
      if (total + chunk.length > cap) {
        chunks.push(chunk.subarray(0, cap - total));
        total = cap;
        finish(true);
        z.destroy();
        return;
      }
      chunks.push(chunk);
      total += chunk.length;
    });
    z.on('end', () => finish(false));
    z.on('error', (err: Error) => finish(false, err.message));
    z.end(input);
  });
}
