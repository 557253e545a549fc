/** The choices of the tenant/model/node filters: distinct values seen in the range, sorted. */
import type { TokenTotalsResponse } from './api-types';
import type { FilterName } from './url-state';

/**
 * `keep` (the value from the URL) is always included, so a shared link keeps its filter even when
 * the range has no data for it.
 */
export function filterOptions(response: TokenTotalsResponse | undefined, filter: FilterName, keep: string): string[] {
  const values = new Set<string>();
  for (const row of response?.rows ?? []) {
    const value = row.key[filter];
    if (value !== undefined && value !== '') values.add(value);
  }
  if (keep !== '') values.add(keep);
  return [...values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}
