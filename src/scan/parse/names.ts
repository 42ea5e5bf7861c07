// File names as Windows would read them: extension after trailing dots and spaces are dropped,
// and names built to look like documents while being programs ("invoice.pdf.exe",
// "a.doc      .scr", right-to-left override tricks).

const EXECUTABLE = new Set(
  (
    'exe scr com pif bat cmd vbs vbe js jse wsf wsh hta cpl msi msp jar ps1 psm1 lnk reg dll ' +
    'sys scf inf gadget application msc sct chm iso img vhd vhdx appx msix url xll apk app sh ' +
    'elf run'
  ).split(' '),
);

// Extensions a victim expects to open safely: the decoy half of a double extension.
const DECOY = new Set(
  (
    'pdf doc docx xls xlsx ppt pptx txt rtf jpg jpeg png gif bmp tif tiff zip rar 7z htm html ' +
    'csv mp3 mp4 avi wav mov odt ods xml eml msg jpe heic webp svg wmv mpg mpeg json log dat ' +
    'invoice'
  ).split(' '),
);

// Bidirectional controls that reorder how a name is displayed ("fdp.exe" shown as "exe.pdf").
const BIDI = /[\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

/** The name Windows would store: no directory, no trailing dots or spaces, no NULs. */
export function baseName(name: string): string {
  const base = name.replace(/\0.*$/s, '').split(/[\\/]/).pop() ?? '';
  return base.replace(/[. ]+$/, '');
}

/** Lower-case extension without the dot, "" when none. */
export function extensionOf(name: string | undefined): string {
  if (!name) return '';
  const base = baseName(name);
  const dot = base.lastIndexOf('.');
  if (dot <= 0 && !(dot === 0 && base.length > 1)) return '';
  return base
    .slice(dot + 1)
    .trim()
    .toLowerCase();
}

export function isExecutableExtension(ext: string): boolean {
  return EXECUTABLE.has(ext);
}

/** An executable extension after a document-like one, padding, or a bidi control. */
export function hasDoubleExtension(name: string | undefined): boolean {
  if (!name) return false;
  const base = baseName(name);
  const last = extensionOf(base);
  if (!EXECUTABLE.has(last)) return false;
  if (BIDI.test(base)) return true;
  const rest = base.slice(0, base.lastIndexOf('.'));
  const m = /\.([^.]*)$/.exec(rest);
  if (!m) return false;
  const prev = m[1] as string;
  // "a.doc      .scr": the padding pushes the real extension out of sight.
  if (/\s{3,}$/.test(prev) || /^\s{3,}/.test(prev)) return true;
  const p = prev.trim().toLowerCase();
  return DECOY.has(p) || EXECUTABLE.has(p);
}
