// Hand-built facts for the tests of the engines and the rules (the parser is tested on its own).
import type { AttachmentFact } from '../../src/scan/facts.js';

/** An attachment as the parser would describe it; the extension follows the name. */
export function attachment(id: string, over: Partial<AttachmentFact> = {}): AttachmentFact {
  const name = 'name' in over ? over.name : `file-${id}.bin`;
  return {
    id,
    name,
    extension: name?.includes('.') ? (name.split('.').pop() ?? '').toLowerCase() : '',
    declaredType: 'application/octet-stream',
    trueType: 'unknown',
    size: 100,
    sha256: '',
    depth: 0,
    encrypted: false,
    hasMacros: false,
    pdfJavascript: false,
    doubleExtension: false,
    ...over,
  };
}
