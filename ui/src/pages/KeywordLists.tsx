// Keyword and regular-expression lists shared by rules, each entry with its description, the
// address groups rules name, and the compliance templates the rule editor offers.
import { useEffect, useState } from 'react';
import { api } from '../api';
import { ErrorMessage, Field, Page, Panel, Success } from '../components/common';
import { useAction, useApi } from '../hooks';
import type { MessageKey } from '../i18n';
import { navigate } from '../router';
import { useCanWrite, useT } from '../session';
import { KEYWORD_MODES, type KeywordEntry, type KeywordList } from '../policy-model';
import { AddressGroupsEditor, type AddressGroup } from './AddressGroups';

type ListsResponse =
  KeywordList[] | { keywordLists?: KeywordList[]; lists?: KeywordList[]; addressGroups?: AddressGroup[] };

function entryOf(e: KeywordEntry | string): KeywordEntry {
  return typeof e === 'string' ? { pattern: e } : e;
}

interface Template {
  name: string;
  label?: string;
  description?: string;
  example?: string;
}

export function KeywordListsPage() {
  const t = useT();
  const canWrite = useCanWrite('policy');
  const { data, error, reload } = useApi<ListsResponse>('/policy/lists');
  const templates = useApi<Template[] | { templates: Template[] }>('/policy/templates');
  const [lists, setLists] = useState<KeywordList[]>([]);
  const [groups, setGroups] = useState<AddressGroup[]>([]);
  const action = useAction();
  useEffect(() => {
    if (!data) return;
    setLists(Array.isArray(data) ? data : (data.keywordLists ?? data.lists ?? []));
    setGroups(Array.isArray(data) ? [] : (data.addressGroups ?? []));
  }, [data]);
  const disabled = !canWrite;
  const setList = (i: number, l: KeywordList) => setLists(lists.map((x, j) => (j === i ? l : x)));
  const save = () =>
    void action.run(async () => {
      await api.put('/policy/lists', {
        keywordLists: lists.map((l) => ({ ...l, entries: l.entries.map(entryOf).filter((e) => e.pattern) })),
        addressGroups: groups.map((g) => ({
          ...g,
          addresses: g.addresses.map((a) => a.trim()).filter(Boolean),
        })),
      });
      reload();
      return t('common.saved');
    });
  const templateList = Array.isArray(templates.data) ? templates.data : (templates.data?.templates ?? []);

  return (
    <Page
      title={t('policy.keywordLists')}
      actions={
        <>
          <button type="button" onClick={() => navigate('/policy')}>
            {t('common.back')}
          </button>
          {canWrite && (
            <>
              <button
                type="button"
                data-testid="list-add"
                // until the stored lists arrive, an added list would be overwritten by them
                disabled={!data}
                onClick={() => setLists([...lists, { name: '', mode: 'any', entries: [{ pattern: '' }] }])}
              >
                {t('lists.add')}
              </button>
              <button
                type="button"
                className="primary"
                data-testid="lists-save"
                // saving before the stored lists arrive would replace them with nothing
                disabled={action.busy || !data}
                onClick={save}
              >
                {t('common.save')}
              </button>
            </>
          )}
        </>
      }
    >
      <ErrorMessage error={error ?? action.error} />
      <Success text={action.done} />
      {lists.map((l, i) => {
        const entries = l.entries.map(entryOf);
        const setEntry = (j: number, e: KeywordEntry) =>
          setList(i, { ...l, entries: entries.map((x, k) => (k === j ? e : x)) });
        return (
          <Panel
            key={i}
            title={l.name || t('lists.unnamed')}
            actions={
              canWrite && (
                <button
                  type="button"
                  className="small danger"
                  onClick={() => setLists(lists.filter((_, j) => j !== i))}
                >
                  {t('common.remove')}
                </button>
              )
            }
          >
            <div className="form-grid" data-testid={`list-${i}`}>
              <Field label={t('lists.name')}>
                <input
                  value={l.name}
                  disabled={disabled}
                  data-testid={`list-${i}-name`}
                  onChange={(e) => setList(i, { ...l, name: e.target.value })}
                />
              </Field>
              <Field label={t('policy.description')}>
                <input
                  value={l.description ?? ''}
                  disabled={disabled}
                  onChange={(e) => setList(i, { ...l, description: e.target.value || undefined })}
                />
              </Field>
              <Field label={t('lists.mode')}>
                <select
                  value={l.mode ?? 'any'}
                  disabled={disabled}
                  onChange={(e) =>
                    setList(i, {
                      ...l,
                      mode: e.target.value,
                      threshold: e.target.value === 'score' ? (l.threshold ?? 1) : undefined,
                    })
                  }
                >
                  {KEYWORD_MODES.map((m) => (
                    <option key={m} value={m}>
                      {t(`lists.mode.${m}` as MessageKey)}
                    </option>
                  ))}
                </select>
              </Field>
              {l.mode === 'score' && (
                <Field label={t('lists.threshold')}>
                  <input
                    type="number"
                    value={l.threshold ?? ''}
                    disabled={disabled}
                    onChange={(e) => setList(i, { ...l, threshold: Number(e.target.value) })}
                  />
                </Field>
              )}
            </div>
            <table className="table compact">
              <thead>
                <tr>
                  <th>{t('lists.pattern')}</th>
                  <th className="narrow">{t('lists.regex')}</th>
                  <th className="narrow">{t('lists.caseSensitive')}</th>
                  <th>{t('policy.description')}</th>
                  {l.mode === 'score' && <th className="narrow">{t('lists.score')}</th>}
                  <th className="narrow" />
                </tr>
              </thead>
              <tbody>
                {entries.map((e, j) => (
                  <tr key={j}>
                    <td>
                      <input
                        className="mono"
                        value={e.pattern}
                        disabled={disabled}
                        data-testid={`list-${i}-entry-${j}`}
                        onChange={(ev) => setEntry(j, { ...e, pattern: ev.target.value })}
                      />
                    </td>
                    <td>
                      <input
                        type="checkbox"
                        checked={e.regex === true}
                        disabled={disabled}
                        onChange={(ev) => setEntry(j, { ...e, regex: ev.target.checked || undefined })}
                      />
                    </td>
                    <td>
                      <input
                        type="checkbox"
                        checked={e.caseSensitive === true}
                        disabled={disabled}
                        onChange={(ev) =>
                          setEntry(j, { ...e, caseSensitive: ev.target.checked || undefined })
                        }
                      />
                    </td>
                    <td>
                      <input
                        value={e.description ?? ''}
                        disabled={disabled}
                        onChange={(ev) => setEntry(j, { ...e, description: ev.target.value || undefined })}
                      />
                    </td>
                    {l.mode === 'score' && (
                      <td>
                        <input
                          type="number"
                          value={e.score ?? 1}
                          disabled={disabled}
                          onChange={(ev) => setEntry(j, { ...e, score: Number(ev.target.value) })}
                        />
                      </td>
                    )}
                    <td>
                      {canWrite && (
                        <button
                          type="button"
                          className="small"
                          onClick={() => setList(i, { ...l, entries: entries.filter((_, k) => k !== j) })}
                        >
                          ×
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            {canWrite && (
              <button
                type="button"
                className="small"
                data-testid={`list-${i}-entry-add`}
                onClick={() => setList(i, { ...l, entries: [...entries, { pattern: '' }] })}
              >
                {t('lists.addEntry')}
              </button>
            )}
          </Panel>
        );
      })}
      <AddressGroupsEditor groups={groups} onChange={setGroups} canWrite={canWrite && !!data} />
      {templateList.length > 0 && (
        <Panel title={t('policy.templates')}>
          <table className="table" data-testid="templates">
            <tbody>
              {templateList.map((tpl) => (
                <tr key={tpl.name}>
                  <th>{tpl.label ?? tpl.name}</th>
                  <td className="mono small">{tpl.name}</td>
                  <td>{tpl.description}</td>
                  <td className="mono small">{tpl.example}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </Panel>
      )}
    </Page>
  );
}
