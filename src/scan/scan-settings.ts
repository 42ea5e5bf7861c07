// The "scan" section of the settings document: archive and MIME limits for the parser (H1 fills in).
import { z } from 'zod';

export const scanSettingsSchema = z.strictObject({}).prefault({});

export type ScanSettingsDocument = z.output<typeof scanSettingsSchema>;

export type ScanSettings = ScanSettingsDocument;

export function resolveScanSettings(doc: ScanSettingsDocument): ScanSettings {
  return doc;
}
