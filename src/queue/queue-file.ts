// One file per queued message: the message bytes exactly as they will be delivered, then the
// envelope as JSON, then a fixed-size trailer giving the JSON's length. Appending the envelope
// last lets the body stream straight to disk; a file without a valid trailer was never
// committed (and never acknowledged), so recovery can throw it away.
import { open } from 'node:fs/promises';
import type { Envelope } from './types.js';

const MAGIC = '\n#SEKIMORI-Q1 ';
/** "\n#SEKIMORI-Q1 " + 10 digits + "\n" */
export const TRAILER_LENGTH = MAGIC.length + 11;

export function encodeTrailer(envelope: Envelope): Buffer {
  const json = Buffer.from(JSON.stringify(envelope), 'utf8');
  const trailer = Buffer.from(`${MAGIC}${String(json.length).padStart(10, '0')}\n`, 'latin1');
  return Buffer.concat([json, trailer]);
}

export interface QueueFileInfo {
  envelope: Envelope;
  /** Bytes of the message at the start of the file. */
  bodyLength: number;
}

export class CorruptQueueFileError extends Error {}

/** Reads the envelope of a queue file; throws CorruptQueueFileError for an uncommitted file. */
export async function readQueueFile(path: string): Promise<QueueFileInfo> {
  const fh = await open(path, 'r');
  try {
    const { size } = await fh.stat();
    if (size < TRAILER_LENGTH) throw new CorruptQueueFileError(`${path}: no envelope`);
    const trailer = Buffer.alloc(TRAILER_LENGTH);
    await fh.read(trailer, 0, TRAILER_LENGTH, size - TRAILER_LENGTH);
    const text = trailer.toString('latin1');
    if (!text.startsWith(MAGIC) || !text.endsWith('\n'))
      throw new CorruptQueueFileError(`${path}: no envelope`);
    const jsonLength = Number(text.slice(MAGIC.length, MAGIC.length + 10));
    const bodyLength = size - TRAILER_LENGTH - jsonLength;
    if (!Number.isInteger(jsonLength) || bodyLength < 0)
      throw new CorruptQueueFileError(`${path}: bad trailer`);
    const json = Buffer.alloc(jsonLength);
    await fh.read(json, 0, jsonLength, bodyLength);
    try {
      return { envelope: JSON.parse(json.toString('utf8')) as Envelope, bodyLength };
    } catch {
      throw new CorruptQueueFileError(`${path}: envelope is not JSON`);
    }
  } finally {
    await fh.close();
  }
}
