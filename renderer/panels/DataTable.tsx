/**
 * The one table of the panels (cluster nodes, runs, artifacts, the node table, the simulator's
 * tables): a header that stays in view, cells that wrap long text instead of widening the
 * table, and a scroll box of its own, so a wide or long table scrolls inside its panel and never
 * spills over its neighbours. Columns say how to render a cell; a row can be clicked and selected.
 */
import { Fragment, type HTMLAttributes, type ReactNode } from 'react';

export interface Column<R> {
  key: string;
  title: ReactNode;
  /** the header's tooltip */
  hint?: string;
  cell(row: R): ReactNode;
  /** a cell's class (e.g. 'small', 'mono', 'strong') */
  className?: string | ((row: R) => string | undefined);
  /** a cell's tooltip */
  cellTitle?(row: R): string | undefined;
  /** sortable: the current direction, and what a click on the header does */
  sort?: 'ascending' | 'descending' | 'none';
  onSort?(): void;
}

type RowAttrs = HTMLAttributes<HTMLTableRowElement> & Record<`data-${string}`, string | undefined>;

export interface DataTableProps<R> {
  columns: Array<Column<R>>;
  rows: R[];
  rowKey(row: R): string;
  onRowClick?(row: R): void;
  selected?(row: R): boolean;
  /** the class a selected row gets */
  selectedClass?: string;
  /** extra attributes of a row (data-testid, data-status …) */
  rowAttrs?(row: R): RowAttrs;
  /** shown as the only row when there are none */
  empty?: ReactNode;
  className?: string;
  testId?: string;
  /** the scroll box's class (e.g. to let it grow in its column) */
  boxClassName?: string;
  /**
   * a row's detail (long lines that would squeeze a column, e.g. a node's accelerator lines): a
   * second row under it, one cell across every column; none when it returns nothing
   */
  detail?(row: R): ReactNode;
}

export function DataTable<R>(props: DataTableProps<R>) {
  const { columns, rows, rowKey, onRowClick, selected, selectedClass = 'sel', rowAttrs, empty } = props;
  return (
    <div className={`table-box${props.boxClassName ? ` ${props.boxClassName}` : ''}`} data-table-box="">
      <table className={`data-table ${props.className ?? ''}${onRowClick ? ' clickable' : ''}`} data-testid={props.testId}>
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c.key} title={c.hint} {...(c.sort ? { 'aria-sort': c.sort } : {})} onClick={c.onSort} className={c.onSort ? 'sortable' : undefined}>
                {c.title}
                {c.sort === 'ascending' ? ' ▴' : c.sort === 'descending' ? ' ▾' : ''}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => {
            const detail = props.detail?.(r);
            const cls = selected?.(r) ? selectedClass : undefined;
            const click = onRowClick ? () => onRowClick(r) : undefined;
            return (
              <Fragment key={rowKey(r)}>
                <tr className={[cls, detail ? 'has-detail' : undefined].filter(Boolean).join(' ') || undefined} onClick={click} {...rowAttrs?.(r)}>
                  {columns.map((c) => (
                    <td key={c.key} className={typeof c.className === 'function' ? c.className(r) : c.className} title={c.cellTitle?.(r)}>
                      {c.cell(r)}
                    </td>
                  ))}
                </tr>
                {detail ? (
                  <tr className={['row-detail', cls].filter(Boolean).join(' ')} onClick={click}>
                    <td colSpan={columns.length}>{detail}</td>
                  </tr>
                ) : null}
              </Fragment>
            );
          })}
          {!rows.length && empty !== undefined && (
            <tr>
              <td colSpan={columns.length} className="muted">
                {empty}
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </div>
  );
}
