import { Body, Controller, HttpCode, Post, Req, Res } from '@nestjs/common';
import { CurrentPrincipal, type Principal, setRequestTraceparent } from '@tokenmeter/telemetry';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ProducerConfig } from '../config';
import { parseIngestBody, ParsedNdjson } from './ingest-body';
import { type EventKind, type IngestResult, IngestService } from './ingest.service';
import { traceparentFor } from './trace-context';

@Controller('v1')
export class IngestController {
  constructor(
    private readonly ingestService: IngestService,
    private readonly config: ProducerConfig,
  ) {}

  @Post('tokens')
  @HttpCode(202)
  ingestTokens(
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
    @Body() body: unknown,
    @CurrentPrincipal() principal: Principal,
  ): Promise<IngestResult> {
    return this.ingest('tokens', req, reply, body, principal);
  }

  /** Interval aggregates (tokens-interval.v1) from producers that scrape counters themselves. */
  @Post('tokens/intervals')
  @HttpCode(202)
  ingestTokenIntervals(
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
    @Body() body: unknown,
    @CurrentPrincipal() principal: Principal,
  ): Promise<IngestResult> {
    return this.ingest('tokenIntervals', req, reply, body, principal);
  }

  @Post('gpus')
  @HttpCode(202)
  ingestGpus(
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
    @Body() body: unknown,
    @CurrentPrincipal() principal: Principal,
  ): Promise<IngestResult> {
    return this.ingest('gpu', req, reply, body, principal);
  }

  private ingest(
    kind: EventKind,
    req: FastifyRequest,
    reply: FastifyReply,
    body: unknown,
    principal: Principal,
  ): Promise<IngestResult> {
    const traceparent = traceparentFor(req.headers.traceparent);
    void reply.header('traceparent', traceparent);
    setRequestTraceparent(req.raw, traceparent);
    // main.ts's content-type parsers hand over NDJSON already parsed (streamed) and JSON as text.
    const items =
      body instanceof ParsedNdjson
        ? body.items
        : parseIngestBody(
            req.headers['content-type'],
            typeof body === 'string' ? body : '',
            this.config.ingest.maxEventsPerRequest,
          );
    return this.ingestService.ingest(kind, items, traceparent, principal);
  }
}
