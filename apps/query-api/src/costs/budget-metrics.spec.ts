import { register } from 'prom-client';
import { QueryApiConfig } from '../config';
import { BudgetMetrics } from './budget-metrics';
import type { CostService } from './cost.service';
import type { TokenCostTotalsResponse } from '@tokenmeter/contracts/query-api';
import { parsePriceCatalog } from './price-catalog';

const NOW = Date.parse('2026-12-07T10:30:00Z');

function configWith(budgets: { tenant: string; monthly: string }[]): QueryApiConfig {
  const parsed = parsePriceCatalog(JSON.stringify({ currency: 'EUR', models: [], budgets }));
  if (!parsed.ok) throw new Error(parsed.problems.join('; '));
  const base = QueryApiConfig.fromEnv({ MONGO_URL: 'mongodb://127.0.0.1:27017/tokenmeter' });
  return new QueryApiConfig(
    base.http,
    base.mongo,
    base.query,
    base.logLevel,
    base.shutdownTimeoutMs,
    base.apiKeys,
    base.rateLimit,
    parsed.catalog,
  );
}

async function gaugeValues(name: string): Promise<Record<string, number>> {
  const metric = await register.getSingleMetric(name)?.get();
  return Object.fromEntries(
    (metric?.values ?? []).map((v) => [`${v.labels['tenant']}/${v.labels['currency']}`, v.value]),
  );
}

describe('BudgetMetrics', () => {
  it('sets month-to-date spend of every budgeted tenant from the month so far, 0 without spend, nothing for others', async () => {
    const calls: unknown[][] = [];
    const costs = {
      totals: (...args: unknown[]): Promise<TokenCostTotalsResponse> => {
        calls.push(args);
        return Promise.resolve({
          from: '',
          to: '',
          currency: 'EUR',
          view: 'tokens',
          rows: [
            {
              key: { tenant: 'acme' },
              inputTokens: 1,
              cachedInputTokens: 0,
              outputTokens: 1,
              unpricedTokens: 0,
              cost: '412.500001',
            },
            {
              key: { tenant: 'other' },
              inputTokens: 1,
              cachedInputTokens: 0,
              outputTokens: 1,
              unpricedTokens: 0,
              cost: '3.000000',
            },
          ],
        });
      },
    } as unknown as CostService;
    const clock = { nowMs: () => NOW };
    const metrics = new BudgetMetrics(
      configWith([
        { tenant: 'acme', monthly: '500.00' },
        { tenant: 'idle', monthly: '0.5' },
      ]),
      costs,
      clock,
    );

    await metrics.refresh();

    expect(calls[0]?.[1]).toEqual({ fromMs: Date.parse('2026-12-01T00:00:00Z'), toMs: NOW });
    expect(calls[0]?.[3]).toEqual(['tenant']);
    expect(await gaugeValues('tokenmeter_cost_month_to_date')).toEqual({
      'acme/EUR': 412.500001,
      'idle/EUR': 0,
    });
    expect(await gaugeValues('tokenmeter_cost_budget_monthly')).toEqual({ 'acme/EUR': 500, 'idle/EUR': 0.5 });
  });
});
