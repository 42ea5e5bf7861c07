// Reading messages for learning: a file holding one message, a directory of them (searched
// recursively, like Maildir cur/ and new/), or an mbox. An mbox is split on "From " lines that
// follow an empty line and carry a date, so a body line starting with "From " (which careless
// writers leave unescaped) does not split a message.
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';

const FROM_LINE_RE = /^From \S+ .*\d{4}\s*$/;

function lineEnd(buf: Buffer, start: number): number {
  const nl = buf.indexOf(0x0a, start);
  return nl === -1 ? buf.length : nl + 1;
}

function isFromLine(buf: Buffer, start: number): boolean {
  if (buf[start] !== 0x46 /* F */ || buf.toString('latin1', start, start + 5) !== 'From ') return false;
  const end = lineEnd(buf, start);
  return FROM_LINE_RE.test(buf.toString('latin1', start, Math.min(end, start + 300)));
}

/** True when the buffer starts with an mbox "From " separator line. */
export function startsWithFromLine(buf: Buffer): boolean {
  return buf.length > 5 && buf.toString('latin1', 0, 5) === 'From ';
}

/** Undoes mboxrd quoting: ">From " → "From ", ">>From " → ">From ". */
function unquote(msg: Buffer): Buffer {
  if (!msg.includes('\n>From ') && !msg.includes('\n>>')) return msg;
  return Buffer.from(msg.toString('latin1').replace(/^>(>*From )/gm, '$1'), 'latin1');
}

/** The messages of an mbox (without their "From " lines); a plain message gives itself. */
export function splitMbox(buf: Buffer): Buffer[] {
  if (!startsWithFromLine(buf)) return buf.length > 0 ? [buf] : [];
  const out: Buffer[] = [];
  let msgStart = lineEnd(buf, 0);
  let pos = msgStart;
  let prevBlank = false;
  while (pos < buf.length) {
    const end = lineEnd(buf, pos);
    if (prevBlank && isFromLine(buf, pos)) {
      out.push(buf.subarray(msgStart, pos));
      msgStart = end;
    }
    const line = buf.toString('latin1', pos, Math.min(end, pos + 2));
    prevBlank = line === '\n' || line === '\r\n';
    pos = end;
  }
  if (msgStart < buf.length) out.push(buf.subarray(msgStart));
  return out.map(unquote);
}

export interface MessageSource {
  /** File the message came from, with "#N" for the Nth message of an mbox. */
  name: string;
  raw: Buffer;
}

/** Files under a path: the path itself, or every non-hidden file below a directory, sorted. */
export async function listFiles(path: string): Promise<string[]> {
  const s = await stat(path);
  if (!s.isDirectory()) return [path];
  const out: string[] = [];
  const entries = (await readdir(path, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    const p = join(path, e.name);
    if (e.isDirectory()) out.push(...(await listFiles(p)));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

/** Every message in a file, directory or mbox, read one file at a time. */
export async function* readMessages(path: string): AsyncGenerator<MessageSource> {
  for (const file of await listFiles(path)) {
    const parts = splitMbox(await readFile(file));
    if (parts.length === 1) yield { name: file, raw: parts[0] as Buffer };
    else for (let i = 0; i < parts.length; i++) yield { name: `${file}#${i + 1}`, raw: parts[i] as Buffer };
  }
}
