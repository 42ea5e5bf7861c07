// Quarantine: search by area, sender, recipient, subject, time and status; release or delete
// the selected messages.
import { Badge, Page } from '../components/common';
import { useSearchList, type SearchField } from '../components/SearchForm';
import { SearchResults } from '../components/SearchResults';
import { formatBytes, formatTime } from '../format';
import { useAction, useSelection } from '../hooks';
import { Link } from '../router';
import { useCanWrite, useSession } from '../session';
import { failures, quarantineAction, type QuarantineAction } from './quarantine-actions';

const LIMIT = 50;

export interface QuarantineRow {
  id: string;
  queueId?: string;
  area?: string;
  createdAt?: number;
  expiresAt?: number | null;
  sender?: string;
  recipients?: string[];
  subject?: string | null;
  size?: number;
  ruleId?: string | null;
  reason?: string;
  status?: string;
}

export function QuarantinePage() {
  const { t, language } = useSession();
  const canWrite = useCanWrite('quarantine');
  const fields: SearchField[] = [
    { name: 'area', label: t('quarantine.area'), placeholder: 'virus, spam, policy…' },
    { name: 'sender', label: t('search.sender'), placeholder: '*@example.com' },
    { name: 'recipient', label: t('search.recipient'), placeholder: '*@example.com' },
    { name: 'subject', label: t('search.subject') },
    { name: 'since', label: t('search.since'), type: 'datetime' },
    { name: 'until', label: t('search.until'), type: 'datetime' },
    {
      name: 'status',
      label: t('common.status'),
      type: 'select',
      options: ['quarantined', 'released', 'deleted', 'archived'].map((s) => ({ value: s, label: s })),
    },
  ];
  const list = useSearchList<QuarantineRow>('/quarantine', fields, { limit: LIMIT });
  const { rows, reload } = list;
  const selection = useSelection(rows.map((r) => r.id));
  const action = useAction();

  const run = (a: QuarantineAction) => {
    const ids = selection.selected;
    if (a === 'delete' && !window.confirm(t('quarantine.confirmDelete', { n: ids.length }))) return;
    void action.run(async () => {
      const results = await quarantineAction(a, ids);
      selection.clear();
      reload();
      const failed = failures(results);
      if (failed.length) throw new Error(failed.join('\n'));
      return t(a === 'release' ? 'quarantine.released' : 'quarantine.deleted', { n: ids.length });
    });
  };

  return (
    <Page title={t('nav.quarantine')}>
      <SearchResults
        name="quarantine"
        fields={fields}
        list={list}
        action={action}
        bulk={
          canWrite && {
            selection,
            onRun: run,
            actions: [
              { id: 'release', label: t('quarantine.release'), testId: 'quarantine-release' },
              { id: 'delete', label: t('common.delete'), testId: 'quarantine-delete', danger: true },
            ],
          }
        }
        rowKey={(q) => q.id}
        rowTestId="quarantine-row"
        columns={[
          {
            header: t('quarantine.quarantinedAt'),
            className: 'nowrap',
            cell: (q) => (
              <Link to={`/quarantine/${encodeURIComponent(q.id)}`}>{formatTime(q.createdAt, language)}</Link>
            ),
          },
          { header: t('quarantine.area'), cell: (q) => q.area },
          { header: t('search.sender'), cell: (q) => q.sender || '<>' },
          { header: t('search.recipient'), cell: (q) => (q.recipients ?? []).join(', ') },
          { header: t('search.subject'), cell: (q) => q.subject },
          { header: t('quarantine.reason'), className: 'small', cell: (q) => q.reason },
          {
            header: t('common.size'),
            headerClassName: 'num',
            className: 'num',
            cell: (q) => formatBytes(q.size),
          },
          {
            header: t('common.status'),
            cell: (q) => (
              <Badge kind={q.status === 'released' ? 'good' : q.status === 'deleted' ? 'bad' : 'warn'}>
                {q.status}
              </Badge>
            ),
          },
        ]}
      />
    </Page>
  );
}
