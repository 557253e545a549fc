import { budgetReport, monthStartMs } from './budgets';
import type { CostService } from './cost.service';
import type { TokenCostTotalsResponse } from '@tokenmeter/contracts/query-api';
import { parsePriceCatalog, type PriceCatalog } from './price-catalog';

const NOW = Date.parse('2026-12-07T10:30:00Z');

function catalog(budgets: { tenant: string; monthly: string }[]): PriceCatalog {
  const parsed = parsePriceCatalog(JSON.stringify({ currency: 'EUR', models: [], budgets }));
  if (!parsed.ok) throw new Error(parsed.problems.join('; '));
  return parsed.catalog;
}

function costsSpending(spend: Record<string, string>, calls: unknown[][] = []): CostService {
  return {
    totals: (...args: unknown[]): Promise<TokenCostTotalsResponse> => {
      calls.push(args);
      return Promise.resolve({
        from: '',
        to: '',
        currency: 'EUR',
        view: 'tokens',
        rows: Object.entries(spend).map(([tenant, cost]) => ({
          key: { tenant },
          inputTokens: 0,
          cachedInputTokens: 0,
          outputTokens: 0,
          unpricedTokens: 0,
          cost,
        })),
      });
    },
  } as unknown as CostService;
}

describe('budgetReport', () => {
  const budgets = [
    { tenant: 'globex', monthly: '200' },
    { tenant: 'acme', monthly: '300.50' },
    { tenant: 'free', monthly: '0' },
  ];

  it('reports every readable budgeted tenant, sorted, with the month so far and the share used (truncated)', async () => {
    const calls: unknown[][] = [];
    const report = await budgetReport(
      costsSpending({ acme: '240.399999', initech: '999.000000' }, calls),
      catalog(budgets),
      NOW,
      {},
      () => true,
    );
    expect(report).toEqual({
      currency: 'EUR',
      month: '2026-12',
      from: '2026-12-01T00:00:00.000Z',
      to: '2026-12-07T10:30:00.000Z',
      items: [
        { tenant: 'acme', budget: '300.500000', monthToDate: '240.399999', usedPct: 79.99 },
        { tenant: 'free', budget: '0.000000', monthToDate: '0.000000', usedPct: null },
        { tenant: 'globex', budget: '200.000000', monthToDate: '0.000000', usedPct: 0 },
      ],
    });
    expect(calls).toEqual([[expect.anything(), { fromMs: monthStartMs(NOW), toMs: NOW }, {}, ['tenant']]]);
  });

  it('lists only the tenants the key may read and passes its scope to the spend query', async () => {
    const calls: unknown[][] = [];
    const report = await budgetReport(
      costsSpending({ globex: '250.000000' }, calls),
      catalog(budgets),
      NOW,
      { tenantIn: ['globex'] },
      (tenant) => tenant === 'globex',
    );
    expect(report.items).toEqual([{ tenant: 'globex', budget: '200.000000', monthToDate: '250.000000', usedPct: 125 }]);
    expect(calls[0]?.[2]).toEqual({ tenantIn: ['globex'] });
  });

  it('reads nothing when the key may read no budgeted tenant', async () => {
    const calls: unknown[][] = [];
    const report = await budgetReport(costsSpending({}, calls), catalog(budgets), NOW, {}, () => false);
    expect(report.items).toEqual([]);
    expect(calls).toHaveLength(0);
  });
});

describe('monthStartMs', () => {
  it('is midnight UTC of the first of the month', () => {
    expect(new Date(monthStartMs(NOW)).toISOString()).toBe('2026-12-01T00:00:00.000Z');
    expect(new Date(monthStartMs(Date.parse('2027-01-01T00:00:00Z'))).toISOString()).toBe('2027-01-01T00:00:00.000Z');
    expect(new Date(monthStartMs(Date.parse('2026-12-31T23:59:59.999Z'))).toISOString()).toBe(
      '2026-12-01T00:00:00.000Z',
    );
  });
});
