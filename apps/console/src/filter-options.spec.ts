import type { TokenTotalsResponse } from './api-types';
import { filterOptions } from './filter-options';

function totals(...keys: { tenant?: string; model?: string; node?: string }[]): TokenTotalsResponse {
  return {
    from: '2026-12-06T10:00:00.000Z',
    to: '2026-12-07T10:00:00.000Z',
    rows: keys.map((key) => ({ key, requests: 1, errors: 0, inputTokens: 1, outputTokens: 1, cachedInputTokens: 0 })),
  };
}

describe('filterOptions', () => {
  const response = totals(
    { tenant: 'globex', model: 'm2', node: 'n1' },
    { tenant: 'acme', model: 'm1', node: 'n1' },
    { tenant: 'acme', model: 'm2', node: 'n2' },
  );

  it('lists distinct values, sorted', () => {
    expect(filterOptions(response, 'tenant', '')).toEqual(['acme', 'globex']);
    expect(filterOptions(response, 'node', '')).toEqual(['n1', 'n2']);
  });

  it('keeps the value from the URL even when the range has none of it', () => {
    expect(filterOptions(response, 'model', 'zeta')).toEqual(['m1', 'm2', 'zeta']);
    expect(filterOptions(undefined, 'model', 'zeta')).toEqual(['zeta']);
  });
});
