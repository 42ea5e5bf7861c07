// A search page's body: the search form, the error or success of the last action, and the
// results table with its pager. With bulk actions, a checkbox column and the buttons that act
// on the ticked rows (the role must be able to write).
import type { Action, Selection } from '../hooks';
import { ErrorMessage, Panel, Success } from './common';
import { BulkActions, DataTable, type BulkAction, type Column } from './DataTable';
import { SearchForm, SearchPager, type SearchAnswer, type SearchField, type SearchList } from './SearchForm';

export interface BulkActionsOf<A extends string> {
  selection: Selection;
  actions: BulkAction<A>[];
  onRun(action: A): void;
}

export function SearchResults<T, D extends SearchAnswer<T>, A extends string = never>({
  name,
  fields,
  list,
  columns,
  rowKey,
  rowTestId,
  action,
  bulk,
  paged = true,
}: {
  /** data-testid of the form ("NAME-search") and table ("NAME-table"). */
  name: string;
  fields: SearchField[];
  list: SearchList<T, D>;
  columns: Column<T>[];
  rowKey(row: T, index: number): string;
  rowTestId?: string;
  action?: Action;
  /** Left out (false) for a role that cannot write. The row checkboxes are "NAME-select-KEY". */
  bulk?: BulkActionsOf<A> | false;
  paged?: boolean;
}) {
  return (
    <>
      <SearchForm fields={fields} testId={`${name}-search`} />
      <ErrorMessage error={list.error ?? action?.error} />
      <Success text={action?.done} />
      <Panel
        actions={
          bulk && (
            <BulkActions
              selection={bulk.selection}
              busy={action?.busy ?? false}
              actions={bulk.actions}
              onRun={bulk.onRun}
            />
          )
        }
      >
        <DataTable
          testId={`${name}-table`}
          rows={list.rows}
          rowKey={rowKey}
          rowTestId={rowTestId}
          selection={bulk ? { state: bulk.selection, testId: `${name}-select` } : undefined}
          columns={columns}
        />
        {paged && <SearchPager list={list} />}
      </Panel>
    </>
  );
}
