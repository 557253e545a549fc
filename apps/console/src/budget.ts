/** Budget levels: ≥ 80 % warns, ≥ 100 % is over, the thresholds of the TokenmeterTenantBudget alerts. */

export type BudgetLevel = 'ok' | 'warning' | 'over';

/** Whether an exact decimal amount ("0.000000", "12.5") is zero. */
function isZero(amount: string): boolean {
  return /^[0.]*$/.test(amount);
}

/**
 * The level of a budget used `usedPct` percent; a zero budget (the API's `usedPct: null`) is over
 * as soon as anything is spent.
 */
export function budgetLevel(usedPct: number | null, monthToDate = '0'): BudgetLevel {
  if (usedPct === null) return isZero(monthToDate) ? 'ok' : 'over';
  return usedPct >= 100 ? 'over' : usedPct >= 80 ? 'warning' : 'ok';
}

/** What to sort budgets by, most used first: a spent zero budget above all, an unspent one below. */
export function budgetSortKey(usedPct: number | null, monthToDate: string): number {
  if (usedPct !== null) return usedPct;
  return isZero(monthToDate) ? -1 : Number.POSITIVE_INFINITY;
}
