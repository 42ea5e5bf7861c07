// One queued message: envelope, delivery attempts and state per recipient, headers; the same
// actions as the list.
import { api } from '../api';
import { ErrorMessage, Facts, Page, Panel, Success } from '../components/common';
import { formatBytes, formatTime, show } from '../format';
import { useAction, useApi } from '../hooks';
import type { MessageKey } from '../i18n';
import { Link, navigate } from '../router';
import { useCanWrite, useSession } from '../session';
import { recipientList, type QueueItem } from './Queue';

interface QueueDetail extends QueueItem {
  pendingRecipients?: string[];
  messageId?: string;
  headers?: string;
  attemptLog?: { at: number; recipient: string; result: string; reply: string; host: string | null }[];
}

const ACTIONS = ['hold', 'release', 'deliver-now', 'delete'] as const;

export function headersText(
  h: string | { name: string; value: string }[] | Record<string, unknown> | undefined,
): string {
  if (!h) return '';
  if (typeof h === 'string') return h;
  if (Array.isArray(h)) return h.map((x) => `${x.name}: ${x.value}`).join('\n');
  return Object.entries(h)
    .map(([k, v]) => `${k}: ${show(v)}`)
    .join('\n');
}

export function QueueDetailPage({ id }: { id: string }) {
  const { t, language } = useSession();
  const canWrite = useCanWrite('queue');
  const { data, error, reload } = useApi<QueueDetail>(`/queue/${encodeURIComponent(id)}`);
  const action = useAction();
  const env = data ?? ({ id } as QueueDetail);

  const run = (a: (typeof ACTIONS)[number]) => {
    if (a === 'delete' && !window.confirm(t('queue.confirmDelete', { n: 1 }))) return;
    void action.run(async () => {
      await api.post('/queue/actions', { action: a, ids: [id] });
      if (a === 'delete') navigate('/queue');
      else reload();
      return t('queue.done', { action: t(`queue.action.${a}` as MessageKey), n: 1 });
    });
  };

  return (
    <Page
      title={t('queue.message', { id })}
      actions={
        <>
          <button type="button" onClick={() => window.history.back()}>
            {t('common.back')}
          </button>
          <Link to={`/tracking/${encodeURIComponent(id)}`} className="button">
            {t('queue.track')}
          </Link>
          {canWrite &&
            ACTIONS.map((a) => (
              <button
                key={a}
                type="button"
                className={a === 'delete' ? 'danger' : ''}
                disabled={action.busy}
                data-testid={`queue-detail-${a}`}
                onClick={() => run(a)}
              >
                {t(`queue.action.${a}` as MessageKey)}
              </button>
            ))}
        </>
      }
    >
      <ErrorMessage error={error ?? action.error} />
      <Success text={action.done} />
      {data && (
        <>
          <div className="grid-2">
            <Panel title={t('queue.envelope')}>
              <Facts
                rows={[
                  [t('queue.queue'), env.queue ? t(`queue.name.${env.queue}` as MessageKey) : ''],
                  [t('search.received'), formatTime(env.receivedAt, language)],
                  [t('search.sender'), env.sender || '<>'],
                  [t('search.recipient'), recipientList(env.recipients)],
                  [t('search.subject'), env.subject],
                  ['Message-ID', env.messageId],
                  [t('common.size'), formatBytes(env.size)],
                ]}
              />
            </Panel>
            <Panel title={t('queue.delivery')}>
              <Facts
                rows={[
                  [t('queue.attempts'), String(env.attempts ?? 0)],
                  [t('queue.pending'), (env.pendingRecipients ?? []).join(', ')],
                  [t('queue.nextAttempt'), formatTime(env.nextAttemptAt, language)],
                  [t('queue.lastError'), env.lastError],
                ]}
              />
            </Panel>
          </div>
          {(data.attemptLog ?? []).length > 0 && (
            <Panel title={t('queue.attemptLog')}>
              <table className="table compact" data-testid="queue-attempts">
                <tbody>
                  {data.attemptLog!.map((a, i) => (
                    <tr key={i}>
                      <td className="nowrap">{formatTime(a.at, language)}</td>
                      <td>{a.recipient}</td>
                      <td>{a.result}</td>
                      <td>{a.host}</td>
                      <td className="small muted">{a.reply}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </Panel>
          )}
          <Panel title={t('common.headers')}>
            <pre className="headers">{headersText(data.headers)}</pre>
          </Panel>
        </>
      )}
    </Page>
  );
}
