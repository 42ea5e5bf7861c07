// Rule actions as administrators write them: one intercept, any number of modify and monitor
// entries (each a one-key object).
import { z } from 'zod';
import { parseHostPort } from '../config/host-port.js';
import {
  addressSetting,
  exactlyOne,
  headerNameSetting,
  headerValueSetting,
  nameSetting,
} from './schema-common.js';
import { INTERCEPT_ACTIONS } from './intercept-actions.js';

export { INTERCEPT_ACTIONS };

/** Which of the optional keys each intercept action takes. */
const NEEDS: Record<(typeof INTERCEPT_ACTIONS)[number], 'area' | 'to' | 'host' | undefined> = {
  continue: undefined,
  deliver: undefined,
  delete: undefined,
  quarantine: 'area',
  changeRecipient: 'to',
  reroute: 'host',
  hold: undefined,
};

const intercept = z.preprocess(
  // "intercept: delete" is shorthand for "intercept: { action: delete }".
  (v) => (typeof v === 'string' ? { action: v } : v),
  z
    .strictObject({
      action: z.enum(INTERCEPT_ACTIONS),
      /** quarantine: the quarantine area. */
      area: nameSetting.optional(),
      /** changeRecipient: the new recipients. */
      to: z.preprocess((v) => (typeof v === 'string' ? [v] : v), z.array(addressSetting).min(1)).optional(),
      /** reroute: "host:port" to hand the message to. */
      host: z
        .string()
        .refine((v) => parseHostPort(v) !== undefined, {
          message: 'not a host or host:port (write e.g. sandbox.example.com:25)',
        })
        .optional(),
    })
    .superRefine((v, ctx) => {
      const needed = NEEDS[v.action];
      for (const key of ['area', 'to', 'host'] as const) {
        if (key === needed && v[key] === undefined)
          ctx.addIssue({ code: 'custom', path: [key], message: `${v.action} needs ${key}` });
        if (key !== needed && v[key] !== undefined)
          ctx.addIssue({ code: 'custom', path: [key], message: `not used by ${v.action}` });
      }
    }),
);

const stamp = z.preprocess(
  (v) => (typeof v === 'string' ? { text: v } : v),
  z.strictObject({
    text: z.string().min(1),
    /** HTML for HTML bodies; the text (escaped) when omitted. */
    html: z.string().min(1).optional(),
    position: z.enum(['top', 'bottom']).default('bottom'),
  }),
);

const stripAttachments = z.preprocess(
  (v) => (typeof v === 'string' ? { which: v } : v === null ? {} : v),
  z.strictObject({
    /** matching: the files this rule's conditions found; all: every attachment. */
    which: z.enum(['matching', 'all']).default('matching'),
    note: z.string().optional(),
  }),
);

const modifyShape = {
  tagSubject: z
    .string()
    .min(1)
    .regex(/^[^\r\n]*$/, 'must be one line')
    .optional(),
  stamp: stamp.optional(),
  addHeader: z.strictObject({ name: headerNameSetting, value: headerValueSetting }).optional(),
  removeHeader: headerNameSetting.optional(),
  stripAttachments: stripAttachments.optional(),
};

const modifyEntry = z
  .strictObject(modifyShape)
  .superRefine(exactlyOne(Object.keys(modifyShape), 'modify entry'));

const NOTIFY_TARGETS: readonly string[] = ['sender', 'recipients', 'admin'];

const monitorShape = {
  notify: z
    .strictObject({
      template: nameSetting,
      /** sender, recipients, admin (administratorAddress) or an address. */
      to: z.string().refine((v) => NOTIFY_TARGETS.includes(v) || addressSetting.safeParse(v).success, {
        message: 'write sender, recipients, admin or an e-mail address',
      }),
    })
    .optional(),
  bcc: addressSetting.optional(),
  archive: nameSetting.optional(),
};

const monitorEntry = z
  .strictObject(monitorShape)
  .superRefine(exactlyOne(Object.keys(monitorShape), 'monitor entry'));

export const actionsSchema = z.strictObject({
  intercept: intercept.default({ action: 'continue' }),
  modify: z.array(modifyEntry).default([]),
  monitor: z.array(monitorEntry).default([]),
});

export type ActionsDocument = z.output<typeof actionsSchema>;
