// Message tracking: search by sender, recipient, subject, client IP, time, verdict and
// attachment name; each result opens the message's story.
import { Badge, Page } from '../components/common';
import { useSearchList, type SearchField } from '../components/SearchForm';
import { SearchResults } from '../components/SearchResults';
import { formatTime } from '../format';
import { Link } from '../router';
import { useSession } from '../session';

const LIMIT = 50;

export interface TrackedRow {
  queueId: string;
  node?: string;
  receivedAt?: number;
  clientIp?: string;
  sender?: string;
  recipients?: string[];
  subject?: string | null;
  status?: string;
  verdict?: string | null;
  direction?: string | null;
  size?: number;
}

export function statusKind(status: string | undefined | null): string {
  if (!status) return '';
  if (/deliver/.test(status)) return 'good';
  if (/bounce|reject|virus|delete/.test(status)) return 'bad';
  if (/quarantin|defer|hold/.test(status)) return 'warn';
  return '';
}

export function TrackingPage() {
  const { t, language } = useSession();
  const fields: SearchField[] = [
    { name: 'sender', label: t('search.sender'), placeholder: '*@example.com' },
    { name: 'recipient', label: t('search.recipient'), placeholder: '*@example.com' },
    { name: 'subject', label: t('search.subject') },
    { name: 'clientIp', label: t('search.clientIp'), placeholder: '192.0.2.*' },
    { name: 'since', label: t('search.since'), type: 'datetime' },
    { name: 'until', label: t('search.until'), type: 'datetime' },
    { name: 'verdict', label: t('search.verdict'), placeholder: 'virus, spam, quarantine…' },
    { name: 'attachment', label: t('search.attachment'), placeholder: '*.exe' },
  ];
  const list = useSearchList<TrackedRow>('/tracking', fields, { limit: LIMIT });

  return (
    <Page title={t('nav.tracking')}>
      <SearchResults
        name="tracking"
        fields={fields}
        list={list}
        rowKey={(m) => m.queueId}
        rowTestId="tracking-row"
        columns={[
          {
            header: t('search.received'),
            className: 'nowrap',
            cell: (m) => (
              <Link to={`/tracking/${encodeURIComponent(m.queueId)}`} data-testid="tracking-open">
                {formatTime(m.receivedAt, language)}
              </Link>
            ),
          },
          { header: t('search.sender'), cell: (m) => m.sender || '<>' },
          { header: t('search.recipient'), cell: (m) => (m.recipients ?? []).join(', ') },
          { header: t('search.subject'), cell: (m) => m.subject },
          { header: t('search.clientIp'), className: 'mono', cell: (m) => m.clientIp },
          { header: t('search.verdict'), className: 'small', cell: (m) => m.verdict },
          { header: t('common.status'), cell: (m) => <Badge kind={statusKind(m.status)}>{m.status}</Badge> },
        ]}
      />
    </Page>
  );
}
