/** Sorting of table rows by one column, with a stable tie-break so equal rows never swap on refresh. */

export type SortDirection = 'ascending' | 'descending';

export interface SortOrder<C extends string> {
  readonly column: C;
  readonly direction: SortDirection;
}

type Cell = string | number;

function compareCells(a: Cell, b: Cell): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const left = String(a);
  const right = String(b);
  return left < right ? -1 : left > right ? 1 : 0;
}

/**
 * A sorted copy. `tieBreak` columns (ascending) order rows the sort column leaves equal.
 */
export function sortRows<C extends string, R extends Readonly<Record<C, Cell>>>(
  rows: readonly R[],
  order: SortOrder<C>,
  tieBreak: readonly C[],
): R[] {
  const sign = order.direction === 'ascending' ? 1 : -1;
  return [...rows].sort((a, b) => {
    const primary = sign * compareCells(a[order.column], b[order.column]);
    if (primary !== 0) return primary;
    for (const column of tieBreak) {
      const secondary = compareCells(a[column], b[column]);
      if (secondary !== 0) return secondary;
    }
    return 0;
  });
}

/** Clicking the sorted column flips it; another column starts ascending. */
export function nextSortOrder<C extends string>(current: SortOrder<C>, column: C): SortOrder<C> {
  if (current.column !== column) return { column, direction: 'ascending' };
  return { column, direction: current.direction === 'ascending' ? 'descending' : 'ascending' };
}
