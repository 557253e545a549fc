import type { TokenTotalsRow } from './api-types';
import { flattenTotals, sumTotals, totalsCsv, totalsCsvFilename } from './totals';

function totalsRow(overrides: Partial<TokenTotalsRow> = {}): TokenTotalsRow {
  return {
    key: { tenant: 'acme', model: 'llama' },
    requests: 1,
    errors: 0,
    inputTokens: 10,
    outputTokens: 20,
    cachedInputTokens: 5,
    ...overrides,
  };
}

const RESPONSE = {
  from: '2026-12-06T10:00:00.000Z',
  to: '2026-12-07T10:00:00.000Z',
  rows: [
    totalsRow(),
    totalsRow({ key: { tenant: 'glo,bex', model: 'qwen "72b"' }, requests: 1_000_000, outputTokens: 2 }),
  ],
};

describe('token totals', () => {
  it('flattens the group key into tenant and model columns', () => {
    expect(flattenTotals(RESPONSE)[1]).toEqual({
      tenant: 'glo,bex',
      model: 'qwen "72b"',
      requests: 1_000_000,
      errors: 0,
      inputTokens: 10,
      outputTokens: 2,
      cachedInputTokens: 5,
    });
  });

  it('sums every number column for the footer', () => {
    expect(sumTotals(flattenTotals(RESPONSE))).toEqual({
      requests: 1_000_001,
      errors: 0,
      inputTokens: 20,
      outputTokens: 22,
      cachedInputTokens: 10,
    });
  });

  it('exports the rows as shown with raw integers and quoted fields', () => {
    expect(totalsCsv(flattenTotals(RESPONSE))).toBe(
      'tenant,model,requests,errors,inputTokens,outputTokens,cachedInputTokens\r\n' +
        'acme,llama,1,0,10,20,5\r\n' +
        '"glo,bex","qwen ""72b""",1000000,0,10,2,5\r\n',
    );
  });

  it('names the CSV after the range', () => {
    expect(totalsCsvFilename(RESPONSE)).toBe('tokenmeter-totals-20261206T100000Z-20261207T100000Z.csv');
  });
});
