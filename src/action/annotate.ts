// Headers Sekimori adds to what it scanned, replacing any of the same name that came from
// outside (a sender must not be able to pre-write our verdicts).
import { setHeaderField } from './modify.js';

export function replaceTopHeaders(
  raw: Buffer,
  fields: { name: string; value: string }[],
  remove: string[],
): Buffer {
  if (fields.length === 0 && remove.length === 0) return raw;
  const text = raw.toString('latin1');
  let end = text.indexOf('\r\n\r\n');
  if (end < 0) end = text.length;
  let header = text.slice(0, end);
  for (const name of remove) header = setHeaderField(header, name, undefined);
  const added = fields.map((f) => `${f.name}: ${f.value.replace(/[\r\n]+/g, ' ')}\r\n`).join('');
  return Buffer.from(added + header + text.slice(end), 'latin1');
}
