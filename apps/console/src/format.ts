/** Number formatting: exact grouped integers in tables, compact units on chart axes. */

const INTEGER = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const COMPACT = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 });

/** `12,345`: tables show exact counts, never abbreviated. */
export function formatInteger(value: number): string {
  return INTEGER.format(value);
}

/** Grouped with at most `digits` fractional digits; `—` for an unknown value. */
export function formatDecimal(value: number | null, digits: number): string {
  if (value === null || !Number.isFinite(value)) return '—';
  return new Intl.NumberFormat('en-US', { maximumFractionDigits: digits }).format(value);
}

/** `1.2K`, `3.4M` for axis ticks, where space is short and exactness does not matter. */
export function formatCompact(value: number): string {
  return COMPACT.format(value);
}

/** Two decimals, as the API rounds `usedPct`, so the cell shows what the API said. */
export function formatPercent(value: number): string {
  return `${formatDecimal(value, 2)} %`;
}
