// Heuristics in the spirit of IntelliTrap, read from the parser's facts: they catch what has no
// signature yet by the way it is wrapped. Each can be turned off in antivirus.heuristics.
import type { AttachmentFact, ExtractedFile, ScanException, TrueType } from '../facts.js';
import type { HeuristicSettings } from './antivirus-settings.js';
import { detectPacker } from './pe-packer.js';

export const HEURISTIC_NAMES = {
  executableInArchive: 'Heuristic.ExecutableInArchive',
  packedExecutable: 'Heuristic.PackedExecutable',
  doubleExtension: 'Heuristic.DoubleExtension',
  macroDocument: 'Heuristic.MacroDocument',
} as const;

/** What the heuristics call an executable: native programs and scripts, by content. */
const EXECUTABLE_TYPES = new Set<TrueType>(['exe', 'elf', 'macho', 'script']);

export interface HeuristicResult {
  /** Heuristic names with the attachment each applies to (categories are given by the engine). */
  hits: { name: string; attachment: string }[];
  exceptions: ScanException[];
}

export function runHeuristics(
  attachments: AttachmentFact[],
  files: ExtractedFile[],
  enabled: HeuristicSettings,
): HeuristicResult {
  const contents = new Map(files.map((f) => [f.attachmentId, f.content]));
  const result: HeuristicResult = { hits: [], exceptions: [] };
  const hit = (key: keyof typeof HEURISTIC_NAMES, a: AttachmentFact) =>
    result.hits.push({ name: HEURISTIC_NAMES[key], attachment: a.id });

  for (const a of attachments) {
    const executable = EXECUTABLE_TYPES.has(a.trueType);
    if (enabled.executableInArchive && executable && a.depth > 0) hit('executableInArchive', a);
    if (enabled.packedExecutable && a.trueType === 'exe') {
      const content = contents.get(a.id);
      if (content && detectPacker(content).packed) hit('packedExecutable', a);
    }
    // The parser sets doubleExtension only when the last extension is executable ("x.pdf.exe").
    if (enabled.doubleExtension && a.doubleExtension) hit('doubleExtension', a);
    if (enabled.macroDocument && a.hasMacros) hit('macroDocument', a);
    if (enabled.encryptedArchive && a.encrypted) {
      result.exceptions.push({
        kind: 'encrypted',
        detail: `attachment "${a.name ?? a.id}" is encrypted and cannot be scanned`,
        attachment: a.id,
      });
    }
  }
  return result;
}
