// Recognises executables compressed or protected by a run-time packer, the usual wrapping of
// malware to get past signatures (IntelliTrap's "real-time compressed executables"). Reads the
// PE section table only: packers leave their names there, or a section that is both writable
// and executable yet empty on disk, to be filled by the unpacking stub at run time.

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
  if (pe + 24 > content.length || content.readUInt32BE(pe) !== 0x50450000) return { packed: false };
  const sectionCount = Math.min(content.readUInt16LE(pe + 6), MAX_SECTIONS);
  const optionalHeaderSize = content.readUInt16LE(pe + 20);
  const table = pe + 24 + optionalHeaderSize;
  for (let i = 0; i < sectionCount; i++) {
    const at = table + i * 40;
    if (at + 40 > content.length) break;
    const name = content.subarray(at, at + 8).toString('latin1').replace(/\0.*$/s, '');
    const known = PACKER_SECTIONS.find((p) => name.startsWith(p));
    if (known) return { packed: true, reason: `section ${JSON.stringify(name)}` };
    const rawSize = content.readUInt32LE(at + 16);
    const flags = content.readUInt32LE(at + 36);
    if (rawSize === 0 && flags & IMAGE_SCN_MEM_EXECUTE && flags & IMAGE_SCN_MEM_WRITE) {
      return { packed: true, reason: 'empty writable code section' };
    }
  }
  return { packed: false };
}
