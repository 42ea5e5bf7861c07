// The console's tables: a header row and one row per item, described as columns. With a
// selection, a first column of checkboxes (and a select-all box) lets bulk actions act on the
// ticked rows.
import type { ReactNode } from 'react';
import type { Selection } from '../hooks';
import { useT } from '../session';

export interface Column<T> {
  header?: ReactNode;
  /** Class of the header cell. */
  headerClassName?: string;
  /** Class of each body cell. */
  className?: string;
  cell(row: T): ReactNode;
}

export function DataTable<T>({
  testId,
  columns,
  rows,
  rowKey,
  rowTestId,
  selection,
  className = 'table',
}: {
  testId: string;
  /** false leaves a column out (e.g. the actions of a role that cannot write). */
  columns: (Column<T> | false)[];
  rows: T[];
  rowKey(row: T, index: number): string;
  /** Each row gets data-testid `${rowTestId}-${key}`. */
  rowTestId?: string;
  /** Adds the checkbox column; each box gets data-testid `${selection.testId}-${key}`. */
  selection?: { state: Selection; testId: string };
  className?: string;
}) {
  const t = useT();
  const shown = columns.filter((c): c is Column<T> => c !== false);
  return (
    <table className={className} data-testid={testId}>
      <thead>
        <tr>
          {selection && (
            <th className="narrow">
              <input
                type="checkbox"
                checked={selection.state.all}
                onChange={selection.state.toggleAll}
                aria-label={t('common.selectAll')}
              />
            </th>
          )}
          {shown.map((c, i) => (
            <th key={i} className={c.headerClassName}>
              {c.header}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.map((row, index) => {
          const key = rowKey(row, index);
          return (
            <tr key={key} data-testid={rowTestId && `${rowTestId}-${key}`}>
              {selection && (
                <td>
                  <input
                    type="checkbox"
                    data-testid={`${selection.testId}-${key}`}
                    checked={selection.state.has(key)}
                    onChange={() => selection.state.toggle(key)}
                  />
                </td>
              )}
              {shown.map((c, i) => (
                <td key={i} className={c.className}>
                  {c.cell(row)}
                </td>
              ))}
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

export interface BulkAction<A extends string> {
  id: A;
  label: string;
  testId: string;
  danger?: boolean;
}

/** "n selected" and one button per action, each disabled while nothing is ticked. */
export function BulkActions<A extends string>({
  selection,
  busy,
  actions,
  onRun,
}: {
  selection: Selection;
  busy: boolean;
  actions: BulkAction<A>[];
  onRun(action: A): void;
}) {
  const t = useT();
  return (
    <div className="bulk">
      <span className="muted">{t('common.selected', { n: selection.selected.length })}</span>
      {actions.map((a) => (
        <button
          key={a.id}
          type="button"
          className={a.danger ? 'small danger' : 'small'}
          data-testid={a.testId}
          disabled={selection.selected.length === 0 || busy}
          onClick={() => onRun(a.id)}
        >
          {a.label}
        </button>
      ))}
    </div>
  );
}
