// The audit log: every logon, logoff, refused call and change, searchable by account, action
// and time, newest first.
import { Badge, Page } from '../components/common';
import { useSearchList, type SearchField } from '../components/SearchForm';
import { SearchResults } from '../components/SearchResults';
import { formatTime } from '../format';
import { useSession } from '../session';

interface AuditEntry {
  at: number;
  account: string;
  ip: string;
  action: string;
  target: string;
  outcome: string;
  details?: Record<string, unknown>;
}

export function AuditPage() {
  const { t, language } = useSession();
  const fields: SearchField[] = [
    { name: 'account', label: t('audit.account') },
    { name: 'action', label: t('audit.action'), placeholder: 'policy.rule.*' },
    { name: 'since', label: t('search.since'), type: 'datetime' },
    { name: 'until', label: t('search.until'), type: 'datetime' },
  ];
  const list = useSearchList<AuditEntry>('/audit', fields, { limit: 200, paged: false });

  return (
    <Page title={t('nav.audit')}>
      <SearchResults
        name="audit"
        fields={fields}
        list={list}
        rowKey={(e, i) => `${e.at}-${i}`}
        paged={false}
        columns={[
          { header: t('audit.time'), className: 'nowrap', cell: (e) => formatTime(e.at, language) },
          { header: t('audit.account'), cell: (e) => e.account },
          { header: t('audit.ip'), className: 'mono', cell: (e) => e.ip },
          { header: t('audit.action'), className: 'mono', cell: (e) => e.action },
          { header: t('audit.target'), cell: (e) => e.target },
          {
            header: t('audit.outcome'),
            cell: (e) => <Badge kind={e.outcome === 'ok' ? 'good' : 'bad'}>{e.outcome}</Badge>,
          },
          {
            header: t('audit.details'),
            className: 'mono small details',
            cell: (e) => (e.details ? JSON.stringify(e.details) : ''),
          },
        ]}
      />
    </Page>
  );
}
