// Small building blocks every page uses: page frame, error and success messages, form fields,
// a one-item-per-line list editor and a pager.
import type { ReactNode } from 'react';
import { ApiError } from '../api';
import type { MessageKey, Translate } from '../i18n';
import { useT } from '../session';

export function Page({
  title,
  actions,
  children,
}: {
  title: string;
  actions?: ReactNode;
  children: ReactNode;
}) {
  return (
    <section className="page">
      <header className="page-header">
        <h1>{title}</h1>
        {actions && <div className="page-actions">{actions}</div>}
      </header>
      {children}
    </section>
  );
}

export function Panel({
  title,
  actions,
  children,
}: {
  title?: string;
  actions?: ReactNode;
  children: ReactNode;
}) {
  return (
    <div className="panel">
      {(title || actions) && (
        <div className="panel-header">
          {title && <h2>{title}</h2>}
          {actions && <div className="panel-actions">{actions}</div>}
        </div>
      )}
      <div className="panel-body">{children}</div>
    </div>
  );
}

/** Server messages we know (by how they start), shown in the user's language; others as the server wrote them. */
const KNOWN_MESSAGES: [string, MessageKey][] = [
  ['wrong account name or password', 'error.badLogon'],
  ['wrong setup code', 'error.badSetupCode'],
  ['missing or wrong csrf token', 'error.csrf'],
  ['the account is locked', 'error.locked'],
  ['not logged on', 'error.unauthorized'],
  ['the current password is wrong', 'error.wrongCurrentPassword'],
];

export function errorText(error: unknown, t: Translate): string {
  if (!(error instanceof ApiError)) return error instanceof Error ? error.message : String(error);
  const lower = error.message.toLowerCase();
  const known = KNOWN_MESSAGES.find(([start]) => lower.startsWith(start));
  if (known) return t(known[1]);
  switch (error.status) {
    case 0:
      return t('error.network');
    case 401:
      return t('error.unauthorized');
    case 403:
      return `${t('error.forbidden')} (${error.message})`;
    case 404:
      return `${t('error.notFound')} (${error.message})`;
    case 423:
      return t('error.locked');
    case 429:
      return t('error.throttled');
    default:
      if (error.status >= 500) return `${t('error.server')} (${error.message})`;
      return error.message;
  }
}

/** The problems a 400 lists (the settings and policy routes give them one per key). */
function detailLines(details: unknown): string[] {
  const list = Array.isArray(details)
    ? details
    : details && typeof details === 'object' && Array.isArray((details as { problems?: unknown }).problems)
      ? (details as { problems: unknown[] }).problems
      : undefined;
  if (list) return list.map((d) => (typeof d === 'string' ? d : JSON.stringify(d)));
  if (details && typeof details === 'object')
    return Object.entries(details).map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`);
  return [];
}

export function ErrorMessage({ error }: { error: unknown }) {
  const t = useT();
  if (!error) return null;
  const details = error instanceof ApiError ? detailLines(error.details) : [];
  // With the problems listed below, the heading is the message's first part ("invalid settings").
  const text = errorText(error, t);
  const heading =
    details.length > 0 && error instanceof ApiError && error.status === 400 ? text.split(': ')[0] : text;
  return (
    <div className="message error" role="alert" data-testid="error">
      <div>{heading}</div>
      {details.length > 0 && (
        <ul>
          {details.map((d) => (
            <li key={d}>{d}</li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function Success({ text }: { text: string | undefined }) {
  if (!text) return null;
  return (
    <div className="message success" role="status" data-testid="success">
      {text}
    </div>
  );
}

export function Loading({ when }: { when: boolean }) {
  const t = useT();
  return when ? <div className="loading">{t('common.loading')}</div> : null;
}

/** A form's main button: disabled while the action runs or until the form is ready. */
export function SubmitButton({
  testId,
  busy,
  ready = true,
  children,
}: {
  testId: string;
  busy: boolean;
  ready?: boolean;
  children: ReactNode;
}) {
  return (
    <button type="submit" className="primary" data-testid={testId} disabled={busy || !ready}>
      {children}
    </button>
  );
}

export function Field({ label, hint, children }: { label: string; hint?: string; children: ReactNode }) {
  return (
    <label className="field">
      <span className="field-label">{label}</span>
      {children}
      {hint && <span className="field-hint">{hint}</span>}
    </label>
  );
}

/** A list of strings edited as one entry per line. */
export function LinesInput({
  value,
  onChange,
  rows = 3,
  placeholder,
  disabled,
  testId,
}: {
  value: string[] | undefined;
  onChange(v: string[]): void;
  rows?: number;
  placeholder?: string;
  disabled?: boolean;
  testId?: string;
}) {
  return (
    <textarea
      rows={rows}
      value={(value ?? []).join('\n')}
      placeholder={placeholder}
      disabled={disabled}
      data-testid={testId}
      onChange={(e) => onChange(e.target.value.split('\n'))}
      onBlur={(e) =>
        onChange(
          e.target.value
            .split('\n')
            .map((s) => s.trim())
            .filter(Boolean),
        )
      }
    />
  );
}

export function Pager({
  offset,
  limit,
  count,
  total,
  onChange,
}: {
  offset: number;
  limit: number;
  count: number;
  total?: number;
  onChange(offset: number): void;
}) {
  const t = useT();
  const end = offset + count;
  return (
    <div className="pager">
      <span>
        {count === 0
          ? t('common.noResults')
          : t('common.showing', {
              from: offset + 1,
              to: end,
              total: total ?? (count < limit ? end : `${end}+`),
            })}
      </span>
      <button type="button" disabled={offset === 0} onClick={() => onChange(Math.max(0, offset - limit))}>
        {t('common.previous')}
      </button>
      <button
        type="button"
        disabled={total !== undefined ? end >= total : count < limit}
        onClick={() => onChange(offset + limit)}
      >
        {t('common.next')}
      </button>
    </div>
  );
}

export function Badge({ kind, children }: { kind?: string; children: ReactNode }) {
  return <span className={`badge ${kind ?? ''}`}>{children}</span>;
}

/** A key/value table for detail pages. */
export function Facts({ rows }: { rows: [string, ReactNode][] }) {
  return (
    <table className="facts">
      <tbody>
        {rows
          .filter(([, v]) => v !== undefined && v !== null && v !== '')
          .map(([k, v]) => (
            <tr key={k}>
              <th>{k}</th>
              <td>{v}</td>
            </tr>
          ))}
      </tbody>
    </table>
  );
}

export function Tabs<T extends string>({
  tabs,
  active,
  onChange,
}: {
  tabs: { id: T; label: string }[];
  active: T;
  onChange(id: T): void;
}) {
  return (
    <div className="tabs" role="tablist">
      {tabs.map((tab) => (
        <button
          key={tab.id}
          type="button"
          role="tab"
          aria-selected={tab.id === active}
          className={tab.id === active ? 'active' : ''}
          data-testid={`tab-${tab.id}`}
          onClick={() => onChange(tab.id)}
        >
          {tab.label}
        </button>
      ))}
    </div>
  );
}
