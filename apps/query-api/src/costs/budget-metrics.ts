// Month-to-date spend and monthly budget per tenant as Prometheus gauges (README "Costs",
// docs/OBSERVABILITY.md): refreshed at boot and every COST_METRICS_INTERVAL_SECONDS from the
// token-priced totals of the current UTC calendar month. Only tenants with a budget in the catalog
// get series, so the `tenant` label's values are set by configuration, never by event data (the
// query API has every tenant's spend). Every replica exposes the same values; the alert rules
// take `max by (tenant, currency)`.
import { Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { Clock, gauge, PeriodicTask } from '@tokenmeter/telemetry';
import { QueryApiConfig } from '../config';
import { budgetReport } from './budgets';
import { CostService } from './cost.service';

const spend = gauge({
  name: 'tokenmeter_cost_month_to_date',
  help: 'Token-priced spend of the tenant in the current UTC calendar month, in the catalog currency',
  labelNames: ['tenant', 'currency'],
});
const budget = gauge({
  name: 'tokenmeter_cost_budget_monthly',
  help: 'Monthly budget of the tenant from the price catalog, in the catalog currency',
  labelNames: ['tenant', 'currency'],
});

@Injectable()
export class BudgetMetrics implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(BudgetMetrics.name);
  private readonly task = new PeriodicTask(
    () => this.refresh(),
    (error) => this.logger.warn({ err: String(error) }, 'cost metrics refresh failed; next one retries'),
  );

  constructor(
    private readonly config: QueryApiConfig,
    private readonly costs: CostService,
    private readonly clock: Clock,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.priceCatalog !== null) this.task.start(this.config.costMetricsIntervalMs, { now: true });
  }

  /** Sets both gauges of every budgeted tenant from the month so far (0 without spend). */
  async refresh(): Promise<void> {
    const catalog = this.config.priceCatalog;
    if (catalog === null) return;
    const report = await budgetReport(this.costs, catalog, this.clock.nowMs(), {}, () => true);
    // A new month (or a tenant gone from the catalog) must not keep last month's labels.
    spend.reset();
    budget.reset();
    for (const item of report.items) {
      spend.set({ tenant: item.tenant, currency: report.currency }, Number(item.monthToDate));
      budget.set({ tenant: item.tenant, currency: report.currency }, Number(item.budget));
    }
  }

  onModuleDestroy(): Promise<void> {
    return this.task.stop();
  }
}
