// Settings import/export: download the settings as YAML, upload a YAML document and check it
// (dry run lists every problem) before it replaces the group's settings; the setup wizard.
import { useState } from 'react';
import { api, downloadUrl } from '../api';
import { ErrorMessage, Page, Panel, Success } from '../components/common';
import { useAction } from '../hooks';
import { navigate } from '../router';
import { useCanWrite, useT } from '../session';

interface ImportResult {
  dryRun: boolean;
  version: number;
  changed: string[];
}

export function SettingsPage() {
  const t = useT();
  const canWrite = useCanWrite('settings');
  const [yaml, setYaml] = useState('');
  const [result, setResult] = useState<ImportResult>();
  const action = useAction();

  const send = (dryRun: boolean) =>
    void action.run(async () => {
      setResult(undefined);
      const r = await api.post<ImportResult>('/settings/import', { yaml, dryRun });
      setResult(r);
      return dryRun ? t('settings.checked') : t('settings.imported', { version: r.version });
    });

  return (
    <Page title={t('nav.settings')}>
      <div className="grid-2">
        <Panel title={t('settings.export')}>
          <p className="muted">{t('settings.exportHelp')}</p>
          <a className="button primary" href={downloadUrl('/settings/export')} data-testid="settings-export">
            {t('settings.download')}
          </a>
        </Panel>
        <Panel title={t('wizard.title')}>
          <p className="muted">{t('settings.wizardHelp')}</p>
          <button type="button" data-testid="open-wizard" onClick={() => navigate('/wizard')}>
            {t('settings.runWizard')}
          </button>
        </Panel>
      </div>
      {canWrite && (
        <Panel title={t('settings.import')}>
          <p className="muted">{t('settings.importHelp')}</p>
          <input
            type="file"
            accept=".yaml,.yml,application/yaml,text/yaml"
            data-testid="settings-file"
            onChange={(e) => {
              const file = e.target.files?.[0];
              if (file) void file.text().then(setYaml);
            }}
          />
          <textarea
            className="mono"
            rows={14}
            value={yaml}
            data-testid="settings-yaml"
            placeholder="smtp:\n  hostname: mail.example.com"
            onChange={(e) => setYaml(e.target.value)}
          />
          <div className="form-actions">
            <button
              type="button"
              data-testid="settings-dry-run"
              disabled={!yaml || action.busy}
              onClick={() => send(true)}
            >
              {t('settings.dryRun')}
            </button>
            <button
              type="button"
              className="primary"
              data-testid="settings-import"
              disabled={!yaml || action.busy}
              onClick={() => window.confirm(t('settings.confirmImport')) && send(false)}
            >
              {t('settings.importButton')}
            </button>
          </div>
          <ErrorMessage error={action.error} />
          <Success text={action.done} />
          {result && (
            <div data-testid="settings-result">
              {result.changed.length === 0 ? (
                <p>{t('settings.noChanges')}</p>
              ) : (
                <p>
                  {t('settings.changedKeys')}: <span className="mono">{result.changed.join(', ')}</span>
                </p>
              )}
            </div>
          )}
        </Panel>
      )}
    </Page>
  );
}
