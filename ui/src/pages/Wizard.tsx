// The setup wizard: system, deployment, routing, notifications, updates, LDAP, internal
// addresses, review. Each step is applied on its own (next), can be skipped, and the wizard can
// be run again from the settings page.
import { useEffect, useState } from 'react';
import { stringify } from 'yaml';
import { api } from '../api';
import { Badge, ErrorMessage, Field, LinesInput, Page, Panel, Success } from '../components/common';
import { DomainsEditor, type Domain } from '../components/DomainsEditor';
import { ObjectForm, type Flat } from '../components/ObjectForm';
import { formatTime } from '../format';
import { useAction, useApi } from '../hooks';
import type { MessageKey } from '../i18n';
import { navigate } from '../router';
import { useCanWrite, useSession } from '../session';

/** A step's name: system, deployment, … review (the server lists them in order). */
type Step = string;

interface WizardStep {
  step: Step;
  done: boolean;
  skipped: boolean;
  values: Flat;
}
interface WizardView {
  version: number;
  completedAt?: number;
  steps: WizardStep[];
}

/** Keys every step's form shows, even when the stored document leaves them out. */
const BLANK: Record<Step, Flat> = {
  system: { hostname: '', timezone: '', dnsResolvers: [] },
  notifications: { smtpServer: '', from: '', adminAddresses: [] },
  updates: { source: '', proxy: '' },
  ldap: { servers: [], baseDn: '', bindDn: '', bindPassword: '', userFilter: '', groupAttribute: '' },
  internal: { domains: [], ldapGroups: [] },
};

const isSecretMarker = (v: unknown) => typeof v === 'object' && v !== null && 'set' in v;

/** The form's values: secrets shown as empty fields (left empty = keep the stored one). */
function toForm(step: Step, values: Flat): Flat {
  const out: Flat = { ...BLANK[step], ...values };
  for (const [k, v] of Object.entries(out)) if (isSecretMarker(v)) out[k] = '';
  if (step === 'system' && out.timezone === undefined) out.timezone = '';
  return out;
}

/** What is sent: empty strings left out (the schema has them optional). */
function toBody(values: Flat): Flat {
  const out: Flat = {};
  for (const [k, v] of Object.entries(values)) {
    if (v === '' || v === undefined) continue;
    out[k] = v && typeof v === 'object' && !Array.isArray(v) ? toBody(v as Flat) : v;
  }
  return out;
}

/** SNMP trap receivers edited as "host:port community" lines. */
function trapsToLines(v: unknown): string[] {
  return Array.isArray(v)
    ? v.map((r: { address?: string; community?: string }) => `${r.address ?? ''} ${r.community ?? ''}`.trim())
    : [];
}
function linesToTraps(lines: string[]): { address: string; community?: string }[] {
  return lines.map((l) => {
    const [address = '', community] = l.split(/\s+/);
    return community ? { address, community } : { address };
  });
}

export function WizardPage() {
  const { t, language } = useSession();
  const canWrite = useCanWrite('settings');
  const { data, error, reload } = useApi<WizardView>('/wizard');
  const [index, setIndex] = useState(0);
  const [values, setValues] = useState<Flat>({});
  const action = useAction();
  const steps = data?.steps ?? [];
  const current = steps[index];
  const step = current?.step ?? '';

  // Load a step's values when it is opened, not on every refresh: a refresh arriving late must
  // not wipe what the administrator is typing.
  const [loadedStep, setLoadedStep] = useState<Step>();
  useEffect(() => {
    if (!current || loadedStep === current.step) return;
    setValues(toForm(current.step, current.values));
    setLoadedStep(current.step);
  }, [current, loadedStep]);

  const go = (i: number) => {
    action.clear();
    setIndex(Math.max(0, Math.min(steps.length - 1, i)));
  };
  const next = () =>
    void action.run(async () => {
      await api.put(`/wizard/${step}`, toBody(values));
      reload();
      go(index + 1);
    });
  const skip = () =>
    void action.run(async () => {
      await api.post(`/wizard/${step}/skip`);
      reload();
      go(index + 1);
    });
  const complete = () =>
    void action.run(async () => {
      await api.post('/wizard/complete');
      reload();
      return t('wizard.completed');
    });

  const disabled = !canWrite;
  const set = (k: string, v: unknown) => setValues({ ...values, [k]: v });
  const parent = (values.parent ?? null) as Flat | null;

  return (
    <Page
      title={t('wizard.title')}
      actions={
        <button type="button" onClick={() => navigate('/settings')}>
          {t('common.back')}
        </button>
      }
    >
      <ol className="steps" data-testid="wizard-steps">
        {steps.map((info, i) => (
          <li
            key={info.step}
            className={i === index ? 'active' : info.done ? 'done' : info.skipped ? 'skipped' : ''}
          >
            <button type="button" onClick={() => go(i)} data-testid={`wizard-goto-${info.step}`}>
              <span className="step-no">{i + 1}</span> {t(`wizard.step.${info.step}` as MessageKey)}
            </button>
          </li>
        ))}
      </ol>
      <ErrorMessage error={error ?? action.error} />
      <Success text={action.done} />
      {current && (
        <Panel
          title={t(`wizard.step.${step}` as MessageKey)}
          actions={
            current &&
            (current.done ? (
              <Badge kind="good">{t('wizard.done')}</Badge>
            ) : current.skipped ? (
              <Badge>{t('wizard.skipped')}</Badge>
            ) : null)
          }
        >
          <p className="muted" data-testid="wizard-step-help">
            {t(`wizard.help.${step}` as MessageKey)}
          </p>
          <div data-testid={`wizard-step-${step}`}>
            {step === 'deployment' && (
              <div className="form-grid">
                <Field label={t('setting.role')}>
                  <select
                    value={String(values.role ?? 'standalone')}
                    disabled={disabled}
                    data-testid="wizard-role"
                    onChange={(e) =>
                      setValues({
                        ...values,
                        role: e.target.value,
                        parent: e.target.value === 'child' ? (parent ?? { address: '' }) : null,
                      })
                    }
                  >
                    {['standalone', 'parent', 'child'].map((r) => (
                      <option key={r} value={r}>
                        {t(`wizard.role.${r}` as MessageKey)}
                      </option>
                    ))}
                  </select>
                </Field>
                {values.role === 'child' && (
                  <>
                    <Field label={t('wizard.parentAddress')}>
                      <input
                        value={String(parent?.address ?? '')}
                        disabled={disabled}
                        placeholder="parent.example.com:8445"
                        onChange={(e) => set('parent', { ...parent, address: e.target.value })}
                      />
                    </Field>
                    <Field label={t('wizard.parentCredentials')} hint={t('wizard.secretHint')}>
                      <input
                        type="password"
                        value={isSecretMarker(parent?.credentials) ? '' : String(parent?.credentials ?? '')}
                        disabled={disabled}
                        onChange={(e) => set('parent', { ...parent, credentials: e.target.value })}
                      />
                    </Field>
                  </>
                )}
              </div>
            )}
            {step === 'routing' && (
              <>
                <DomainsEditor
                  domains={(values.domains as Domain[] | undefined) ?? []}
                  disabled={disabled}
                  onChange={(d) => set('domains', d)}
                />
                <h3>{t('mail.delivery')}</h3>
                <ObjectForm
                  value={(values.delivery as Flat | undefined) ?? {}}
                  disabled={disabled}
                  testIdPrefix="wizard-delivery"
                  onChange={(d) => set('delivery', d)}
                />
              </>
            )}
            {step === 'notifications' && (
              <>
                <ObjectForm
                  value={values}
                  disabled={disabled}
                  testIdPrefix={`wizard-${step}`}
                  skip={['snmpTrapReceivers']}
                  onChange={setValues}
                />
                <Field label={t('setting.snmpTrapReceivers')} hint={t('wizard.trapHint')}>
                  <LinesInput
                    value={trapsToLines(values.snmpTrapReceivers)}
                    disabled={disabled}
                    onChange={(l) => set('snmpTrapReceivers', linesToTraps(l))}
                  />
                </Field>
              </>
            )}
            {['system', 'updates', 'ldap', 'internal'].includes(step) && (
              <ObjectForm
                value={values}
                disabled={disabled}
                testIdPrefix={`wizard-${step}`}
                onChange={setValues}
              />
            )}
            {step === 'review' && (
              <>
                {data?.completedAt && (
                  <p data-testid="wizard-completed-at">
                    {t('wizard.lastCompleted', { at: formatTime(data.completedAt, language) })}
                  </p>
                )}
                <pre className="json" data-testid="wizard-review">
                  {stringify((current?.values ?? {}) as Flat)}
                </pre>
              </>
            )}
          </div>
          <div className="wizard-buttons">
            <button
              type="button"
              data-testid="wizard-back"
              disabled={index === 0}
              onClick={() => go(index - 1)}
            >
              {t('wizard.back')}
            </button>
            {canWrite && step !== 'review' && (
              <>
                <button type="button" data-testid="wizard-skip" disabled={action.busy} onClick={skip}>
                  {t('wizard.skip')}
                </button>
                <button
                  type="button"
                  className="primary"
                  data-testid="wizard-next"
                  disabled={action.busy}
                  onClick={next}
                >
                  {t('wizard.next')}
                </button>
              </>
            )}
            {canWrite && step === 'review' && (
              <button
                type="button"
                className="primary"
                data-testid="wizard-complete"
                disabled={action.busy}
                onClick={complete}
              >
                {t('wizard.complete')}
              </button>
            )}
          </div>
        </Panel>
      )}
    </Page>
  );
}
