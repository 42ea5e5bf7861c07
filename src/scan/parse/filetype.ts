// The true type of a file from its first bytes, whatever its name or declared MIME type says.
// A small table of the magic numbers that matter to a mail gateway (executables, archives,
// documents, media), then sniffing for HTML, scripts and plain text.
import type { TrueType } from '../facts.js';

const SCRIPT_EXTENSIONS = new Set('js jse vbs vbe wsf wsh ps1 psm1 bat cmd hta sh'.split(' '));
// Markers of Windows script hosts and PowerShell droppers: strong enough to call a text a script.
const SCRIPT_MARKERS =
  /WScript\.|ActiveXObject|CreateObject\s*\(|-EncodedCommand|powershell(?:\.exe)?\s+-|<job\b|<\?php|\bExecuteGlobal\b/i;

function startsWith(buf: Buffer, bytes: number[], at = 0): boolean {
  if (buf.length < at + bytes.length) return false;
  for (let i = 0; i < bytes.length; i++) if (buf[at + i] !== bytes[i]) return false;
  return true;
}

function ascii(buf: Buffer, at: number, text: string): boolean {
  return buf.length >= at + text.length && buf.toString('latin1', at, at + text.length) === text;
}

/** A v7/ustar tar header: a valid octal checksum over the first 512 bytes. */
export function isTarHeader(buf: Buffer, at = 0): boolean {
  if (buf.length < at + 512) return false;
  if (ascii(buf, at + 257, 'ustar')) return true;
  const field = buf
    .toString('latin1', at + 148, at + 156)
    .replace(/[\0 ]+$/, '')
    .trim();
  if (!/^[0-7]{1,7}$/.test(field)) return false;
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : (buf[at + i] as number);
  return sum === parseInt(field, 8) && buf[at] !== 0;
}

/** Mostly printable (or valid UTF-8/UTF-16 text) in the sampled head of the file. */
function looksLikeText(sample: Buffer): boolean {
  if (sample.length === 0) return true;
  if (startsWith(sample, [0xff, 0xfe]) || startsWith(sample, [0xfe, 0xff])) return true;
  let control = 0;
  for (let i = 0; i < sample.length; i++) {
    const c = sample[i] as number;
    if (c === 0) return false;
    if (c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d && c !== 0x0c && c !== 0x1b) control++;
  }
  return control * 20 < sample.length;
}

function isMachO(buf: Buffer): boolean {
  const m = buf.length >= 8 ? buf.readUInt32BE(0) : 0;
  if (m === 0xfeedface || m === 0xfeedfacf || m === 0xcefaedfe || m === 0xcffaedfe) return true;
  // 0xCAFEBABE is both a fat Mach-O and a Java class; a fat binary lists few architectures.
  return m === 0xcafebabe && buf.readUInt32BE(4) < 40;
}

function mediaType(buf: Buffer): TrueType | undefined {
  if (startsWith(buf, [0x89, 0x50, 0x4e, 0x47]) || startsWith(buf, [0xff, 0xd8, 0xff])) return 'image';
  if (ascii(buf, 0, 'GIF87a') || ascii(buf, 0, 'GIF89a')) return 'image';
  if (ascii(buf, 0, 'II*\0') || ascii(buf, 0, 'MM\0*') || startsWith(buf, [0, 0, 1, 0])) return 'image';
  if (ascii(buf, 0, 'BM') && buf.length > 26 && buf.readUInt32LE(2) === buf.length) return 'image';
  if (ascii(buf, 0, 'RIFF')) {
    if (ascii(buf, 8, 'WEBP')) return 'image';
    if (ascii(buf, 8, 'WAVE')) return 'audio';
    if (ascii(buf, 8, 'AVI ')) return 'video';
  }
  if (ascii(buf, 0, 'ID3') || ascii(buf, 0, 'OggS') || ascii(buf, 0, 'fLaC')) return 'audio';
  if (startsWith(buf, [0xff, 0xfb]) || startsWith(buf, [0xff, 0xf3])) return 'audio';
  if (ascii(buf, 4, 'ftyp')) return ascii(buf, 8, 'M4A ') ? 'audio' : 'video';
  if (startsWith(buf, [0x1a, 0x45, 0xdf, 0xa3])) return 'video';
  return undefined;
}

/** The file's true type; `name` only helps tell a script from plain text. */
export function detectType(buf: Buffer, name?: string): TrueType {
  if (ascii(buf, 0, 'MZ')) return 'exe';
  if (startsWith(buf, [0x7f, 0x45, 0x4c, 0x46])) return 'elf';
  if (isMachO(buf)) return 'macho';
  if (ascii(buf, 0, 'PK\x03\x04') || ascii(buf, 0, 'PK\x05\x06') || ascii(buf, 0, 'PK\x07\x08')) {
    return buf.includes('[Content_Types].xml') ? 'ooxml' : 'zip';
  }
  if (startsWith(buf, [0x1f, 0x8b])) return 'gzip';
  if (startsWith(buf, [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c])) return '7z';
  if (ascii(buf, 0, 'Rar!\x1a\x07')) return 'rar';
  if (ascii(buf, 0, 'BZh') && buf.length > 3 && (buf[3] as number) >= 0x31 && (buf[3] as number) <= 0x39)
    return 'bzip2';
  if (startsWith(buf, [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])) return 'xz';
  if (ascii(buf, 0, 'MSCF')) return 'cab';
  if (startsWith(buf, [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1])) return 'ole';
  // Readers accept "%PDF" anywhere in the first kilobyte; Word opens anything starting "{\rt".
  if (buf.subarray(0, 1024).includes('%PDF')) return 'pdf';
  if (ascii(buf, 0, '{\\rt')) return 'rtf';
  if (isTarHeader(buf)) return 'tar';
  const media = mediaType(buf);
  if (media) return media;
  if (ascii(buf, 0, '#!')) return 'script';

  const sample = buf.subarray(0, 4096);
  if (!looksLikeText(sample)) return 'unknown';
  const head = sample.toString('latin1').replace(/^\ufeff|^\xef\xbb\xbf/, '');
  const start = head.trimStart().slice(0, 256).toLowerCase();
  if (start.startsWith('<svg') || (start.startsWith('<?xml') && /<svg[\s>]/i.test(head))) return 'image';
  if (/^<(!doctype html|html|head|body|script|iframe|meta|title|form|div|table|a\s)/.test(start))
    return 'html';
  if (/<html[\s>]/i.test(head)) return 'html';
  const ext = name ? (/\.([^.]+)$/.exec(name.trim())?.[1] ?? '').toLowerCase() : '';
  if (SCRIPT_EXTENSIONS.has(ext) || SCRIPT_MARKERS.test(head)) return 'script';
  return 'text';
}

/** Types whose content is text worth keeping for rules (DLP, keywords). */
export function isTextLike(t: TrueType): boolean {
  return t === 'text' || t === 'html' || t === 'script' || t === 'rtf';
}
