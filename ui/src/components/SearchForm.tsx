// The search form above the queue, tracking, quarantine and audit tables. Its values live in
// the page URL, so a search survives opening a detail page and coming back.
import { useEffect, useState, type FormEvent } from 'react';
import { query } from '../api';
import { useApi } from '../hooks';
import { navigate, useLocation } from '../router';
import { useT } from '../session';
import { Field, Pager } from './common';

export interface SearchField {
  name: string;
  label: string;
  type?: 'text' | 'datetime' | 'select';
  options?: { value: string; label: string }[];
  placeholder?: string;
}

/** The current search from the URL, and the query parameters to send for it. */
export function useSearch(fields: SearchField[]): {
  values: Record<string, string>;
  apiParams: Record<string, string | number>;
} {
  const { search } = useLocation();
  const values: Record<string, string> = {};
  const apiParams: Record<string, string | number> = {};
  for (const f of fields) {
    const v = search.get(f.name) ?? '';
    values[f.name] = v;
    if (!v) continue;
    if (f.type === 'datetime') {
      // The API takes ISO date/times (or "2h" ago); datetime-local is local time.
      const d = new Date(v);
      apiParams[f.name] = Number.isNaN(d.getTime()) ? v : d.toISOString();
    } else apiParams[f.name] = v;
  }
  const offset = search.get('offset');
  if (offset) apiParams.offset = Number(offset) || 0;
  return { values, apiParams };
}

export function SearchForm({ fields, testId }: { fields: SearchField[]; testId: string }) {
  const t = useT();
  const { path, search } = useLocation();
  const [values, setValues] = useState<Record<string, string>>({});
  const searchKey = search.toString();
  useEffect(() => {
    const v: Record<string, string> = {};
    for (const f of fields) v[f.name] = search.get(f.name) ?? '';
    setValues(v);
    // Re-read when the URL's query changes (fields is a new array on each render).
  }, [searchKey]);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(values)) if (v.trim()) q.set(k, v.trim());
    const s = q.toString();
    navigate(s ? `${path}?${s}` : path);
  };
  const reset = () => {
    setValues({});
    navigate(path);
  };

  return (
    <form className="search-form" onSubmit={submit} data-testid={testId}>
      {fields.map((f) => (
        <Field key={f.name} label={f.label}>
          {f.type === 'select' ? (
            <select
              value={values[f.name] ?? ''}
              data-testid={`search-${f.name}`}
              onChange={(e) => setValues({ ...values, [f.name]: e.target.value })}
            >
              <option value="">{t('common.any')}</option>
              {(f.options ?? []).map((o) => (
                <option key={o.value} value={o.value}>
                  {o.label}
                </option>
              ))}
            </select>
          ) : (
            <input
              type={f.type === 'datetime' ? 'datetime-local' : 'text'}
              value={values[f.name] ?? ''}
              placeholder={f.placeholder}
              data-testid={`search-${f.name}`}
              onChange={(e) => setValues({ ...values, [f.name]: e.target.value })}
            />
          )}
        </Field>
      ))}
      <div className="search-actions">
        <button type="submit" className="primary" data-testid={`${testId}-submit`}>
          {t('common.search')}
        </button>
        <button type="button" onClick={reset}>
          {t('common.clear')}
        </button>
      </div>
    </form>
  );
}

/** Moves the page's offset in the URL, keeping the search. */
export function goToOffset(offset: number): void {
  const q = new URLSearchParams(window.location.search);
  if (offset) q.set('offset', String(offset));
  else q.delete('offset');
  const s = q.toString();
  navigate(s ? `${window.location.pathname}?${s}` : window.location.pathname);
}

/** A search answer: the rows (as an array or under one of these keys) and maybe a total. */
export type SearchAnswer<T> =
  T[] | { entries?: T[]; messages?: T[]; items?: T[]; total?: number; counts?: Record<string, number> };

export interface SearchList<T, D> {
  rows: T[];
  data: D | undefined;
  error: unknown;
  reload(): void;
  offset: number;
  limit: number;
}

/**
 * Loads path with the search in the URL. Paged: the URL's offset and `limit` rows at a time
 * (show <SearchPager>); otherwise the newest `limit` rows.
 */
export function useSearchList<T, D extends SearchAnswer<T> = SearchAnswer<T>>(
  path: string,
  fields: SearchField[],
  { limit, paged = true }: { limit: number; paged?: boolean },
): SearchList<T, D> {
  const { apiParams } = useSearch(fields);
  const { offset: offsetParam, ...params } = apiParams;
  const offset = paged ? Number(offsetParam ?? 0) : 0;
  const { data, error, reload } = useApi<D>(
    `${path}${query({ ...params, ...(paged ? { offset: offsetParam } : {}), limit })}`,
  );
  const rows = Array.isArray(data) ? data : (data?.entries ?? data?.messages ?? data?.items ?? []);
  return { rows, data, error, reload, offset, limit };
}

export function SearchPager<T, D extends SearchAnswer<T>>({ list }: { list: SearchList<T, D> }) {
  const total = Array.isArray(list.data) ? undefined : list.data?.total;
  return (
    <Pager
      offset={list.offset}
      limit={list.limit}
      count={list.rows.length}
      total={total}
      onChange={goToOffset}
    />
  );
}
