// Raw event listings and lookup (SPEC §7): time range, filters, keyset pagination.
import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import {
  type GpuSample,
  type TokenUsageEvent,
  TokenUsageEventSchema,
  type TokenUsageInterval,
} from '@tokenmeter/contracts';
import { gpuDocumentToSample, tokenDocumentToEvent, tokenIntervalDocumentToInterval } from '@tokenmeter/storage';
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
import { type ParamSpec, parseParams, resolveRange, invalidParams } from '../params/query-params';
import { RawEventReader } from '../storage/raw-event.reader';
import { decodeCursor, encodeCursor } from './cursor';
import {
  GpuSamplePageSchema,
  type Page,
  TokenEventPageSchema,
  TokenIntervalPageSchema,
} from '@tokenmeter/contracts/query-api';

const EVENT_ID = /^[A-Za-z0-9._:-]{1,128}$/;

const PAGE_PARAMS = {
  from: { kind: 'time', description: 'start (inclusive), RFC 3339; default: `to` minus QUERY_DEFAULT_RANGE_HOURS' },
  to: { kind: 'time', description: 'end (exclusive), RFC 3339; default: now' },
  limit: { kind: 'int', min: 1, max: 1_000, description: 'page size; default QUERY_DEFAULT_LIMIT (100)' },
  cursor: { kind: 'cursor', description: '`nextCursor` of the previous page' },
} as const satisfies Record<string, ParamSpec>;

const TOKEN_PARAMS = {
  ...PAGE_PARAMS,
  model: { kind: 'string', description: 'only this model' },
  tenant: { kind: 'string', description: 'only this tenant (must be one of the API key’s tenants)' },
  node: { kind: 'string', description: 'only this node' },
} as const satisfies Record<string, ParamSpec>;
const GPU_PARAMS = {
  ...PAGE_PARAMS,
  node: { kind: 'string', description: 'only this node' },
  gpuIndex: { kind: 'int', min: 0, max: 1023, description: 'only this GPU index' },
} as const satisfies Record<string, ParamSpec>;

@ApiTags('events')
@ApiBearerAuth()
@Controller('v1/events')
export class EventsController {
  constructor(
    private readonly reader: RawEventReader,
    private readonly config: QueryApiConfig,
    private readonly clock: Clock,
  ) {}

  @Get('tokens')
  @ApiOperation({ summary: 'Raw token usage events', description: 'In (time, eventId) order, keyset-paginated.' })
  @ApiQueryParams(TOKEN_PARAMS)
  @ApiOkResponse({ schema: openApiSchema(TokenEventPageSchema) })
  @ApiProblems(400, 401, 403, 429)
  async listTokens(@Query() query: unknown, @CurrentPrincipal() principal: Principal): Promise<Page<TokenUsageEvent>> {
    const page = this.tokenPageQuery(query, principal);
    const docs = await this.reader.tokenPage({ ...page, limit: page.limit + 1 });
    return this.toPage(docs, page.limit, tokenDocumentToEvent);
  }

  @Get('token-intervals')
  @ApiOperation({
    summary: 'Raw token usage intervals (scraped counters, e.g. vLLM)',
    description:
      'tokens-interval.v1 events in (time, eventId) order, keyset-paginated. Their counts are included in the token ' +
      'series and totals; this lists them as they arrived.',
  })
  @ApiQueryParams(TOKEN_PARAMS)
  @ApiOkResponse({ schema: openApiSchema(TokenIntervalPageSchema) })
  @ApiProblems(400, 401, 403, 429)
  async listTokenIntervals(
    @Query() query: unknown,
    @CurrentPrincipal() principal: Principal,
  ): Promise<Page<TokenUsageInterval>> {
    const page = this.tokenPageQuery(query, principal);
    const docs = await this.reader.tokenIntervalPage({ ...page, limit: page.limit + 1 });
    return this.toPage(docs, page.limit, tokenIntervalDocumentToInterval);
  }

  @Get('gpus')
  @ApiOperation({
    summary: 'Raw GPU samples',
    description: 'In (time, eventId) order, keyset-paginated. A tenant-scoped key sees only samples of its tenants.',
  })
  @ApiQueryParams(GPU_PARAMS)
  @ApiOkResponse({ schema: openApiSchema(GpuSamplePageSchema) })
  @ApiProblems(400, 401, 429)
  async listGpus(@Query() query: unknown, @CurrentPrincipal() principal: Principal): Promise<Page<GpuSample>> {
    const p = parseParams(query, GPU_PARAMS);
    const equals: Record<string, string | number> = {};
    if (p.node !== undefined) equals.node = p.node;
    if (p.gpuIndex !== undefined) equals.gpuIndex = p.gpuIndex;
    // GPU samples carry a tenant only when a GPU is dedicated to one; a tenant-scoped key
    // sees those, and only an all-tenant key sees the shared fleet.
    const page = this.pageQuery(p, equals, principal);
    const docs = await this.reader.gpuPage({ ...page, limit: page.limit + 1 });
    return this.toPage(docs, page.limit, gpuDocumentToSample);
  }

  @Get('tokens/:eventId')
  @ApiOperation({ summary: 'One token usage event by eventId' })
  @ApiParam({ name: 'eventId', schema: { type: 'string', pattern: '^[A-Za-z0-9._:-]{1,128}$' } })
  @ApiOkResponse({ schema: openApiSchema(TokenUsageEventSchema) })
  @ApiProblems(400, 401, 404, 429)
  async getToken(
    @Param('eventId') eventId: string,
    @Query() query: unknown,
    @CurrentPrincipal() principal: Principal,
  ): Promise<TokenUsageEvent> {
    parseParams(query, {});
    if (!EVENT_ID.test(eventId))
      throw invalidParams([{ name: 'eventId', message: 'must be 1-128 chars of A-Z a-z 0-9 . _ : -' }]);
    const doc = await this.reader.tokenById(eventId);
    // Another tenant's event is answered like a missing one: its existence is not revealed.
    if (doc === null || !mayAccessTenant(principal, doc.tenant)) {
      throw new ProblemException(404, `No token usage event with eventId ${eventId}.`);
    }
    return tokenDocumentToEvent(doc);
  }

  /** Requests and intervals are listed alike: same filters, same tenant scope. */
  private tokenPageQuery(query: unknown, principal: Principal) {
    const p = parseParams(query, TOKEN_PARAMS);
    if (p.tenant !== undefined && !mayAccessTenant(principal, p.tenant)) throw forbiddenTenant(p.tenant);
    const equals: Record<string, string> = {};
    if (p.model !== undefined) equals.model = p.model;
    if (p.tenant !== undefined) equals.tenant = p.tenant;
    if (p.node !== undefined) equals.node = p.node;
    return this.pageQuery(p, equals, p.tenant === undefined ? principal : undefined);
  }

  private pageQuery(
    p: { from?: number; to?: number; limit?: number; cursor?: string },
    equals: Record<string, string | number>,
    scope?: Principal,
  ) {
    const { fromMs, toMs } = resolveRange(p, this.clock.nowMs(), this.config.query.defaultRangeMs);
    return {
      fromMs,
      toMs,
      equals,
      limit: p.limit ?? this.config.query.defaultLimit,
      ...(scope?.tenants == null ? {} : { tenantIn: [...scope.tenants] }),
      ...(p.cursor === undefined ? {} : { after: decodeCursor(p.cursor) }),
    };
  }

  private toPage<D extends { _id: string; time: Date }, T>(docs: D[], limit: number, map: (d: D) => T): Page<T> {
    const items = docs.slice(0, limit);
    const last = items[items.length - 1];
    const nextCursor =
      docs.length > limit && last !== undefined ? encodeCursor({ timeMs: last.time.getTime(), id: last._id }) : null;
    return { items: items.map(map), nextCursor };
  }
}
