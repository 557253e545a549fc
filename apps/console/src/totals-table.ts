/**
 * The sortable token totals table and its CSV download. The header is built once so a sort
 * button keeps keyboard focus; only the body and footer are redrawn.
 */
import { h } from './dom';
import { formatInteger } from './format';
import type { ResolvedRange } from './range';
import { nextSortOrder, sortRows, type SortOrder } from './sort';
import { scrollBox, tableRow, type TableColumn } from './table';
import {
  sumTotals,
  totalsCsv,
  totalsCsvFilename,
  type TotalsColumn,
  type TotalsNumberColumn,
  type TotalsRow,
} from './totals';

const COLUMNS: readonly TableColumn<TotalsColumn>[] = [
  { col: 'tenant', label: 'Tenant', numeric: false },
  { col: 'model', label: 'Model', numeric: false },
  { col: 'requests', label: 'Requests', numeric: true },
  { col: 'errors', label: 'Errors', numeric: true },
  { col: 'inputTokens', label: 'Input tokens', numeric: true },
  { col: 'outputTokens', label: 'Output tokens', numeric: true },
  { col: 'cachedInputTokens', label: 'Cached input', numeric: true },
];

const DEFAULT_ORDER: SortOrder<TotalsColumn> = { column: 'outputTokens', direction: 'descending' };

export class TotalsTable {
  readonly element: HTMLElement;
  private readonly headers = new Map<TotalsColumn, HTMLTableCellElement>();
  private readonly body = h('tbody');
  private readonly foot = h('tfoot');
  private order = DEFAULT_ORDER;
  private rows: readonly TotalsRow[] = [];
  private range: ResolvedRange | undefined;

  constructor() {
    const headerRow = h('tr');
    for (const column of COLUMNS) {
      const button = h('button', { type: 'button', class: 'sort' }, column.label);
      button.addEventListener('click', () => this.sortBy(column.col));
      const th = h('th', { scope: 'col', 'data-col': column.col, class: column.numeric ? 'num' : undefined }, button);
      this.headers.set(column.col, th);
      headerRow.append(th);
    }
    const table = h('table', { 'data-testid': 'totals-table' }, h('thead', {}, headerRow), this.body, this.foot);
    const csv = h('button', { type: 'button', 'data-testid': 'totals-csv', class: 'secondary' }, 'Download CSV');
    csv.addEventListener('click', () => this.download());
    this.element = h(
      'div',
      { class: 'table-panel' },
      scrollBox(table, 'Token totals'),
      h('div', { class: 'panel-actions' }, csv),
    );
    this.updateHeaders();
  }

  show(rows: readonly TotalsRow[], range: ResolvedRange): void {
    this.rows = rows;
    this.range = range;
    this.render();
  }

  private sortBy(column: TotalsColumn): void {
    this.order = nextSortOrder(this.order, column);
    this.updateHeaders();
    this.render();
  }

  private sorted(): TotalsRow[] {
    return sortRows(this.rows, this.order, ['tenant', 'model']);
  }

  private render(): void {
    this.body.replaceChildren(...this.sorted().map((row) => tableRow(COLUMNS, displayCells(row))));
    const sums = sumTotals(this.rows);
    const footer: Record<TotalsColumn, string> = { tenant: 'Total', model: '', ...formatSums(sums) };
    this.foot.replaceChildren(tableRow(COLUMNS, footer));
  }

  private updateHeaders(): void {
    for (const [column, th] of this.headers) {
      th.setAttribute('aria-sort', column === this.order.column ? this.order.direction : 'none');
    }
  }

  private download(): void {
    if (this.range === undefined) return;
    const blob = new Blob([totalsCsv(this.sorted())], { type: 'text/csv;charset=utf-8' });
    const url = URL.createObjectURL(blob);
    const link = h('a', { href: url, download: totalsCsvFilename(this.range) });
    document.body.append(link);
    link.click();
    link.remove();
    // Revoked on the next task: the download has taken its copy by then.
    setTimeout(() => URL.revokeObjectURL(url), 0);
  }
}

function formatSums(sums: Record<TotalsNumberColumn, number>): Record<TotalsNumberColumn, string> {
  return {
    requests: formatInteger(sums.requests),
    errors: formatInteger(sums.errors),
    inputTokens: formatInteger(sums.inputTokens),
    outputTokens: formatInteger(sums.outputTokens),
    cachedInputTokens: formatInteger(sums.cachedInputTokens),
  };
}

function displayCells(row: TotalsRow): Record<TotalsColumn, string> {
  return { tenant: row.tenant, model: row.model, ...formatSums(row) };
}
