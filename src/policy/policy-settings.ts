// The "policy" section of the settings document: rules, keyword lists, address groups, templates, quarantine areas.
import { z } from 'zod';

export const policySettingsSchema = z.strictObject({}).prefault({});

export type PolicySettingsDocument = z.output<typeof policySettingsSchema>;

export type PolicySettings = PolicySettingsDocument;

export function resolvePolicySettings(doc: PolicySettingsDocument): PolicySettings {
  return doc;
}
