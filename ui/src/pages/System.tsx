// System status: the nodes of the group with their services (start/stop), and the components
// each relies on (store, engines with signature versions, Redis, DNS).
import { api } from '../api';
import { DataTable } from '../components/DataTable';
import { Badge, ErrorMessage, Page, Panel, Success } from '../components/common';
import { formatTime } from '../format';
import type { Translate } from '../i18n';
import { useAction, useApi } from '../hooks';
import { useCanWrite, useSession } from '../session';

interface NodeInfo {
  node: string;
  self?: boolean;
  connected?: boolean;
  version?: string;
  startedAt?: number;
  lastSeen?: number;
  uptimeMs?: number;
  smtpConnections?: number;
  services?: Record<string, string>;
  pendingRequests?: { service: string; action: string; at: number }[];
  warnings?: string[];
}

interface Component {
  name: string;
  configured?: boolean;
  reachable?: boolean;
  address?: string;
  version?: string;
  error?: string;
}

interface SystemStatus {
  node?: string;
  nodes?: NodeInfo[];
  components?: {
    store?: { kind: string; version?: string; error?: string };
    virus?: Component[];
    spam?: Component[];
    redis?: Component;
    dns?: { resolvers: string[]; system: boolean };
  };
  warnings?: string[];
}

interface ComponentRow extends Component {
  group: string;
}

/** The components grouped by kind, as one table. */
function componentRows(c: SystemStatus['components'], t: Translate): ComponentRow[] {
  if (!c) return [];
  const rows: ComponentRow[] = [];
  if (c.store)
    rows.push({
      group: t('system.store'),
      name: c.store.kind,
      configured: true,
      reachable: !c.store.error,
      ...c.store,
    });
  for (const v of c.virus ?? []) rows.push({ group: t('system.virusEngines'), ...v });
  for (const v of c.spam ?? []) rows.push({ group: t('system.spamEngines'), ...v });
  if (c.redis) rows.push({ group: 'Redis', ...c.redis });
  if (c.dns)
    rows.push({
      group: 'DNS',
      name: c.dns.system ? t('system.systemResolver') : c.dns.resolvers.join(', '),
      configured: true,
    });
  return rows;
}

function formatUptime(ms: number | undefined): string {
  if (ms === undefined) return '';
  const s = Math.round(ms / 1000);
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  return d ? `${d}d ${h}h` : h ? `${h}h ${m}m` : `${m}m`;
}

export function SystemPage() {
  const { t, language } = useSession();
  const canWrite = useCanWrite('system');
  const { data, error, reload } = useApi<SystemStatus>('/system/status', 10_000);
  const action = useAction();

  const control = (node: string, service: string, verb: 'start' | 'stop') =>
    void action.run(async () => {
      await api.post(`/system/nodes/${encodeURIComponent(node)}/services/${service}/${verb}`);
      reload();
      return t(verb === 'start' ? 'system.started' : 'system.stopped', { service, node });
    });

  const components = componentRows(data?.components, t);
  return (
    <Page title={t('nav.system')}>
      <ErrorMessage error={error ?? action.error} />
      <Success text={action.done} />
      {(data?.warnings ?? []).length > 0 && (
        <div className="message warning">
          <ul>
            {data!.warnings!.map((w) => (
              <li key={w}>{w}</li>
            ))}
          </ul>
        </div>
      )}
      <Panel title={t('system.nodes')}>
        <DataTable
          testId="nodes"
          rows={data?.nodes ?? []}
          rowKey={(n) => n.node}
          columns={[
            {
              header: t('system.node'),
              cell: (n) => (
                <>
                  {n.node}
                  {n.self && <span className="muted"> ({t('system.thisNode')})</span>}
                </>
              ),
            },
            {
              header: t('system.connection'),
              cell: (n) =>
                n.connected === false ? (
                  <Badge kind="bad">{t('system.disconnected')}</Badge>
                ) : (
                  <Badge kind="good">{t('system.connected')}</Badge>
                ),
            },
            { header: t('system.version'), cell: (n) => n.version },
            { header: t('system.uptime'), cell: (n) => formatUptime(n.uptimeMs) },
            { header: t('system.lastSeen'), cell: (n) => formatTime(n.lastSeen, language) },
            {
              header: t('system.services'),
              cell: (n) => (
                <div className="services">
                  {Object.entries(n.services ?? {}).map(([svc, state]) => {
                    const running = state === 'running';
                    const controllable = svc !== 'console';
                    return (
                      <div className="service" key={svc} data-testid={`service-${n.node}-${svc}`}>
                        <span className="service-name">{svc}</span>
                        <Badge kind={running ? 'good' : 'bad'}>
                          {t(running ? 'system.running' : 'system.stoppedState')}
                        </Badge>
                        {controllable && canWrite && (
                          <button
                            type="button"
                            className="small"
                            data-testid={`service-${svc}-${running ? 'stop' : 'start'}`}
                            disabled={action.busy}
                            onClick={() => control(n.node, svc, running ? 'stop' : 'start')}
                          >
                            {t(running ? 'system.stop' : 'system.start')}
                          </button>
                        )}
                      </div>
                    );
                  })}
                </div>
              ),
            },
          ]}
        />
      </Panel>
      <Panel title={t('system.components')}>
        <DataTable
          testId="components"
          rows={components}
          rowKey={(c) => `${c.group}-${c.name}`}
          columns={[
            {
              header: t('system.component'),
              cell: (c) => (
                <>
                  <span className="muted">{c.group}</span> {c.name}
                </>
              ),
            },
            {
              header: t('system.status'),
              cell: (c) =>
                c.configured === false ? (
                  <Badge>{t('system.notConfigured')}</Badge>
                ) : c.reachable === undefined ? (
                  <Badge kind="good">{t('system.configured')}</Badge>
                ) : (
                  <Badge kind={c.reachable ? 'good' : 'bad'}>
                    {t(c.reachable ? 'system.ok' : 'system.unreachable')}
                  </Badge>
                ),
            },
            { header: t('system.version'), className: 'small', cell: (c) => c.version },
            {
              header: t('system.detail'),
              className: 'muted small',
              cell: (c) => [c.address, c.error].filter(Boolean).join(' — '),
            },
          ]}
        />
      </Panel>
    </Page>
  );
}
