// The "auth" section of the settings document: SPF, DKIM, DMARC and ARC verification and DKIM signing.
import { z } from 'zod';

export const authSettingsSchema = z.strictObject({}).prefault({});

export type AuthSettingsDocument = z.output<typeof authSettingsSchema>;

export type AuthSettings = AuthSettingsDocument;

export function resolveAuthSettings(doc: AuthSettingsDocument): AuthSettings {
  return doc;
}
