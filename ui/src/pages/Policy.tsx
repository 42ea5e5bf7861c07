// Policy: the rules in evaluation order, with enable toggles, move up/down and drag to
// reorder. Antivirus rules stay first (the server keeps them there).
import { useState } from 'react';
import { api } from '../api';
import { Badge, ErrorMessage, Page, Panel, Success } from '../components/common';
import { useAction, useApi } from '../hooks';
import { Link, navigate } from '../router';
import { useCanWrite, useT } from '../session';
import { interceptOf, type PolicyOverview, type RuleDocument } from '../policy-model';

function conditionSummary(r: RuleDocument): string {
  return (r.conditions ?? [])
    .map((c) => {
      const negated = 'not' in c;
      const inner = (negated ? c.not : c) as Record<string, unknown>;
      return (negated ? '¬' : '') + Object.keys(inner).join('');
    })
    .join(r.match === 'any' ? ' ∨ ' : ' ∧ ');
}

export function PolicyPage() {
  const t = useT();
  const canWrite = useCanWrite('policy');
  const { data, error, reload } = useApi<PolicyOverview>('/policy');
  const action = useAction();
  const [dragging, setDragging] = useState<string>();
  const rules = data?.rules ?? [];

  const move = (id: string, to: number) =>
    void action.run(async () => {
      await api.post(`/policy/rules/${encodeURIComponent(id)}/move`, { to });
      reload();
    });
  const setEnabled = (id: string, enabled: boolean) =>
    void action.run(async () => {
      await api.put(`/policy/rules/${encodeURIComponent(id)}/enabled`, { enabled });
      reload();
    });

  return (
    <Page
      title={t('nav.policy')}
      actions={
        <>
          <Link to="/policy/lists" className="button" data-testid="policy-lists">
            {t('policy.keywordLists')}
          </Link>
          <Link to="/policy/test" className="button" data-testid="policy-test">
            {t('policy.test')}
          </Link>
          {canWrite && (
            <button
              type="button"
              className="primary"
              data-testid="rule-new"
              onClick={() => navigate('/policy/new')}
            >
              {t('policy.newRule')}
            </button>
          )}
        </>
      }
    >
      <ErrorMessage error={error ?? action.error} />
      <Success text={action.done} />
      <Panel>
        <table className="table rules" data-testid="rules">
          <thead>
            <tr>
              <th className="narrow">#</th>
              <th className="narrow">{t('policy.enabled')}</th>
              <th>{t('policy.rule')}</th>
              <th>{t('policy.direction')}</th>
              <th>{t('policy.conditions')}</th>
              <th>{t('policy.action')}</th>
              {canWrite && <th className="narrow">{t('policy.order')}</th>}
            </tr>
          </thead>
          <tbody>
            {rules.map((r, i) => (
              <tr
                key={r.id}
                data-testid={`rule-row-${r.id}`}
                draggable={canWrite}
                className={dragging === r.id ? 'dragging' : ''}
                onDragStart={(e) => {
                  setDragging(r.id);
                  e.dataTransfer.setData('text/plain', r.id);
                }}
                onDragEnd={() => setDragging(undefined)}
                onDragOver={(e) => canWrite && e.preventDefault()}
                onDrop={(e) => {
                  e.preventDefault();
                  const id = e.dataTransfer.getData('text/plain');
                  setDragging(undefined);
                  if (id && id !== r.id) move(id, i);
                }}
              >
                <td className="muted">{i + 1}</td>
                <td>
                  <input
                    type="checkbox"
                    data-testid={`rule-enabled-${r.id}`}
                    checked={r.enabled !== false}
                    disabled={!canWrite || action.busy}
                    onChange={(e) => setEnabled(r.id, e.target.checked)}
                  />
                </td>
                <td>
                  <Link to={`/policy/rules/${encodeURIComponent(r.id)}`} data-testid={`rule-link-${r.id}`}>
                    {r.name ?? r.id}
                  </Link>
                  <div className="muted small">
                    {r.id}
                    {r.type === 'antivirus' && <Badge>{t('policy.antivirus')}</Badge>}
                    {(r.builtIn || r.default) && <Badge>{t('policy.builtIn')}</Badge>}
                  </div>
                </td>
                <td className="small">
                  {r.summary?.route ??
                    t(`policy.direction.${r.route?.direction ?? 'all'}` as 'policy.direction.all')}
                </td>
                <td className="small">{r.summary?.conditions ?? conditionSummary(r)}</td>
                <td className="small">{r.summary?.action ?? interceptOf(r.actions).action}</td>
                {canWrite && (
                  <td className="nowrap">
                    <button
                      type="button"
                      className="small"
                      title={t('policy.moveUp')}
                      data-testid={`rule-up-${r.id}`}
                      disabled={i === 0 || action.busy}
                      onClick={() => move(r.id, i - 1)}
                    >
                      ▲
                    </button>
                    <button
                      type="button"
                      className="small"
                      title={t('policy.moveDown')}
                      data-testid={`rule-down-${r.id}`}
                      disabled={i === rules.length - 1 || action.busy}
                      onClick={() => move(r.id, i + 1)}
                    >
                      ▼
                    </button>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
        {canWrite && <p className="muted small">{t('policy.dragHint')}</p>}
      </Panel>
    </Page>
  );
}
