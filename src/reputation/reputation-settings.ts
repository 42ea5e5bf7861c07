// The "reputation" section of the settings document: DNSBL/DNSWL zones at connect time and URIBL zones for URLs.
import { z } from 'zod';

export const reputationSettingsSchema = z.strictObject({}).prefault({});

export type ReputationSettingsDocument = z.output<typeof reputationSettingsSchema>;

export type ReputationSettings = ReputationSettingsDocument;

export function resolveReputationSettings(doc: ReputationSettingsDocument): ReputationSettings {
  return doc;
}
