// Mail settings: accepted domains and their next hops, SMTP limits, trusted networks, delivery
// and DNS. Saved with one PUT of the changed parts; the gateway applies them at once.
import { useEffect, useState } from 'react';
import { api } from '../api';
import { ErrorMessage, Field, LinesInput, Page, Panel, Success } from '../components/common';
import { ObjectForm, type Flat } from '../components/ObjectForm';
import { DomainsEditor, type Domain } from '../components/DomainsEditor';
import { useAction, useApi } from '../hooks';
import { useCanWrite, useT } from '../session';

interface MailSettings {
  smtp?: Flat;
  domains?: Domain[];
  trustedNetworks?: string[];
  delivery?: Flat;
  dns?: Flat;
}

export function MailSettingsPage() {
  const t = useT();
  const canWrite = useCanWrite('mail');
  const { data, error, reload } = useApi<MailSettings>('/mail/settings');
  const [draft, setDraft] = useState<MailSettings>();
  const action = useAction();
  useEffect(() => setDraft(data), [data]);

  if (!draft) return <Page title={t('nav.mail')}>{<ErrorMessage error={error} />}</Page>;
  const domains = draft.domains ?? [];

  const save = () =>
    void action.run(async () => {
      const { version: _version, ...body } = draft as MailSettings & { version?: number };
      await api.put('/mail/settings', body);
      reload();
      return t('common.saved');
    });

  return (
    <Page
      title={t('nav.mail')}
      actions={
        canWrite && (
          <button
            type="button"
            className="primary"
            data-testid="mail-save"
            disabled={action.busy}
            onClick={save}
          >
            {t('common.save')}
          </button>
        )
      }
    >
      <ErrorMessage error={error ?? action.error} />
      <Success text={action.done} />
      <Panel title={t('mail.domains')}>
        <DomainsEditor
          domains={domains}
          disabled={!canWrite}
          onChange={(d) => setDraft({ ...draft, domains: d })}
        />
      </Panel>
      <div className="grid-2">
        <Panel title={t('mail.smtp')}>
          <ObjectForm
            value={draft.smtp ?? {}}
            disabled={!canWrite}
            testIdPrefix="smtp"
            onChange={(smtp) => setDraft({ ...draft, smtp })}
          />
        </Panel>
        <div>
          <Panel title={t('mail.trustedNetworks')}>
            <Field label={t('mail.trustedNetworksHint')} hint={t('common.onePerLine')}>
              <LinesInput
                value={draft.trustedNetworks}
                rows={4}
                disabled={!canWrite}
                testId="trusted-networks"
                onChange={(trustedNetworks) => setDraft({ ...draft, trustedNetworks })}
              />
            </Field>
          </Panel>
          <Panel title={t('mail.delivery')}>
            <ObjectForm
              value={draft.delivery ?? {}}
              disabled={!canWrite}
              testIdPrefix="delivery"
              onChange={(delivery) => setDraft({ ...draft, delivery })}
            />
          </Panel>
          {draft.dns && (
            <Panel title={t('mail.dns')}>
              <ObjectForm
                value={draft.dns}
                disabled={!canWrite}
                testIdPrefix="dns"
                onChange={(dns) => setDraft({ ...draft, dns })}
              />
            </Panel>
          )}
        </div>
      </div>
    </Page>
  );
}
