// Month-to-date spend against each tenant's monthly budget (README "Costs"): one computation for
// GET /v1/costs/budgets and the budget gauges of /metrics. The month is the current UTC calendar
// month; the spend is token-priced, exact, and rounded once as every cost figure is.
import type { TokenSeriesFilter } from '../storage/rollup.reader';
import type { CostService } from './cost.service';
import type { BudgetsResponse } from '@tokenmeter/contracts/query-api';
import { formatPicos, parseMicros } from './money';
import type { PriceCatalog } from './price-catalog';

/** Start of the UTC calendar month holding `nowMs`. */
export function monthStartMs(nowMs: number): number {
  const now = new Date(nowMs);
  return Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1);
}

/**
 * The budgeted tenants that `mayRead` admits, with their spend so far this month, by tenant name.
 * `filter` scopes the spend query itself (a tenant key's `tenantIn`), so no other tenant's rollups
 * are read for a scoped key.
 */
export async function budgetReport(
  costs: CostService,
  catalog: PriceCatalog,
  nowMs: number,
  filter: TokenSeriesFilter,
  mayRead: (tenant: string) => boolean,
): Promise<BudgetsResponse> {
  const fromMs = monthStartMs(nowMs);
  const budgeted = [...catalog.budgets].filter(([tenant]) => mayRead(tenant));
  const spent = new Map<string, string>();
  if (budgeted.length > 0) {
    const totals = await costs.totals(catalog, { fromMs, toMs: nowMs }, filter, ['tenant']);
    for (const row of totals.rows) if (row.key.tenant !== undefined) spent.set(row.key.tenant, row.cost);
  }
  const items = budgeted
    .map(([tenant, budgetMicros]) => {
      const monthToDate = spent.get(tenant) ?? '0.000000';
      return { tenant, budget: formatMicros(budgetMicros), monthToDate, usedPct: usedPct(monthToDate, budgetMicros) };
    })
    .sort((a, b) => (a.tenant < b.tenant ? -1 : a.tenant > b.tenant ? 1 : 0));
  return {
    currency: catalog.currency,
    month: new Date(fromMs).toISOString().slice(0, 7),
    from: new Date(fromMs).toISOString(),
    to: new Date(nowMs).toISOString(),
    items,
  };
}

function formatMicros(micros: bigint): string {
  return formatPicos(micros * 1_000_000n);
}

function usedPct(monthToDate: string, budgetMicros: bigint): number | null {
  if (budgetMicros === 0n) return null;
  const spentMicros = parseMicros(monthToDate) ?? 0n;
  return Number((spentMicros * 10_000n) / budgetMicros) / 100;
}
