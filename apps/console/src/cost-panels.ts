/** Money panels: token-priced costs over the range, and this month's spend against each budget. */
import type { BudgetItem, BudgetsResponse, CostTokensRow, CostTotalsResponse } from './api-types';
import { budgetLevel, budgetSortKey } from './budget';
import { compareDecimal, sumDecimals } from './decimal';
import { h } from './dom';
import { formatInteger, formatPercent } from './format';
import { Panel } from './panel';
import { isNotFound, loadPanels, type LoadContext } from './panel-load';
import { requestPath } from './request-path';
import { dataTable, scrollBox, type TableCell, type TableColumn } from './table';

type CostColumn = 'tenant' | 'model' | 'inputTokens' | 'outputTokens' | 'cachedInputTokens' | 'unpricedTokens' | 'cost';

function costColumns(currency: string): TableColumn<CostColumn>[] {
  return [
    { col: 'tenant', label: 'Tenant', numeric: false },
    { col: 'model', label: 'Model', numeric: false },
    { col: 'inputTokens', label: 'Input tokens', numeric: true },
    { col: 'outputTokens', label: 'Output tokens', numeric: true },
    { col: 'cachedInputTokens', label: 'Cached input', numeric: true },
    { col: 'unpricedTokens', label: 'Unpriced tokens', numeric: true },
    { col: 'cost', label: `Cost (${currency})`, numeric: true },
  ];
}

function costCells(row: CostTokensRow): Record<CostColumn, string> {
  return {
    tenant: row.key.tenant ?? '',
    model: row.key.model ?? '',
    inputTokens: formatInteger(row.inputTokens),
    outputTokens: formatInteger(row.outputTokens),
    cachedInputTokens: formatInteger(row.cachedInputTokens),
    unpricedTokens: formatInteger(row.unpricedTokens),
    cost: row.cost, // the API's exact decimal, never re-rounded
  };
}

function costFooter(rows: readonly CostTokensRow[]): Record<CostColumn, string> {
  const sum = (field: 'inputTokens' | 'outputTokens' | 'cachedInputTokens' | 'unpricedTokens') =>
    formatInteger(rows.reduce((total, row) => total + row[field], 0));
  return {
    tenant: 'Total',
    model: '',
    inputTokens: sum('inputTokens'),
    outputTokens: sum('outputTokens'),
    cachedInputTokens: sum('cachedInputTokens'),
    unpricedTokens: sum('unpricedTokens'),
    cost: sumDecimals(rows.map((row) => row.cost)) ?? '—',
  };
}

type BudgetColumn = 'tenant' | 'monthToDate' | 'budget' | 'usedPct';

function budgetColumns(currency: string): TableColumn<BudgetColumn>[] {
  return [
    { col: 'tenant', label: 'Tenant', numeric: false },
    { col: 'monthToDate', label: `Month to date (${currency})`, numeric: true },
    { col: 'budget', label: `Budget (${currency})`, numeric: true },
    { col: 'usedPct', label: 'Used', numeric: false },
  ];
}

function usageBar(item: BudgetItem): Node {
  const fill = h('span', { class: 'bar-fill' });
  // A zero budget has no share: a spent one shows full, an unspent one empty.
  const shown = item.usedPct ?? (budgetLevel(null, item.monthToDate) === 'over' ? 100 : 0);
  fill.style.width = `${Math.min(100, Math.max(0, shown))}%`; // CSSOM: allowed by the CSP
  return h(
    'span',
    { class: 'usage' },
    h('span', { class: 'bar', 'aria-hidden': 'true' }, fill),
    h('span', { class: 'usage-text' }, item.usedPct === null ? 'zero budget' : formatPercent(item.usedPct)),
  );
}

export class CostPanels {
  private readonly costs = new Panel('costs', 'Costs by tenant and model', { wide: true });
  private readonly budgets = new Panel('budgets', 'Budgets this month');

  get sections(): HTMLElement[] {
    return [this.budgets.section, this.costs.section];
  }

  load(context: LoadContext): Promise<void>[] {
    return [this.loadCosts(context), this.loadBudgets(context)];
  }

  private loadCosts(context: LoadContext): Promise<void> {
    const request = requestPath('/v1/costs/totals', [
      ['from', context.range.from],
      ['to', context.range.to],
      ['groupBy', 'tenant,model'],
      ['view', 'tokens'],
      ['tenant', context.filters.tenant],
      ['model', context.filters.model],
      ['node', context.filters.node],
    ]);
    return loadPanels<CostTotalsResponse>(
      context,
      [this.costs],
      request,
      (response) => {
        this.costs.setTitle(`Costs by tenant and model (${response.currency})`);
        const rows = [...response.rows].sort((a, b) => compareDecimal(b.cost, a.cost));
        if (rows.length === 0) {
          this.costs.empty();
          return;
        }
        this.costs.ready();
        const table = dataTable('costs-table', costColumns(response.currency), rows.map(costCells), costFooter(rows));
        this.costs.body.replaceChildren(scrollBox(table, 'Costs by tenant and model'));
      },
      (error) => this.emptyWhenNoCatalog(this.costs, error),
    );
  }

  private loadBudgets(context: LoadContext): Promise<void> {
    return loadPanels<BudgetsResponse>(
      context,
      [this.budgets],
      '/v1/costs/budgets',
      (response) => {
        this.budgets.setTitle(`Budgets ${response.month} (${response.currency})`);
        if (response.items.length === 0) {
          this.budgets.empty('No tenant with a budget is visible to this key');
          return;
        }
        this.budgets.ready();
        this.budgets.body.replaceChildren(scrollBox(this.budgetTable(response), 'Budgets'));
      },
      (error) => this.emptyWhenNoCatalog(this.budgets, error),
    );
  }

  private budgetTable(response: BudgetsResponse): HTMLTableElement {
    const items = [...response.items].sort(
      (a, b) => budgetSortKey(b.usedPct, b.monthToDate) - budgetSortKey(a.usedPct, a.monthToDate),
    );
    const cells = items.map((item): Record<BudgetColumn, TableCell> => ({
      tenant: item.tenant,
      monthToDate: item.monthToDate,
      budget: item.budget,
      usedPct: usageBar(item),
    }));
    const table = dataTable('budgets-table', budgetColumns(response.currency), cells);
    table.querySelectorAll('tbody tr').forEach((row, index) => {
      const item = items[index];
      if (item !== undefined) row.setAttribute('data-level', budgetLevel(item.usedPct, item.monthToDate));
    });
    return table;
  }

  /** Without a price catalog the cost endpoints answer 404: nothing is priced, which is not an error. */
  private emptyWhenNoCatalog(panel: Panel, error: unknown): boolean {
    if (!isNotFound(error)) return false;
    panel.empty(error.problem.detail || 'No price catalog is configured');
    return true;
  }
}
