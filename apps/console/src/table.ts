/** Plain data tables whose cells carry `data-col`, as the console contract's tests read them. */
import { h } from './dom';

export interface TableColumn<C extends string = string> {
  readonly col: C;
  readonly label: string;
  /** Right-aligned, tabular figures. */
  readonly numeric: boolean;
}

/** Text, or a node (a usage bar) placed in the cell. */
export type TableCell = string | Node;

export function tableCell<C extends string>(
  column: TableColumn<C>,
  content: TableCell,
  tag: 'td' | 'th' = 'td',
): HTMLElement {
  return h(tag, { 'data-col': column.col, class: column.numeric ? 'num' : undefined }, content);
}

export function tableRow<C extends string>(
  columns: readonly TableColumn<C>[],
  cells: Readonly<Record<C, TableCell>>,
): HTMLTableRowElement {
  return h('tr', {}, ...columns.map((column) => tableCell(column, cells[column.col])));
}

export function dataTable<C extends string>(
  testId: string,
  columns: readonly TableColumn<C>[],
  rows: readonly Readonly<Record<C, TableCell>>[],
  footer?: Readonly<Record<C, TableCell>>,
): HTMLTableElement {
  const head = h(
    'thead',
    {},
    h(
      'tr',
      {},
      ...columns.map((column) =>
        h('th', { scope: 'col', 'data-col': column.col, class: column.numeric ? 'num' : undefined }, column.label),
      ),
    ),
  );
  const body = h('tbody', {}, ...rows.map((row) => tableRow(columns, row)));
  const table = h('table', { 'data-testid': testId }, head, body);
  if (footer !== undefined) table.append(h('tfoot', {}, tableRow(columns, footer)));
  return table;
}

/** Tables scroll inside their panel rather than stretching it. */
export function scrollBox(table: HTMLTableElement, label: string): HTMLElement {
  // Focusable so a keyboard can scroll it; a region with a name so a screen reader can find it.
  return h('div', { class: 'table-scroll', tabindex: '0', role: 'region', 'aria-label': label }, table);
}
