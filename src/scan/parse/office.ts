// Office documents: macros in OOXML (a vbaProject.bin part, XLM macro sheets, the macro-enabled
// extensions) and in OLE compound files (VBA storages), and password-encrypted OOXML (an OLE
// file holding an "EncryptedPackage"). OLE is read by scanning for directory entries at every
// 128-byte boundary instead of following the FAT: simpler, and a damaged or doctored sector
// chain cannot hide an entry from it.

const MACRO_EXTENSIONS = new Set('docm dotm xlsm xltm xlam pptm potm ppsm ppam sldm'.split(' '));

export function ooxmlHasMacros(memberNames: string[], extension: string): boolean {
  if (MACRO_EXTENSIONS.has(extension)) return true;
  return memberNames.some((n) => {
    const lower = n.toLowerCase();
    return (
      lower.endsWith('vbaproject.bin') || lower.includes('/macrosheets/') || lower.endsWith('vbadata.xml')
    );
  });
}

/** OOXML parts whose text is the document's text (Word body, Excel strings, slides). */
export function isOoxmlTextPart(name: string): boolean {
  return /^(word\/(document|header\d*|footer\d*|footnotes|endnotes|comments)\.xml|xl\/sharedStrings\.xml|ppt\/slides\/slide\d+\.xml)$/i.test(
    name,
  );
}

/** Embedded objects and packages in an OOXML file: opened like archive members. */
export function isOoxmlEmbedding(name: string): boolean {
  return /\/embeddings\//i.test(name);
}

/** Every directory entry name of a compound file. */
export function oleEntryNames(buf: Buffer): string[] {
  const names = new Set<string>();
  for (let at = 512; at + 128 <= buf.length; at += 128) {
    const len = buf.readUInt16LE(at + 64);
    const type = buf[at + 66];
    if (len < 4 || len > 64 || len % 2 !== 0 || (type !== 1 && type !== 2 && type !== 5)) continue;
    if (buf[at + len - 2] !== 0 || buf[at + len - 1] !== 0) continue;
    const name = buf.toString('utf16le', at, at + len - 2);
    // eslint-disable-next-line no-control-regex
    if (/^[\x01-\x06]?[\x20-\x7e]+$/.test(name)) names.add(name.replace(/^[\x01-\x06]/, ''));
  }
  return [...names];
}

export interface OleFacts {
  hasMacros: boolean;
  encrypted: boolean;
}

export function inspectOle(buf: Buffer): OleFacts {
  const names = oleEntryNames(buf).map((n) => n.toUpperCase());
  const hasMacros = names.some(
    (n) =>
      n === '_VBA_PROJECT' || n === '_VBA_PROJECT_CUR' || n === 'VBA' || n === 'MACROS' || n === 'PROJECTWM',
  );
  const encrypted = names.includes('ENCRYPTEDPACKAGE') || names.includes('ENCRYPTIONINFO');
  return { hasMacros, encrypted };
}

/** Text of an OOXML XML part: tags dropped, paragraphs as line breaks. */
export function ooxmlXmlText(xml: string): string {
  return xml
    .replace(/<\/(w:p|a:p|si|row)>/g, '\n')
    .replace(/<(w:tab|w:br)\b[^>]*\/>/g, ' ')
    .replace(/<[^>]*>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
}
