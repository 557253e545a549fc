import { Body, Controller, HttpCode, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ProducerConfig } from '../config';
import { parseIngestBody } from './ingest-body';
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
  ): Promise<IngestResult> {
    return this.ingest('tokens', req, reply, body);
  }

  @Post('gpus')
  @HttpCode(202)
  ingestGpus(
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
    @Body() body: unknown,
  ): Promise<IngestResult> {
    return this.ingest('gpu', req, reply, body);
  }

  private ingest(kind: EventKind, req: FastifyRequest, reply: FastifyReply, body: unknown): Promise<IngestResult> {
    const traceparent = traceparentFor(req.headers.traceparent);
    void reply.header('traceparent', traceparent);
    // The content-type parsers of main.ts hand over the body as text.
    const text = typeof body === 'string' ? body : '';
    const items = parseIngestBody(req.headers['content-type'], text, this.config.ingest.maxEventsPerRequest);
    return this.ingestService.ingest(kind, items, traceparent);
  }
}
