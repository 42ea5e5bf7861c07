// Queue IDs: sortable by arrival, unique across restarts and across the nodes of a group,
// and safe as file names (upper-case letters and digits only).
import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHJKLMNPQRSTVWXYZ'; // Crockford base32, no I L O U
let lastMs = 0;
let sequence = 0;

function base32(value: number, width: number): string {
  let out = '';
  for (let i = 0; i < width; i++) {
    out = ALPHABET[value % 32] + out;
    value = Math.floor(value / 32);
  }
  return out;
}

export function newQueueId(now = Date.now()): string {
  if (now === lastMs) sequence++;
  else {
    lastMs = now;
    sequence = 0;
  }
  const rand = randomBytes(3);
  const noise = ((rand[0] ?? 0) << 16) | ((rand[1] ?? 0) << 8) | (rand[2] ?? 0);
  return base32(now, 9) + base32(sequence % 1024, 2) + base32(noise, 5);
}

export function isQueueId(text: string): boolean {
  return /^[0-9A-Z]{16}$/.test(text);
}
