// A message's story: the timeline in time order (connection, acceptance, scan, each rule with
// its evidence, quarantine, copies, deliveries, final status), with the details of each part.
import { Badge, ErrorMessage, Facts, Page, Panel } from '../components/common';
import { formatBytes, formatTime } from '../format';
import { useApi } from '../hooks';
import { hasKey, type MessageKey } from '../i18n';
import { Link } from '../router';
import { useSession } from '../session';
import { statusKind } from './Tracking';

interface Evidence {
  condition: string;
  detail: string;
  where?: string;
  value?: string;
  attachment?: string;
}

interface FactsSummary {
  direction?: string;
  auth?: Record<string, string | string[] | undefined>;
  spam?: {
    score: number;
    threshold: number;
    isSpam: boolean;
    level: string;
    skipped?: string;
    reasons: { rule: string; score: number; detail: string }[];
  };
  graymail?: { category?: string; reasons: string[] };
  viruses?: { name: string; category: string; engine: string; attachment?: string }[];
  exceptions?: { kind: string; detail: string }[];
  attachments?: { id: string; name?: string; trueType: string; declaredType: string; size: number }[];
  urlCount?: number;
  dlp?: { detail: string; value?: string }[];
  social?: string[];
  cnc?: string[];
}

interface MessageStory {
  queueId: string;
  node: string;
  status: string;
  receivedAt: number;
  sender: string;
  recipients: string[];
  subject: string | null;
  messageId: string | null;
  size: number;
  direction: string | null;
  verdict: string | null;
  parentId: string | null;
  connection?: {
    clientIp: string;
    helo: string;
    tls: boolean | null;
    hostname?: string;
    trusted?: boolean;
    senderFilter?: { result: string; events?: { at: number; action: string; reason: string }[] };
  };
  facts: FactsSummary | null;
  rules: {
    at: number;
    recipient: string;
    ruleId: string;
    ruleName: string;
    action: string;
    evidence: Evidence[];
  }[];
  quarantine: {
    id: string;
    area: string;
    status: string;
    createdAt: number;
    ruleId: string | null;
    recipients: string[];
  }[];
  copies: { queueId: string; receivedAt: number; recipients: string[]; status: string }[];
  deliveries: { at: number; recipient: string; result: string; reply: string; host: string | null }[];
  timeline: { at: number; stage: string; summary: string; recipient?: string }[];
}

export function TrackingDetailPage({ id }: { id: string }) {
  const { t, language } = useSession();
  const { data: s, error } = useApi<MessageStory>(`/tracking/${encodeURIComponent(id)}`);
  const stage = (k: string) => (hasKey(`story.${k}`) ? t(`story.${k}` as MessageKey) : k);
  const yesNo = (v: boolean | null | undefined) =>
    v === undefined || v === null ? '' : t(v ? 'common.yes' : 'common.no');
  const f = s?.facts;

  return (
    <Page
      title={t('tracking.story', { id })}
      actions={
        <button type="button" onClick={() => window.history.back()}>
          {t('common.back')}
        </button>
      }
    >
      <ErrorMessage error={error} />
      {s && (
        <>
          <div className="grid-2">
            <Panel title={t('tracking.summary')}>
              <Facts
                rows={[
                  [t('search.received'), formatTime(s.receivedAt, language)],
                  [t('search.sender'), s.sender || '<>'],
                  [t('search.recipient'), s.recipients.join(', ')],
                  [t('search.subject'), s.subject],
                  ['Message-ID', s.messageId],
                  [t('tracking.direction'), s.direction],
                  [t('common.size'), formatBytes(s.size)],
                  [t('search.verdict'), s.verdict],
                  [t('common.status'), <Badge kind={statusKind(s.status)}>{s.status}</Badge>],
                  [t('tracking.node'), s.node],
                  [
                    t('tracking.parent'),
                    s.parentId ? (
                      <Link to={`/tracking/${encodeURIComponent(s.parentId)}`}>{s.parentId}</Link>
                    ) : (
                      ''
                    ),
                  ],
                ]}
              />
            </Panel>
            <Panel title={t('story.connection')}>
              {s.connection && (
                <Facts
                  rows={[
                    [t('search.clientIp'), s.connection.clientIp],
                    [t('tracking.hostname'), s.connection.hostname],
                    ['HELO', s.connection.helo],
                    ['TLS', yesNo(s.connection.tls)],
                    [t('tracking.trusted'), yesNo(s.connection.trusted)],
                    [t('tracking.senderFilter'), s.connection.senderFilter?.result],
                  ]}
                />
              )}
            </Panel>
          </div>
          <Panel title={t('tracking.timeline')}>
            <ol className="timeline" data-testid="story">
              {s.timeline.map((e, i) => (
                <li key={i} className={`event event-${e.stage}`} data-testid={`story-${e.stage}`}>
                  <div className="event-time">{formatTime(e.at, language)}</div>
                  <div className="event-body">
                    <strong>{stage(e.stage)}</strong>
                    {e.recipient && <span className="muted"> ({e.recipient})</span>} — {e.summary}
                  </div>
                </li>
              ))}
            </ol>
          </Panel>
          <Panel title={t('tracking.rules')}>
            {s.rules.length === 0 && <p className="muted">{t('tracking.noRules')}</p>}
            <table className="table" data-testid="story-rules">
              <tbody>
                {s.rules.map((r, i) => (
                  <tr key={i}>
                    <td>
                      <Link to={`/policy/rules/${encodeURIComponent(r.ruleId)}`}>
                        {r.ruleName || r.ruleId}
                      </Link>
                      <div className="muted small">{r.recipient}</div>
                    </td>
                    <td>{r.action}</td>
                    <td>
                      <ul className="evidence" data-testid="evidence">
                        {r.evidence.map((e, j) => (
                          <li key={j}>
                            {e.detail}
                            {e.where && <span className="muted"> · {e.where}</span>}
                          </li>
                        ))}
                      </ul>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </Panel>
          {f && (
            <Panel title={t('tracking.facts')}>
              <Facts
                rows={[
                  [
                    t('tracking.auth'),
                    f.auth
                      ? Object.entries(f.auth)
                          .filter(([, v]) => v !== undefined)
                          .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('/') : v}`)
                          .join(' ')
                      : '',
                  ],
                  [
                    t('tracking.spam'),
                    f.spam
                      ? `${f.spam.score.toFixed(1)} / ${f.spam.threshold} (${f.spam.level})${f.spam.skipped ? ` — ${f.spam.skipped}` : ''}`
                      : '',
                  ],
                  [
                    t('tracking.spamReasons'),
                    (f.spam?.reasons ?? []).map((r) => `${r.rule} ${r.score}`).join(', '),
                  ],
                  [t('tracking.graymail'), f.graymail?.category],
                  [t('tracking.viruses'), (f.viruses ?? []).map((v) => `${v.name} (${v.engine})`).join(', ')],
                  [
                    t('tracking.exceptions'),
                    (f.exceptions ?? []).map((e) => `${e.kind}: ${e.detail}`).join(', '),
                  ],
                  [
                    t('tracking.attachments'),
                    (f.attachments ?? [])
                      .map((a) => `${a.name ?? a.id} (${a.trueType}, ${formatBytes(a.size)})`)
                      .join(', '),
                  ],
                  [t('tracking.urls'), f.urlCount !== undefined ? String(f.urlCount) : ''],
                  [t('tracking.dlp'), (f.dlp ?? []).map((d) => d.detail).join(', ')],
                  [t('tracking.social'), (f.social ?? []).join(', ')],
                  [t('tracking.cnc'), (f.cnc ?? []).join(', ')],
                ]}
              />
            </Panel>
          )}
          {s.quarantine.length > 0 && (
            <Panel title={t('nav.quarantine')}>
              <table className="table" data-testid="story-quarantine">
                <tbody>
                  {s.quarantine.map((q) => (
                    <tr key={q.id}>
                      <td>
                        <Link to={`/quarantine/${encodeURIComponent(q.id)}`}>{q.id}</Link>
                      </td>
                      <td>{q.area}</td>
                      <td>{q.status}</td>
                      <td>{q.ruleId}</td>
                      <td>{formatTime(q.createdAt, language)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </Panel>
          )}
          {s.copies.length > 0 && (
            <Panel title={t('tracking.copies')}>
              <table className="table">
                <tbody>
                  {s.copies.map((c) => (
                    <tr key={c.queueId}>
                      <td>
                        <Link to={`/tracking/${encodeURIComponent(c.queueId)}`}>{c.queueId}</Link>
                      </td>
                      <td>{c.recipients.join(', ')}</td>
                      <td>{c.status}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </Panel>
          )}
          <Panel title={t('tracking.deliveries')}>
            <table className="table" data-testid="story-deliveries">
              <tbody>
                {s.deliveries.map((d, i) => (
                  <tr key={i}>
                    <td className="nowrap">{formatTime(d.at, language)}</td>
                    <td>{d.recipient}</td>
                    <td>
                      <Badge kind={statusKind(d.result)}>{d.result}</Badge>
                    </td>
                    <td>{d.host}</td>
                    <td className="small muted">{d.reply}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </Panel>
        </>
      )}
    </Page>
  );
}
