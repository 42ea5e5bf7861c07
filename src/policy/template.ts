// %TOKENS% in notification templates, stamps, subject tags and added headers (SPEC §12).
// Expansion is one pass: a value that itself contains "%SENDER%" (a subject an attacker
// wrote, say) is inserted as it is and never expanded again. Unknown tokens, and tokens with
// no value in the context, stay as written.
import type { InterceptAction } from './decision.js';

export const TEMPLATE_TOKENS = [
  'SENDER',
  'RCPTS',
  'SUBJECT',
  'RULENAME',
  'VIRUSNAME',
  'FILENAME',
  'ACTION',
  'QUEUEID',
  'MESSAGEID',
] as const;

export type TemplateToken = (typeof TEMPLATE_TOKENS)[number];
export type TemplateContext = Partial<Record<TemplateToken, string>>;

export interface ExpandOptions {
  /** Escape values for HTML (stamps with an html part). */
  html?: boolean;
  /** Values on one line (subject tags, header values): CR and LF become spaces. */
  oneLine?: boolean;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function expandTemplate(text: string, ctx: TemplateContext, o: ExpandOptions = {}): string {
  const out = text.replace(/%([A-Z]+)%/g, (token, name: string) => {
    const value = (ctx as Record<string, string | undefined>)[name];
    if (value === undefined) return token;
    return o.html ? escapeHtml(value) : value;
  });
  return o.oneLine ? out.replace(/[\r\n]+/g, ' ') : out;
}

/** Words for %ACTION%. */
export function describeAction(i: InterceptAction): string {
  switch (i.type) {
    case 'deliver':
      return 'delivered';
    case 'delete':
      return 'deleted';
    case 'quarantine':
      return `quarantined (${i.area})`;
    case 'hold':
      return 'held';
    case 'changeRecipient':
      return `redirected to ${i.to.join(', ')}`;
    case 'reroute':
      return `re-routed to ${i.host}:${i.port}`;
  }
}
