// The "senderFilter" section of the settings document: approved/blocked lists, IP profiler, throttling.
import { z } from 'zod';

export const senderFilterSettingsSchema = z.strictObject({}).prefault({});

export type SenderFilterSettingsDocument = z.output<typeof senderFilterSettingsSchema>;

export type SenderFilterSettings = SenderFilterSettingsDocument;

export function resolveSenderFilterSettings(doc: SenderFilterSettingsDocument): SenderFilterSettings {
  return doc;
}
