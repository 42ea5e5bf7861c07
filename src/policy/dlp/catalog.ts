// The compliance templates a DLP condition can name, described for administrators: what each
// finds, how a number is told from other digits, and the options a rule gives it.
import { DLP_TEMPLATES, TEXT_AREAS, type DlpTemplate } from '../types.js';

export interface DlpTemplateInfo {
  name: DlpTemplate;
  /** What the policy log calls a finding. */
  label: string;
  description: string;
  /** Written like this in mail (shown masked in the logs). */
  example: string;
  parameters: {
    minCount: { type: 'integer'; minimum: 1; default: 1; description: string };
    in: { type: 'array'; items: readonly string[]; default: readonly string[]; description: string };
  };
}

const DESCRIPTIONS: Record<DlpTemplate, Pick<DlpTemplateInfo, 'label' | 'description' | 'example'>> = {
  'credit-card': {
    label: 'credit card number',
    description: 'Card numbers of 13 to 19 digits that pass the Luhn check, with or without spaces or dashes',
    example: '4111 1111 1111 1111',
  },
  'my-number': {
    label: 'My Number (individual number)',
    description:
      'Japanese individual numbers: 12 digits (or 4-4-4) with a valid check digit; full-width digits too',
    example: '1234 5678 9018',
  },
  iban: {
    label: 'IBAN',
    description:
      'International bank account numbers: country code, check digits (mod 97) and the length of that country',
    example: 'DE89 3704 0044 0532 0130 00',
  },
  'us-ssn': {
    label: 'US social security number',
    description: 'US social security numbers written AAA-GG-SSSS, excluding numbers never issued',
    example: '536-22-1234',
  },
};

const DEFAULT_AREAS = ['subject', 'body', 'attachmentText'] as const;

export const DLP_TEMPLATE_CATALOG: DlpTemplateInfo[] = DLP_TEMPLATES.map((name) => ({
  name,
  ...DESCRIPTIONS[name],
  parameters: {
    minCount: {
      type: 'integer',
      minimum: 1,
      default: 1,
      description: 'distinct numbers needed for the condition to match',
    },
    in: { type: 'array', items: TEXT_AREAS, default: DEFAULT_AREAS, description: 'where to look' },
  },
}));

/** The policy log's word for a template's findings. */
export function dlpLabel(template: DlpTemplate): string {
  return DESCRIPTIONS[template].label;
}
