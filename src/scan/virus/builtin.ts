// The engine that needs nothing installed: the EICAR test file and the heuristics. It runs
// beside clamd, or alone when no clamd is configured (then there is no signature scanning, and
// status and console say so).
import type { ExtractedFile, Facts, VirusFinding } from '../facts.js';
import type { VirusEngine, VirusScanResult } from '../virus-engine.js';
import type { CategoryRule, HeuristicSettings } from './antivirus-settings.js';
import { createCategorizer, type Categorize } from './categories.js';
import { EICAR_SIGNATURE_NAME, isEicar, messageBody } from './eicar.js';
import { runHeuristics } from './heuristics.js';

export const BUILTIN_ENGINE_VERSION = '1';

export interface BuiltinEngineOptions {
  heuristics: HeuristicSettings;
  categories?: CategoryRule[];
}

export class BuiltinEngine implements VirusEngine {
  readonly name = 'builtin';
  private readonly categorize: Categorize;

  constructor(private readonly options: BuiltinEngineOptions) {
    this.categorize = createCategorizer(options.categories);
  }

  async scan(raw: Buffer, facts: Facts, files: ExtractedFile[]): Promise<VirusScanResult> {
    const findings: VirusFinding[] = [];
    const found = (name: string, attachment?: string) => {
      const f: VirusFinding = { name, category: this.categorize(name), engine: this.name };
      if (attachment !== undefined) f.attachment = attachment;
      findings.push(f);
    };

    const eicarFiles = files.filter((f) => isEicar(f.content));
    for (const f of eicarFiles) found(EICAR_SIGNATURE_NAME, f.attachmentId);
    // The test string sent as the message text, raw or after transfer decoding.
    if (eicarFiles.length === 0 && this.eicarInMessageText(raw, facts)) found(EICAR_SIGNATURE_NAME);

    const heuristics = runHeuristics(facts.attachments, files, this.options.heuristics);
    for (const h of heuristics.hits) found(h.name, h.attachment);

    return {
      findings,
      exceptions: heuristics.exceptions,
      engines: { [this.name]: BUILTIN_ENGINE_VERSION },
    };
  }

  private eicarInMessageText(raw: Buffer, facts: Facts): boolean {
    const body = messageBody(raw);
    if (body && isEicar(body)) return true;
    const text = facts.textBody.trimStart();
    return text.length <= 128 && isEicar(Buffer.from(text, 'latin1'));
  }
}
