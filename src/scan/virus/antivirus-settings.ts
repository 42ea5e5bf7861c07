// The "antivirus" section of the settings document: clamd address and scan-exception defaults.
import { z } from 'zod';

export const antivirusSettingsSchema = z.strictObject({}).prefault({});

export type AntivirusSettingsDocument = z.output<typeof antivirusSettingsSchema>;

export type AntivirusSettings = AntivirusSettingsDocument;

export function resolveAntivirusSettings(doc: AntivirusSettingsDocument): AntivirusSettings {
  return doc;
}
