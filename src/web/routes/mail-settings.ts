// Mail settings: SMTP limits, accepted domains and their next hops, trusted networks, delivery
// and DNS, in the settings document's own form ("25MB", "5m"). A change is validated as the CLI
// validates an import, saved as a new version and applied on this node at once.
import { z } from 'zod';
import { route, type RouteSpec } from '../route.js';
import { updateSettings } from '../settings-change.js';
import type { SettingsDocument } from '../../config/settings.js';

type MailSettings = Pick<SettingsDocument, 'smtp' | 'domains' | 'trustedNetworks' | 'delivery' | 'dns'>;

const pickMail = (doc: SettingsDocument): MailSettings => ({
  smtp: doc.smtp,
  domains: doc.domains,
  trustedNetworks: doc.trustedNetworks,
  delivery: doc.delivery,
  dns: doc.dns,
});

// The values are checked by the settings schema itself (errors name the key); here only the shape.
const section = z.record(z.string(), z.unknown());
const mailSettingsBody = z.strictObject({
  smtp: section.optional().describe('merged into smtp: only the keys sent change'),
  domains: z.array(z.unknown()).optional().describe('replaces the list of accepted domains'),
  trustedNetworks: z.array(z.unknown()).optional(),
  delivery: section.optional(),
  dns: section.optional(),
});

const mailSettingsResponse = z.object({
  smtp: section,
  domains: z.array(
    z.object({ name: z.string(), nextHops: z.array(z.string()), recipients: z.array(z.string()) }),
  ),
  trustedNetworks: z.array(z.string()),
  delivery: section,
  dns: z.object({ resolvers: z.array(z.string()) }),
});

export function mailSettingsRoutes(): RouteSpec[] {
  return [
    route({
      method: 'GET',
      path: '/mail/settings',
      section: 'mail',
      access: 'read',
      summary: 'SMTP, accepted domains, trusted networks, delivery and DNS settings',
      response: mailSettingsResponse.extend({ version: z.number() }),
      async handler({ services }) {
        const { version, document } = await services.settingsRepo.load();
        return { version, ...pickMail(document) };
      },
    }),
    route({
      method: 'PUT',
      path: '/mail/settings',
      section: 'mail',
      access: 'write',
      summary: 'Change mail settings (any of the keys); applied at once',
      audit: 'mail.settings.update',
      body: mailSettingsBody,
      response: mailSettingsResponse.extend({ version: z.number(), changed: z.array(z.string()) }),
      async handler({ body, services }) {
        const saved = await updateSettings(services, body);
        return { version: saved.version, changed: saved.changed, ...pickMail(saved.document) };
      },
    }),
  ];
}
