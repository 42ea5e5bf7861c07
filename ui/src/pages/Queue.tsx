// Mail queues: browse by queue, search, select messages and hold / release / delete / deliver
// them now.
import { api } from '../api';
import { Page } from '../components/common';
import { useSearchList, type SearchField } from '../components/SearchForm';
import { SearchResults } from '../components/SearchResults';
import { formatBytes, formatTime } from '../format';
import { useAction, useSelection } from '../hooks';
import type { MessageKey } from '../i18n';
import { Link } from '../router';
import { useCanWrite, useSession } from '../session';

const QUEUES = ['incoming', 'active', 'deferred', 'hold'] as const;
const ACTIONS = ['hold', 'release', 'deliver-now', 'delete'] as const;
const LIMIT = 50;

export interface QueueItem {
  id: string;
  queue?: string;
  sender?: string;
  recipients?: (string | { address: string })[];
  subject?: string;
  size?: number;
  receivedAt?: number;
  attempts?: number;
  lastError?: string;
  nextAttemptAt?: number;
}

interface QueueList {
  messages?: QueueItem[];
  counts?: Record<string, number>;
  total?: number;
}

export function recipientList(r: QueueItem['recipients']): string {
  return (r ?? []).map((x) => (typeof x === 'string' ? x : x.address)).join(', ');
}

export function QueuePage() {
  const { t, language } = useSession();
  const canWrite = useCanWrite('queue');
  const fields: SearchField[] = [
    {
      name: 'queue',
      label: t('queue.queue'),
      type: 'select',
      options: QUEUES.map((q) => ({ value: q, label: t(`queue.name.${q}` as MessageKey) })),
    },
    { name: 'sender', label: t('search.sender'), placeholder: '*@example.com' },
    { name: 'recipient', label: t('search.recipient'), placeholder: '*@example.com' },
    { name: 'olderThan', label: t('queue.olderThan'), placeholder: '1h' },
  ];
  const list = useSearchList<QueueItem, QueueList>('/queue', fields, { limit: LIMIT });
  const { rows, data, reload } = list;
  const selection = useSelection(rows.map((r) => r.id));
  const action = useAction();

  const run = (a: (typeof ACTIONS)[number]) => {
    if (a === 'delete' && !window.confirm(t('queue.confirmDelete', { n: selection.selected.length }))) return;
    void action.run(async () => {
      const r = await api.post<{ results?: unknown[] }>('/queue/actions', {
        action: a,
        ids: selection.selected,
      });
      selection.clear();
      reload();
      return t('queue.done', {
        action: t(`queue.action.${a}` as MessageKey),
        n: r?.results?.length ?? selection.selected.length,
      });
    });
  };

  return (
    <Page title={t('nav.queue')}>
      <div className="queue-counts" data-testid="queue-counts">
        {QUEUES.map((q) => (
          <Link
            className="kpi small kpi-link"
            key={q}
            to={`/queue?queue=${q}`}
            data-testid={`queue-browse-${q}`}
          >
            <div className="kpi-label">{t(`queue.name.${q}` as MessageKey)}</div>
            <div className="kpi-value">{data?.counts?.[q] ?? 0}</div>
          </Link>
        ))}
      </div>
      <SearchResults
        name="queue"
        fields={fields}
        list={list}
        action={action}
        bulk={
          canWrite && {
            selection,
            onRun: run,
            actions: ACTIONS.map((a) => ({
              id: a,
              label: t(`queue.action.${a}` as MessageKey),
              testId: `queue-${a}`,
              danger: a === 'delete',
            })),
          }
        }
        rowKey={(m) => m.id}
        rowTestId="queue-row"
        columns={[
          {
            header: t('queue.id'),
            className: 'mono',
            cell: (m) => <Link to={`/queue/${encodeURIComponent(m.id)}`}>{m.id}</Link>,
          },
          {
            header: t('queue.queue'),
            cell: (m) => (m.queue ? t(`queue.name.${m.queue}` as MessageKey) : ''),
          },
          {
            header: t('search.received'),
            className: 'nowrap',
            cell: (m) => formatTime(m.receivedAt, language),
          },
          { header: t('search.sender'), cell: (m) => m.sender || '<>' },
          { header: t('search.recipient'), cell: (m) => recipientList(m.recipients) },
          { header: t('search.subject'), cell: (m) => m.subject },
          {
            header: t('common.size'),
            headerClassName: 'num',
            className: 'num',
            cell: (m) => formatBytes(m.size),
          },
          { header: t('queue.lastError'), className: 'small muted', cell: (m) => m.lastError },
        ]}
      />
    </Page>
  );
}
