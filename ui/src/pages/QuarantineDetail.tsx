// One quarantined message: envelope, reason and rule, scan facts, headers and a text preview
// (never rendered as HTML); release, delete, download the .eml.
import { downloadUrl } from '../api';
import { ErrorMessage, Facts, Page, Panel, Success } from '../components/common';
import { formatBytes, formatTime } from '../format';
import { useAction, useApi } from '../hooks';
import { Link, navigate } from '../router';
import { useCanWrite, useSession } from '../session';
import { headersText } from './QueueDetail';
import { failures, quarantineAction, type QuarantineAction } from './quarantine-actions';
import type { QuarantineRow } from './Quarantine';

interface QuarantineDetail extends QuarantineRow {
  entry?: QuarantineRow;
  headers?: string | { name: string; value: string }[] | Record<string, unknown>;
  preview?: { text: string; truncated: boolean };
  facts?: unknown;
  matched?: { ruleId?: string; ruleName?: string; evidence?: { detail: string }[] }[];
}

export function QuarantineDetailPage({ id }: { id: string }) {
  const { t, language } = useSession();
  const canWrite = useCanWrite('quarantine');
  const { data, error, reload } = useApi<QuarantineDetail>(`/quarantine/${encodeURIComponent(id)}`);
  const action = useAction();
  const e = { ...data, ...data?.entry };

  const run = (a: QuarantineAction) => {
    if (a === 'delete' && !window.confirm(t('quarantine.confirmDelete', { n: 1 }))) return;
    void action.run(async () => {
      const failed = failures(await quarantineAction(a, [id]));
      if (failed.length) throw new Error(failed.join('\n'));
      if (a === 'delete') navigate('/quarantine');
      else reload();
      return t(a === 'release' ? 'quarantine.released' : 'quarantine.deleted', { n: 1 });
    });
  };

  return (
    <Page
      title={t('quarantine.message')}
      actions={
        <>
          <button type="button" onClick={() => window.history.back()}>
            {t('common.back')}
          </button>
          <a
            className="button"
            href={downloadUrl(`/quarantine/${encodeURIComponent(id)}/download`)}
            data-testid="quarantine-download"
          >
            {t('quarantine.download')}
          </a>
          {canWrite && (
            <>
              <button
                type="button"
                data-testid="quarantine-detail-release"
                disabled={action.busy}
                onClick={() => run('release')}
              >
                {t('quarantine.release')}
              </button>
              <button
                type="button"
                className="danger"
                data-testid="quarantine-detail-delete"
                disabled={action.busy}
                onClick={() => run('delete')}
              >
                {t('common.delete')}
              </button>
            </>
          )}
        </>
      }
    >
      <ErrorMessage error={error ?? action.error} />
      <Success text={action.done} />
      {data && (
        <>
          <Panel title={t('quarantine.envelope')}>
            <Facts
              rows={[
                [t('quarantine.quarantinedAt'), formatTime(e.createdAt, language)],
                [t('quarantine.expires'), formatTime(e.expiresAt, language)],
                [t('quarantine.area'), e.area],
                [t('search.sender'), e.sender || '<>'],
                [t('search.recipient'), (e.recipients ?? []).join(', ')],
                [t('search.subject'), e.subject],
                [t('quarantine.reason'), e.reason],
                [t('quarantine.rule'), e.ruleId],
                [t('common.size'), formatBytes(e.size)],
                [t('common.status'), e.status],
                [
                  t('quarantine.tracking'),
                  e.queueId ? <Link to={`/tracking/${encodeURIComponent(e.queueId)}`}>{e.queueId}</Link> : '',
                ],
              ]}
            />
          </Panel>
          <Panel title={t('common.headers')}>
            <pre className="headers" data-testid="quarantine-headers">
              {headersText(data.headers)}
            </pre>
          </Panel>
          <Panel title={t('quarantine.preview')}>
            <pre className="preview" data-testid="quarantine-preview">
              {data.preview?.text ?? ''}
              {data.preview?.truncated ? '\n…' : ''}
            </pre>
          </Panel>
          {(data.matched ?? []).length > 0 && (
            <Panel title={t('tracking.rules')}>
              <ul className="evidence" data-testid="quarantine-matched">
                {data.matched!.map((m, i) => (
                  <li key={i}>
                    <strong>{m.ruleName ?? m.ruleId}</strong>
                    {(m.evidence ?? []).map((e) => (
                      <div key={e.detail} className="small">
                        {e.detail}
                      </div>
                    ))}
                  </li>
                ))}
              </ul>
            </Panel>
          )}
          {data.facts !== undefined && data.facts !== null && (
            <Panel title={t('policyTest.facts')}>
              <pre className="json">{JSON.stringify(data.facts, null, 2)}</pre>
            </Panel>
          )}
        </>
      )}
    </Page>
  );
}
