// Recognises executables compressed or protected by a run-time packer, the usual wrapping of
// malware to get past signatures (IntelliTrap's "real-time compressed executables"). Reads the
// PE headers only: packers leave their section names there, a section that is both writable
// and executable yet empty on disk (filled by the unpacking stub at run time), or an entry
// point in a writable section.

/** Section names (or their starts) that packers and protectors leave. */
const PACKER_SECTIONS = [
  'UPX', // UPX0/UPX1/UPX2
  '.aspack',
  '.adata',
  'MEW',
  '.petite',
  '.WWP32',
  'yC', // yoda's Crypter
  'pec1',
  'pec2', // PECompact
  '.MPRESS',
  '.nsp0',
  '.nsp1',
  '.packed', // RLPack
  '.themida',
  '.vmp0',
  '.vmp1', // VMProtect
  '.enigma',
  'PEPACK',
  'FSG!',
  '.spack',
];

const IMAGE_SCN_MEM_EXECUTE = 0x20000000;
const IMAGE_SCN_MEM_WRITE = 0x80000000;
const MAX_SECTIONS = 96;

export interface PackerVerdict {
  packed: boolean;
  /** Why: the packer's section name, or "empty writable code section". */
  reason?: string;
}

/** Reads the PE section table; a non-PE or truncated file is "not packed" (nothing to say). */
export function detectPacker(content: Buffer): PackerVerdict {
  if (content.length < 64 || content[0] !== 0x4d || content[1] !== 0x5a) return { packed: false };
  const pe = content.readUInt32LE(0x3c);
  if (pe + 44 > content.length || content.readUInt32BE(pe) !== 0x50450000) return { packed: false };
  const sectionCount = Math.min(content.readUInt16LE(pe + 6), MAX_SECTIONS);
  const optionalHeaderSize = content.readUInt16LE(pe + 20);
  const entryPoint = content.readUInt32LE(pe + 24 + 16);
  const table = pe + 24 + optionalHeaderSize;
  for (let i = 0; i < sectionCount; i++) {
    const at = table + i * 40;
    if (at + 40 > content.length) break;
    const name = content
      .subarray(at, at + 8)
      .toString('latin1')
      .replace(/\0.*$/s, '');
    const known = PACKER_SECTIONS.find((p) => name.startsWith(p));
    if (known) return { packed: true, reason: `section ${JSON.stringify(name)}` };
    const virtualSize = content.readUInt32LE(at + 8);
    const virtualAddress = content.readUInt32LE(at + 12);
    const rawSize = content.readUInt32LE(at + 16);
    const flags = content.readUInt32LE(at + 36);
    const writable = (flags & IMAGE_SCN_MEM_WRITE) !== 0;
    if (rawSize === 0 && writable && (flags & IMAGE_SCN_MEM_EXECUTE) !== 0) {
      return { packed: true, reason: 'empty writable code section' };
    }
    // Linkers put the entry point in read-only code; code that starts by writing over its own
    // section is an unpacking stub.
    const inSection =
      entryPoint >= virtualAddress && entryPoint < virtualAddress + Math.max(virtualSize, rawSize);
    if (inSection && writable) return { packed: true, reason: 'entry point in a writable section' };
  }
  return { packed: false };
}
