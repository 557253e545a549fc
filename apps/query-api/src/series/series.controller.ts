// Rollup-backed endpoints (SPEC §7): token series and totals, GPU series and inventory, and
// efficiency. Parameters are parsed strictly (params/query-params.ts); tenant scoping follows
// the caller's API key.
import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  Clock,
  CurrentPrincipal,
  forbiddenTenant,
  mayAccessTenant,
  type Principal,
  ProblemException,
} from '@tokenmeter/telemetry';
import { QueryApiConfig } from '../config';
import { ApiProblems, ApiQueryParams } from '../openapi/api-docs';
import { openApiSchema } from '../openapi/responses';
import { type ParamSpec, parseParams, resolveRange } from '../params/query-params';
import type { TokenSeriesFilter } from '../storage/rollup.reader';
import {
  type EfficiencyResponse,
  EfficiencyResponseSchema,
  type GpuInventoryResponse,
  GpuInventoryResponseSchema,
  type GpuSeriesResponse,
  GpuSeriesResponseSchema,
  STEPS,
  type TokenSeriesResponse,
  TokenSeriesResponseSchema,
  type TokenTotalsResponse,
  TokenTotalsResponseSchema,
} from '@tokenmeter/contracts/query-api';
import { SeriesService, TOKEN_GROUP_FIELDS } from './series.service';
import { planGrid } from './time-grid';

export const RANGE = {
  from: { kind: 'time', description: 'start (inclusive), RFC 3339; default: `to` minus QUERY_DEFAULT_RANGE_HOURS' },
  to: { kind: 'time', description: 'end (exclusive), RFC 3339; default: now' },
} as const satisfies Record<string, ParamSpec>;
export const STEP = {
  step: {
    kind: 'enum',
    values: STEPS,
    description:
      'bucket size, aligned to UTC; default: the finest step giving at most 1,440 points; at most 10,000 points per series',
  },
} as const satisfies Record<string, ParamSpec>;
export const TOKEN_FILTERS = {
  model: { kind: 'string', description: 'only this model' },
  tenant: { kind: 'string', description: 'only this tenant (must be one of the API key’s tenants)' },
  node: { kind: 'string', description: 'only this node' },
  groupBy: {
    kind: 'list',
    values: TOKEN_GROUP_FIELDS,
    description: 'one series/row per distinct value of these fields (comma-separated); default: one over everything',
  },
} as const satisfies Record<string, ParamSpec>;
const GPU_FILTERS = {
  node: { kind: 'string', description: 'only this node' },
  gpuIndex: { kind: 'int', min: 0, max: 1023, description: 'only this GPU index' },
} as const satisfies Record<string, ParamSpec>;

const TOKEN_SERIES_PARAMS = { ...RANGE, ...STEP, ...TOKEN_FILTERS } as const;
const TOKEN_TOTALS_PARAMS = { ...RANGE, ...TOKEN_FILTERS } as const;
const GPU_SERIES_PARAMS = { ...RANGE, ...STEP, ...GPU_FILTERS } as const;
const GPU_INVENTORY_PARAMS = { node: GPU_FILTERS.node } as const;
const EFFICIENCY_PARAMS = {
  ...RANGE,
  ...STEP,
  node: { kind: 'string', description: 'only this node' },
  model: { kind: 'string', description: 'only this model' },
} as const satisfies Record<string, ParamSpec>;

@ApiTags('series')
@ApiBearerAuth()
@Controller('v1')
export class SeriesController {
  constructor(
    private readonly series: SeriesService,
    private readonly config: QueryApiConfig,
    private readonly clock: Clock,
  ) {}

  @Get('tokens/series')
  @ApiOperation({
    summary: 'Token usage over time',
    description:
      'Requests, errors, tokens, output tokens per second and ttft/duration percentiles per bucket, from the rollups. ' +
      'Empty buckets are present with zeros and null percentiles.',
  })
  @ApiQueryParams(TOKEN_SERIES_PARAMS)
  @ApiOkResponse({ schema: openApiSchema(TokenSeriesResponseSchema) })
  @ApiProblems(400, 401, 403, 429)
  async tokenSeries(@Query() query: unknown, @CurrentPrincipal() principal: Principal): Promise<TokenSeriesResponse> {
    const p = parseParams(query, TOKEN_SERIES_PARAMS);
    const grid = planGrid(this.range(p), p.step);
    return this.series.tokenSeries(grid, tokenFilter(p, principal), p.groupBy ?? []);
  }

  @Get('tokens/totals')
  @ApiOperation({
    summary: 'Token usage totals',
    description: 'Sums over the range (aligned outward to whole minutes), one row per group.',
  })
  @ApiQueryParams(TOKEN_TOTALS_PARAMS)
  @ApiOkResponse({ schema: openApiSchema(TokenTotalsResponseSchema) })
  @ApiProblems(400, 401, 403, 429)
  async tokenTotals(@Query() query: unknown, @CurrentPrincipal() principal: Principal): Promise<TokenTotalsResponse> {
    const p = parseParams(query, TOKEN_TOTALS_PARAMS);
    return this.series.tokenTotals(this.range(p), tokenFilter(p, principal), p.groupBy ?? []);
  }

  @Get('gpus/series')
  @ApiOperation({
    summary: 'GPU telemetry over time',
    description:
      'Per GPU: samples, utilization, memory, power (avg/max), temperature (max), energy used. Needs an all-tenant key.',
  })
  @ApiQueryParams(GPU_SERIES_PARAMS)
  @ApiOkResponse({ schema: openApiSchema(GpuSeriesResponseSchema) })
  @ApiProblems(400, 401, 403, 429)
  async gpuSeries(@Query() query: unknown, @CurrentPrincipal() principal: Principal): Promise<GpuSeriesResponse> {
    requireFleetScope(principal);
    const p = parseParams(query, GPU_SERIES_PARAMS);
    const grid = planGrid(this.range(p), p.step);
    return this.series.gpuSeries(grid, {
      ...(p.node === undefined ? {} : { node: p.node }),
      ...(p.gpuIndex === undefined ? {} : { gpuIndex: p.gpuIndex }),
    });
  }

  @Get('gpus')
  @ApiOperation({
    summary: 'GPU inventory',
    description: 'Every GPU seen, with its latest sample. Needs an all-tenant key.',
  })
  @ApiQueryParams(GPU_INVENTORY_PARAMS)
  @ApiOkResponse({ schema: openApiSchema(GpuInventoryResponseSchema) })
  @ApiProblems(400, 401, 403, 429)
  async gpuInventory(@Query() query: unknown, @CurrentPrincipal() principal: Principal): Promise<GpuInventoryResponse> {
    requireFleetScope(principal);
    const p = parseParams(query, GPU_INVENTORY_PARAMS);
    return this.series.gpuInventory(p.node === undefined ? {} : { node: p.node });
  }

  @Get('efficiency')
  @ApiOperation({
    summary: 'Energy and GPU efficiency per node and model',
    description:
      'Tokens per joule and busy GPU-seconds per 1,000 tokens. A node’s energy and busy GPU-seconds in a bucket are ' +
      'attributed to the models it served by their share of its tokens (input + output) in that bucket. Needs an all-tenant key.',
  })
  @ApiQueryParams(EFFICIENCY_PARAMS)
  @ApiOkResponse({ schema: openApiSchema(EfficiencyResponseSchema) })
  @ApiProblems(400, 401, 403, 429)
  async efficiency(@Query() query: unknown, @CurrentPrincipal() principal: Principal): Promise<EfficiencyResponse> {
    requireFleetScope(principal);
    const p = parseParams(query, EFFICIENCY_PARAMS);
    const grid = planGrid(this.range(p), p.step);
    return this.series.efficiency(grid, {
      ...(p.node === undefined ? {} : { node: p.node }),
      ...(p.model === undefined ? {} : { model: p.model }),
    });
  }

  private range(p: { from?: number; to?: number }): { fromMs: number; toMs: number } {
    return resolveRange(p, this.clock.nowMs(), this.config.query.defaultRangeMs);
  }
}

export function tokenFilter(
  p: { tenant?: string; model?: string; node?: string },
  principal: Principal,
): TokenSeriesFilter {
  if (p.tenant !== undefined && !mayAccessTenant(principal, p.tenant)) throw forbiddenTenant(p.tenant);
  return {
    ...(p.tenant === undefined ? {} : { tenant: p.tenant }),
    ...(p.model === undefined ? {} : { model: p.model }),
    ...(p.node === undefined ? {} : { node: p.node }),
    ...(principal.tenants === null ? {} : { tenantIn: [...principal.tenants] }),
  };
}

/** GPUs are shared by tenants: their telemetry (and energy per model) is fleet-wide data. */
function requireFleetScope(principal: Principal): void {
  if (principal.tenants !== null) {
    throw new ProblemException(
      403,
      'GPU and efficiency data cover the whole fleet (GPUs are shared by tenants): they need an API key for all tenants ("*").',
    );
  }
}
