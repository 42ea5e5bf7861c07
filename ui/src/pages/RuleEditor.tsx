// The rule editor: route (direction, senders, recipients, exceptions), conditions and actions as
// forms, with the whole rule also editable as YAML. Saves through the policy API, which
// validates with the same schema as imports and names the bad key.
import { useEffect, useState } from 'react';
import { api } from '../api';
import { ErrorMessage, Field, LinesInput, Page, Panel, Success, Tabs } from '../components/common';
import { useAction, useApi } from '../hooks';
import type { MessageKey } from '../i18n';
import { navigate } from '../router';
import { useCanWrite, useT } from '../session';
import { ConditionEditor, YamlBox } from './ConditionEditor';
import { PolicyTester } from '../components/PolicyTester';
import {
  DIRECTIONS,
  fromEditor,
  INTERCEPT_ACTIONS,
  interceptOf,
  areaNames,
  ruleForSave,
  toEditor,
  type Intercept,
  type Options,
  type PolicyOverview,
  type RuleDocument,
} from '../policy-model';

interface Template {
  id?: string;
  name?: string;
  label?: string;
  template?: string;
  description?: string;
  condition?: Record<string, unknown>;
}

const NEW_RULE: RuleDocument = {
  id: '',
  name: '',
  enabled: true,
  type: 'other',
  route: { direction: 'inbound', senders: [], recipients: [], exceptSenders: [], exceptRecipients: [] },
  match: 'all',
  conditions: [],
  actions: { intercept: { action: 'continue' } },
};

export function RuleEditorPage({ id }: { id?: string }) {
  const t = useT();
  const canWrite = useCanWrite('policy');
  const existing = useApi<RuleDocument | { rule: RuleDocument }>(
    id ? `/policy/rules/${encodeURIComponent(id)}` : null,
  );
  const overview = useApi<PolicyOverview>('/policy');
  const templates = useApi<Template[] | { templates: Template[] }>('/policy/templates');
  const [rule, setRule] = useState<RuleDocument>(id ? { id } : NEW_RULE);
  const [view, setView] = useState<'form' | 'yaml' | 'test'>('form');
  const action = useAction();

  useEffect(() => {
    const d = existing.data;
    if (d) setRule('rule' in d && d.rule ? d.rule : (d as RuleDocument));
  }, [existing.data]);

  const lists = (overview.data?.keywordLists ?? []).map((l) => l.name);
  const areas = areaNames(overview.data);
  const templateList = Array.isArray(templates.data) ? templates.data : (templates.data?.templates ?? []);
  const route = rule.route ?? {};
  const conditions = (rule.conditions ?? []).map(toEditor);
  const intercept = interceptOf(rule.actions);
  const modify = rule.actions?.modify ?? [];
  const tagSubject = modify.find((m) => 'tagSubject' in m)?.tagSubject as string | undefined;
  const otherModify = modify.filter((m) => !('tagSubject' in m));
  const disabled = !canWrite;
  const builtIn = Boolean(rule.builtIn || rule.default);

  const setRoute = (k: string, v: unknown) => setRule({ ...rule, route: { ...route, [k]: v } });
  const setConditions = (cs: ReturnType<typeof toEditor>[]) =>
    setRule({ ...rule, conditions: cs.map(fromEditor) });
  const setIntercept = (i: Intercept) => setRule({ ...rule, actions: { ...rule.actions, intercept: i } });
  const setModify = (tag: string | undefined, others: Options[]) =>
    setRule({
      ...rule,
      actions: { ...rule.actions, modify: [...(tag ? [{ tagSubject: tag }] : []), ...others] },
    });

  const save = () =>
    void action.run(async () => {
      const body = ruleForSave(rule);
      if (id) await api.put(`/policy/rules/${encodeURIComponent(id)}`, body);
      else await api.post('/policy/rules', { rule: body });
      if (!id) navigate(`/policy/rules/${encodeURIComponent(rule.id)}`, true);
      return t('common.saved');
    });
  const remove = () => {
    if (!id || !window.confirm(t('policy.confirmDelete', { id }))) return;
    void action.run(async () => {
      await api.del(`/policy/rules/${encodeURIComponent(id)}`);
      navigate('/policy');
    });
  };
  const addTemplate = (key: string) => {
    const tpl = templateList.find((x) => (x.id ?? x.name ?? x.template) === key);
    if (!tpl) return;
    const entry = tpl.condition ?? { dlp: { template: tpl.template ?? tpl.id ?? tpl.name } };
    setRule({ ...rule, conditions: [...(rule.conditions ?? []), entry] });
  };

  return (
    <Page
      title={id ? t('policy.editRule', { id }) : t('policy.newRule')}
      actions={
        <>
          <button type="button" onClick={() => navigate('/policy')}>
            {t('common.back')}
          </button>
          {canWrite && id && !builtIn && (
            <button type="button" className="danger" data-testid="rule-delete" onClick={remove}>
              {t('common.delete')}
            </button>
          )}
          {canWrite && (
            <button
              type="button"
              className="primary"
              data-testid="rule-save"
              disabled={action.busy || !rule.id}
              onClick={save}
            >
              {t('common.save')}
            </button>
          )}
        </>
      }
    >
      <ErrorMessage error={existing.error ?? action.error} />
      <Success text={action.done} />
      {!canWrite && (
        <div className="message info" data-testid="read-only">
          {t('common.readOnly')}
        </div>
      )}
      <Tabs<'form' | 'yaml' | 'test'>
        tabs={[
          { id: 'form', label: t('policy.formView') },
          { id: 'yaml', label: t('policy.yamlView') },
          { id: 'test', label: t('policy.testDraft') },
        ]}
        active={view}
        onChange={setView}
      />
      {view === 'test' ? (
        <>
          <p className="muted">{t('policy.testDraftHelp')}</p>
          <PolicyTester draftRule={ruleForSave(rule) as unknown as Record<string, unknown>} />
        </>
      ) : view === 'yaml' ? (
        <Panel>
          <YamlBox
            value={ruleForSave(rule)}
            rows={28}
            disabled={disabled}
            testId="rule-yaml"
            onChange={(v) => setRule({ ...(v as unknown as RuleDocument), builtIn: rule.builtIn })}
          />
        </Panel>
      ) : (
        <>
          <Panel title={t('policy.general')}>
            <div className="form-grid">
              <Field label={t('policy.ruleId')} hint={t('policy.ruleIdHint')}>
                <input
                  value={rule.id}
                  disabled={disabled || Boolean(id)}
                  data-testid="rule-id"
                  onChange={(e) => setRule({ ...rule, id: e.target.value })}
                />
              </Field>
              <Field label={t('policy.ruleName')}>
                <input
                  value={rule.name ?? ''}
                  disabled={disabled}
                  data-testid="rule-name"
                  onChange={(e) => setRule({ ...rule, name: e.target.value || undefined })}
                />
              </Field>
              <Field label={t('policy.description')}>
                <input
                  value={rule.description ?? ''}
                  disabled={disabled}
                  onChange={(e) => setRule({ ...rule, description: e.target.value || undefined })}
                />
              </Field>
              <label className="field checkbox">
                <input
                  type="checkbox"
                  checked={rule.enabled !== false}
                  disabled={disabled}
                  data-testid="rule-enabled"
                  onChange={(e) => setRule({ ...rule, enabled: e.target.checked })}
                />
                <span>{t('policy.enabled')}</span>
              </label>
            </div>
          </Panel>
          <Panel title={t('policy.route')}>
            <div className="form-grid">
              <Field label={t('policy.direction')}>
                <select
                  value={route.direction ?? 'all'}
                  disabled={disabled}
                  data-testid="rule-direction"
                  onChange={(e) => setRoute('direction', e.target.value)}
                >
                  {DIRECTIONS.map((d) => (
                    <option key={d} value={d}>
                      {t(`policy.direction.${d}` as MessageKey)}
                    </option>
                  ))}
                </select>
              </Field>
              {(['senders', 'recipients', 'exceptSenders', 'exceptRecipients'] as const).map((k) => (
                <Field key={k} label={t(`policy.${k}` as MessageKey)} hint={t('policy.patternHint')}>
                  <LinesInput
                    value={route[k]}
                    disabled={disabled}
                    testId={`rule-${k}`}
                    placeholder={t('policy.anyone')}
                    onChange={(v) => setRoute(k, v)}
                  />
                </Field>
              ))}
            </div>
          </Panel>
          <Panel
            title={t('policy.conditions')}
            actions={
              !disabled && (
                <>
                  <select
                    value={rule.match ?? 'all'}
                    data-testid="rule-match"
                    onChange={(e) => setRule({ ...rule, match: e.target.value as 'all' | 'any' })}
                  >
                    <option value="all">{t('policy.matchAll')}</option>
                    <option value="any">{t('policy.matchAny')}</option>
                  </select>
                  {templateList.length > 0 && (
                    <select value="" data-testid="add-template" onChange={(e) => addTemplate(e.target.value)}>
                      <option value="">{t('policy.addTemplate')}</option>
                      {templateList.map((tpl) => {
                        const key = tpl.id ?? tpl.name ?? tpl.template ?? '';
                        return (
                          <option key={key} value={key}>
                            {tpl.label ?? tpl.name ?? key}
                          </option>
                        );
                      })}
                    </select>
                  )}
                  <button
                    type="button"
                    data-testid="condition-add"
                    onClick={() =>
                      setConditions([...conditions, { kind: 'keywords', negated: false, options: {} }])
                    }
                  >
                    {t('policy.addCondition')}
                  </button>
                </>
              )
            }
          >
            {conditions.length === 0 && <p className="muted">{t('policy.noConditions')}</p>}
            {conditions.map((c, i) => (
              <ConditionEditor
                key={`${i}-${c.kind}`}
                index={i}
                value={c}
                lists={lists}
                disabled={disabled}
                onChange={(n) => setConditions(conditions.map((x, j) => (j === i ? n : x)))}
                onRemove={() => setConditions(conditions.filter((_, j) => j !== i))}
              />
            ))}
          </Panel>
          <Panel title={t('policy.actions')}>
            <div className="form-grid">
              <Field label={t('policy.intercept')}>
                <select
                  value={intercept.action}
                  disabled={disabled}
                  data-testid="rule-intercept"
                  onChange={(e) => setIntercept({ action: e.target.value })}
                >
                  {INTERCEPT_ACTIONS.map((a) => (
                    <option key={a} value={a}>
                      {t(`intercept.${a}` as MessageKey)}
                    </option>
                  ))}
                </select>
              </Field>
              {intercept.action === 'quarantine' && (
                <Field label={t('policy.area')}>
                  <select
                    value={intercept.area ?? ''}
                    disabled={disabled}
                    data-testid="rule-area"
                    onChange={(e) => setIntercept({ ...intercept, area: e.target.value })}
                  >
                    <option value="">—</option>
                    {areas.map((a) => (
                      <option key={a} value={a}>
                        {a}
                      </option>
                    ))}
                  </select>
                </Field>
              )}
              {intercept.action === 'changeRecipient' && (
                <Field label={t('policy.newRecipients')}>
                  <LinesInput
                    value={intercept.to}
                    disabled={disabled}
                    onChange={(v) => setIntercept({ ...intercept, to: v })}
                  />
                </Field>
              )}
              {intercept.action === 'reroute' && (
                <Field label={t('policy.rerouteHost')}>
                  <input
                    value={intercept.host ?? ''}
                    disabled={disabled}
                    placeholder="sandbox.example.com:25"
                    onChange={(e) => setIntercept({ ...intercept, host: e.target.value })}
                  />
                </Field>
              )}
              <Field label={t('policy.tagSubject')}>
                <input
                  value={tagSubject ?? ''}
                  disabled={disabled}
                  data-testid="rule-tag-subject"
                  placeholder="[SPAM]"
                  onChange={(e) => setModify(e.target.value || undefined, otherModify)}
                />
              </Field>
            </div>
            <div className="grid-2">
              <Field label={t('policy.otherModify')} hint={t('policy.modifyHint')}>
                <YamlBox
                  value={otherModify}
                  disabled={disabled}
                  onChange={(v) => setModify(tagSubject, Array.isArray(v) ? (v as Options[]) : [])}
                />
              </Field>
              <Field label={t('policy.monitor')} hint={t('policy.monitorHint')}>
                <YamlBox
                  value={rule.actions?.monitor ?? []}
                  disabled={disabled}
                  onChange={(v) =>
                    setRule({
                      ...rule,
                      actions: { ...rule.actions, monitor: Array.isArray(v) ? (v as Options[]) : [] },
                    })
                  }
                />
              </Field>
            </div>
          </Panel>
        </>
      )}
    </Page>
  );
}
