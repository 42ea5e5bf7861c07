// Dashboard: messages over time, the verdict mix, queue sizes and throughput, per node or for
// the whole group; refreshed every 10 seconds.
import { useState } from 'react';
import { query } from '../api';
import { DonutChart, LineChart } from '../components/charts';
import { ErrorMessage, Page, Panel } from '../components/common';
import { formatNumber } from '../format';
import { useApi } from '../hooks';
import { hasKey, type MessageKey } from '../i18n';
import { useSession } from '../session';

const RANGES = ['1h', '24h', '7d'] as const;
type Range = (typeof RANGES)[number];

/** Metrics drawn over time, and the verdict mix. */
const TRAFFIC = [
  ['inbound', '#2f6fde'],
  ['outbound', '#19a974'],
  ['blockedSender', '#8a63d2'],
  ['quarantined', '#e08a00'],
] as const;
const VERDICTS = [
  ['delivered', '#19a974'],
  ['spam', '#e08a00'],
  ['graymail', '#9aa5b1'],
  ['virus', '#d64545'],
  ['blockedSender', '#8a63d2'],
  ['deleted', '#5d6b7a'],
] as const;

interface Bucket {
  [metric: string]: unknown;
}

export interface DashboardData {
  range?: string;
  node?: string;
  nodes?: (string | { name: string })[];
  totals?: Record<string, number>;
  series?: Bucket[] | { buckets?: Bucket[]; points?: Bucket[] };
  bucketMs?: number;
  queue?: Record<string, number>;
  queues?: Record<string, number>;
  throughput?: number | { perMinute?: number };
}

function buckets(d: DashboardData | undefined): Bucket[] {
  const s = d?.series;
  if (!s) return [];
  if (Array.isArray(s)) return s;
  return s.buckets ?? s.points ?? [];
}

function bucketTime(b: Bucket): number | undefined {
  const t = b.t ?? b.time ?? b.start ?? b.minute ?? b.at;
  return typeof t === 'number' ? t : typeof t === 'string' ? Date.parse(t) : undefined;
}

function bucketValue(b: Bucket, metric: string): number {
  const counts = (b.counts ?? b.metrics ?? b.values ?? b) as Record<string, unknown>;
  const v = counts[metric];
  return typeof v === 'number' ? v : 0;
}

export function DashboardPage() {
  const { t, language } = useSession();
  const [range, setRange] = useState<Range>('1h');
  const [node, setNode] = useState('all');
  const { data, error, loading } = useApi<DashboardData>(`/dashboard${query({ range, node })}`, 10_000);
  const rows = buckets(data);
  const label = (metric: string) =>
    hasKey(`metric.${metric}`) ? t(`metric.${metric}` as MessageKey) : metric;
  const timeLabel = (b: Bucket) => {
    const time = bucketTime(b);
    if (time === undefined) return '';
    const d = new Date(time);
    return range === '7d'
      ? d.toLocaleDateString(language === 'ja' ? 'ja-JP' : 'en-GB', { month: '2-digit', day: '2-digit' })
      : d.toLocaleTimeString(language === 'ja' ? 'ja-JP' : 'en-GB', { hour: '2-digit', minute: '2-digit' });
  };
  const totals = data?.totals ?? {};
  const queue = data?.queue ?? data?.queues ?? {};
  const throughput = typeof data?.throughput === 'number' ? data.throughput : data?.throughput?.perMinute;
  const nodes = (data?.nodes ?? []).map((n) => (typeof n === 'string' ? n : n.name));

  return (
    <Page
      title={t('nav.dashboard')}
      actions={
        <>
          <div className="segmented" role="group">
            {RANGES.map((r) => (
              <button
                key={r}
                type="button"
                className={r === range ? 'active' : ''}
                data-testid={`range-${r}`}
                onClick={() => setRange(r)}
              >
                {t(`dashboard.range.${r}` as MessageKey)}
              </button>
            ))}
          </div>
          <select data-testid="dashboard-node" value={node} onChange={(e) => setNode(e.target.value)}>
            <option value="all">{t('dashboard.allNodes')}</option>
            {nodes.map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
          <span className="muted small">{loading ? t('common.loading') : t('dashboard.live')}</span>
        </>
      }
    >
      <ErrorMessage error={error} />
      <div className="kpis" data-testid="kpis">
        {['received', 'inbound', 'outbound', 'virus', 'spam', 'quarantined'].map((m) => (
          <div className="kpi" key={m}>
            <div className="kpi-label">{label(m)}</div>
            <div className="kpi-value" data-testid={`kpi-${m}`}>
              {formatNumber(totals[m] ?? 0)}
            </div>
          </div>
        ))}
        <div className="kpi">
          <div className="kpi-label">{t('dashboard.throughput')}</div>
          <div className="kpi-value">{throughput !== undefined ? throughput.toFixed(1) : '–'}</div>
        </div>
      </div>
      <div className="grid-2-1">
        <Panel title={t('dashboard.messagesOverTime')}>
          <LineChart
            testId="chart-traffic"
            labels={rows.map(timeLabel)}
            series={TRAFFIC.map(([m, color]) => ({
              name: label(m),
              color,
              values: rows.map((b) => bucketValue(b, m)),
            }))}
          />
        </Panel>
        <Panel title={t('dashboard.verdicts')}>
          <DonutChart
            testId="chart-verdicts"
            emptyLabel={t('dashboard.noMail')}
            slices={VERDICTS.map(([m, color]) => ({ name: label(m), color, value: totals[m] ?? 0 }))}
          />
        </Panel>
      </div>
      <div className="grid-2">
        <Panel title={t('dashboard.queues')}>
          <table className="table" data-testid="queue-sizes">
            <tbody>
              {Object.entries(queue).map(([q, n]) => (
                <tr key={q}>
                  <th>{hasKey(`queue.name.${q}`) ? t(`queue.name.${q}` as MessageKey) : q}</th>
                  <td className="num">{formatNumber(n)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </Panel>
        <Panel title={t('dashboard.totals')}>
          <table className="table">
            <tbody>
              {Object.entries(totals).map(([m, n]) => (
                <tr key={m}>
                  <th>{label(m)}</th>
                  <td className="num">{formatNumber(n)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </Panel>
      </div>
    </Page>
  );
}
