// Hand-built messages and settings for the policy tests (the parser is tested on its own).
import {
  emptyFacts,
  type Direction,
  type ExtractedFile,
  type Facts,
  type ParsedMessage,
} from '../../src/scan/facts.js';
import type { Decision } from '../../src/policy/decision.js';
import { evaluatePolicy } from '../../src/policy/engine.js';
import { MessageContext } from '../../src/policy/message-context.js';
import { policySettingsSchema, resolvePolicySettings } from '../../src/policy/policy-settings.js';
import type { PolicySettings } from '../../src/policy/types.js';

export { attachment } from './facts.js';

export const ACCEPTED = ['example.com', '*.example.org'];

export function facts(over: Partial<Facts> = {}): Facts {
  return emptyFacts({
    envelope: {
      sender: 'alice@example.net',
      recipients: ['bob@example.com'],
      clientIp: '192.0.2.1',
      helo: 'mail.example.net',
    },
    size: 2048,
    subject: 'Hello',
    ...over,
  });
}

export function message(over: Partial<Facts> = {}, files: ExtractedFile[] = []): ParsedMessage {
  return { facts: facts(over), files };
}

export function context(over: Partial<Facts> = {}, files: ExtractedFile[] = []): MessageContext {
  return new MessageContext(message(over, files));
}

export function file(attachmentId: string, text: string): ExtractedFile {
  return { attachmentId, content: Buffer.from(text), text };
}

/** The policy section as an administrator writes it, validated and resolved. */
export function policy(doc: unknown = {}): PolicySettings {
  return resolvePolicySettings(policySettingsSchema.parse(doc));
}

/** Internal when both ends are in an accepted domain, else inbound or outbound by the recipient. */
export function directionFor(sender: string) {
  const internal = (a: string) => /@(example\.com|.+\.example\.org)$/i.test(a);
  return (recipient: string): Direction =>
    internal(recipient) ? (internal(sender) ? 'internal' : 'inbound') : 'outbound';
}

export function decide(settings: PolicySettings, parsed: ParsedMessage): Decision {
  return evaluatePolicy(settings, parsed, {
    acceptedDomains: ACCEPTED,
    directionFor: directionFor(parsed.facts.envelope.sender),
  });
}

/** Only the rules under test: the default rules are switched off (the rest of them stays as it is). */
export function onlyRules(rules: unknown[], rest: Record<string, unknown> = {}): PolicySettings {
  const off = ['global-antivirus', 'scan-exceptions', 'default-spam', 'default-graymail'].map((id) => ({
    id,
    enabled: false,
  }));
  return policy({ ...rest, rules: [...off, ...rules] });
}
