// The "spam" section of the settings document: spam scoring, the Bayesian classifier, graymail, social engineering and C&C lists.
import { z } from 'zod';

export const spamSettingsSchema = z.strictObject({}).prefault({});

export type SpamSettingsDocument = z.output<typeof spamSettingsSchema>;

export type SpamSettings = SpamSettingsDocument;

export function resolveSpamSettings(doc: SpamSettingsDocument): SpamSettings {
  return doc;
}
