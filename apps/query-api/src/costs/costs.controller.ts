// Cost endpoints (README "Costs"): token-priced totals and series from the rollups and the price
// catalog, with the token endpoints' parameters, validation and tenant scoping; totals also as a
// CSV chargeback sheet (`Accept: text/csv`).
import { Controller, Get, Headers, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { Clock, CurrentPrincipal, mayAccessTenant, type Principal, ProblemException } from '@tokenmeter/telemetry';
import type { FastifyReply } from 'fastify';
import { QueryApiConfig } from '../config';
import { ApiProblems, ApiQueryParams } from '../openapi/api-docs';
import { openApiSchema } from '../openapi/responses';
import { type ParamSpec, parseParams, resolveRange } from '../params/query-params';
import { RANGE, STEP, TOKEN_FILTERS, tokenFilter } from '../series/series.controller';
import { planGrid } from '../series/time-grid';
import { budgetReport } from './budgets';
import { CostService } from './cost.service';
import {
  type BudgetsResponse,
  BudgetsResponseSchema,
  COST_VIEWS,
  type CostSeriesResponse,
  CostSeriesResponseSchema,
  type CostTotalsResponse,
  CostTotalsResponseSchema,
} from '@tokenmeter/contracts/query-api';
import { toCsv } from './csv';
import type { PriceCatalog } from './price-catalog';

const VIEW = {
  view: {
    kind: 'enum',
    values: COST_VIEWS,
    description:
      '`tokens` (default): tokens × the price of their model in force when used; `gpus`: each node’s GPU-hours and ' +
      'energy, attributed to tenants and models by their share of its tokens per hour',
  },
} as const satisfies Record<string, ParamSpec>;
const COST_TOTALS_PARAMS = { ...RANGE, ...VIEW, ...TOKEN_FILTERS } as const;
const COST_SERIES_PARAMS = { ...RANGE, ...STEP, ...VIEW, ...TOKEN_FILTERS } as const;
const CSV_TYPE = 'text/csv';

@ApiTags('costs')
@ApiBearerAuth()
@Controller('v1/costs')
export class CostsController {
  constructor(
    private readonly costs: CostService,
    private readonly config: QueryApiConfig,
    private readonly clock: Clock,
  ) {}

  @Get('totals')
  @ApiOperation({
    summary: 'Cost totals, token-priced or GPU-priced',
    description:
      '`view=tokens` (default): tokens times the price of their model in force when they were used ' +
      '(PRICE_CATALOG_FILE). `view=gpus`: every GPU that reported in an hour costs the hour at its GPU-hour price ' +
      'plus its energy at the energy price, attributed to the tenants and models its node served by their token ' +
      'share in that hour (minutes at partial hours); all-tenant keys also get the idle (`unattributed`) cost. ' +
      'Sums are exact over the range (aligned outward to whole minutes), one row per group; amounts are decimal ' +
      'strings rounded half-up to 6 decimals. With `Accept: text/csv`: the rows as an RFC 4180 chargeback sheet ' +
      'with a header row.',
  })
  @ApiQueryParams(COST_TOTALS_PARAMS)
  @ApiOkResponse({ schema: openApiSchema(CostTotalsResponseSchema) })
  @ApiProduces('application/json', CSV_TYPE)
  @ApiProblems(400, 401, 403, 404, 429)
  async totals(
    @Query() query: unknown,
    @Headers('accept') accept: string | undefined,
    @CurrentPrincipal() principal: Principal,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<CostTotalsResponse | string> {
    const p = parseParams(query, COST_TOTALS_PARAMS);
    const groupBy = p.groupBy ?? [];
    const catalog = this.catalog();
    const filter = tokenFilter(p, principal);
    const result =
      p.view === 'gpus'
        ? await this.costs.gpuTotals(catalog, this.range(p), filter, groupBy, principal.tenants === null)
        : await this.costs.totals(catalog, this.range(p), filter, groupBy);
    if (!wantsCsv(accept)) return result;
    void reply
      .header('content-type', `${CSV_TYPE}; charset=utf-8`)
      .header('content-disposition', `attachment; filename="costs-${result.view}-${result.from}-${result.to}.csv"`);
    const groups = (key: Partial<Record<string, string>>) => groupBy.map((field) => key[field] ?? '');
    if (result.view === 'gpus') {
      return toCsv([
        [...groupBy, 'currency', 'tokens', 'gpuCost', 'energyCost', 'cost'],
        ...result.rows.map((r) => [...groups(r.key), result.currency, r.tokens, r.gpuCost, r.energyCost, r.cost]),
      ]);
    }
    return toCsv([
      [...groupBy, 'currency', 'inputTokens', 'cachedInputTokens', 'outputTokens', 'unpricedTokens', 'cost'],
      ...result.rows.map((r) => [
        ...groups(r.key),
        result.currency,
        r.inputTokens,
        r.cachedInputTokens,
        r.outputTokens,
        r.unpricedTokens,
        r.cost,
      ]),
    ]);
  }

  @Get('series')
  @ApiOperation({
    summary: 'Cost over time, token-priced or GPU-priced',
    description:
      'Per bucket, the figures of /v1/costs/totals for that bucket (`view=gpus` attributes per hour, or per minute ' +
      'for steps under an hour). Empty buckets are present with zeros and "0.000000".',
  })
  @ApiQueryParams(COST_SERIES_PARAMS)
  @ApiOkResponse({ schema: openApiSchema(CostSeriesResponseSchema) })
  @ApiProblems(400, 401, 403, 404, 429)
  async series(@Query() query: unknown, @CurrentPrincipal() principal: Principal): Promise<CostSeriesResponse> {
    const p = parseParams(query, COST_SERIES_PARAMS);
    const grid = planGrid(this.range(p), p.step);
    const catalog = this.catalog();
    const filter = tokenFilter(p, principal);
    return p.view === 'gpus'
      ? this.costs.gpuSeries(catalog, grid, filter, p.groupBy ?? [], principal.tenants === null)
      : this.costs.series(catalog, grid, filter, p.groupBy ?? []);
  }

  @Get('budgets')
  @ApiOperation({
    summary: 'Month-to-date spend against monthly budgets',
    description:
      'Each tenant with a budget in the price catalog that the API key may read: its token-priced spend since the ' +
      'start of the current UTC calendar month (the figure of `tokenmeter_cost_month_to_date`), its monthly budget ' +
      'and the share used. Tenants without a budget are not listed.',
  })
  @ApiOkResponse({ schema: openApiSchema(BudgetsResponseSchema) })
  @ApiProblems(400, 401, 404, 429)
  async budgets(@Query() query: unknown, @CurrentPrincipal() principal: Principal): Promise<BudgetsResponse> {
    parseParams(query, {});
    return budgetReport(this.costs, this.catalog(), this.clock.nowMs(), tokenFilter({}, principal), (tenant) =>
      mayAccessTenant(principal, tenant),
    );
  }

  private catalog(): PriceCatalog {
    const catalog = this.config.priceCatalog;
    if (catalog === null) {
      throw new ProblemException(404, 'No price catalog is configured: set PRICE_CATALOG_FILE (README, "Costs").');
    }
    return catalog;
  }

  private range(p: { from?: number; to?: number }): { fromMs: number; toMs: number } {
    return resolveRange(p, this.clock.nowMs(), this.config.query.defaultRangeMs);
  }
}

/** Whether the client asked for CSV: `text/csv` among its Accept types (JSON otherwise). */
export function wantsCsv(accept: string | undefined): boolean {
  if (accept === undefined) return false;
  return accept
    .split(',')
    .map((part) => part.split(';')[0]?.trim().toLowerCase())
    .includes(CSV_TYPE);
}
