/** The token totals table's rows: flattened from the API, summed for the footer, exported as CSV. */
import type { TokenTotalsResponse } from './api-types';
import { toCsv } from './csv';
import { filenameTime, type ResolvedRange } from './range';

export const TOTALS_COLUMNS = [
  'tenant',
  'model',
  'requests',
  'errors',
  'inputTokens',
  'outputTokens',
  'cachedInputTokens',
] as const;
export type TotalsColumn = (typeof TOTALS_COLUMNS)[number];
export const TOTALS_NUMBER_COLUMNS = [
  'requests',
  'errors',
  'inputTokens',
  'outputTokens',
  'cachedInputTokens',
] as const satisfies readonly TotalsColumn[];
export type TotalsNumberColumn = (typeof TOTALS_NUMBER_COLUMNS)[number];

export type TotalsRow = Readonly<Record<'tenant' | 'model', string> & Record<TotalsNumberColumn, number>>;

export function flattenTotals(response: TokenTotalsResponse): TotalsRow[] {
  return response.rows.map((row) => ({
    tenant: row.key.tenant ?? '',
    model: row.key.model ?? '',
    requests: row.requests,
    errors: row.errors,
    inputTokens: row.inputTokens,
    outputTokens: row.outputTokens,
    cachedInputTokens: row.cachedInputTokens,
  }));
}

export function sumTotals(rows: readonly TotalsRow[]): Record<TotalsNumberColumn, number> {
  const sums = { requests: 0, errors: 0, inputTokens: 0, outputTokens: 0, cachedInputTokens: 0 };
  for (const row of rows) {
    for (const column of TOTALS_NUMBER_COLUMNS) sums[column] += row[column];
  }
  return sums;
}

/** The CSV of the rows as shown (same order), raw integers. */
export function totalsCsv(rows: readonly TotalsRow[]): string {
  return toCsv(
    TOTALS_COLUMNS,
    rows.map((row) => TOTALS_COLUMNS.map((column) => row[column])),
  );
}

export function totalsCsvFilename(range: ResolvedRange): string {
  return `tokenmeter-totals-${filenameTime(range.from)}-${filenameTime(range.to)}.csv`;
}
