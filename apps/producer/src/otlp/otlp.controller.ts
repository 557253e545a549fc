/**
 * OTLP/HTTP receiver: `POST /v1/traces` and `POST /v1/metrics`, the paths an OTLP exporter appends
 * to its endpoint, so `OTEL_EXPORTER_OTLP_ENDPOINT=http://producer:3001` just works. Protobuf or
 * JSON, gzip or not; auth and rate limits are the app's global guards, as for the JSON routes.
 */
import { Body, Controller, HttpCode, Post, Req, Res, UseFilters } from '@nestjs/common';
import { CurrentPrincipal, DomainError, type Principal, setRequestTraceparent } from '@tokenmeter/telemetry';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { mediaTypeOf } from '../ingest/ingest-body';
import { traceparentFor } from '../ingest/trace-context';
import { encodeExportResponse, encodingOf, type OtlpEncoding, type OtlpSignal } from './otlp-codec';
import { OtlpExceptionFilter } from './otlp-exception.filter';
import { PROTOBUF_MEDIA_TYPE } from './otlp-http';
import { type OtlpExportResult, OtlpService } from './otlp.service';

@Controller('v1')
@UseFilters(OtlpExceptionFilter)
export class OtlpController {
  constructor(private readonly otlp: OtlpService) {}

  @Post('traces')
  @HttpCode(200)
  exportTraces(
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
    @Body() body: unknown,
    @CurrentPrincipal() principal: Principal,
  ): Promise<Buffer | string> {
    return this.handle('traces', req, reply, body, principal);
  }

  @Post('metrics')
  @HttpCode(200)
  exportMetrics(
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
    @Body() body: unknown,
    @CurrentPrincipal() principal: Principal,
  ): Promise<Buffer | string> {
    return this.handle('metrics', req, reply, body, principal);
  }

  private async handle(
    signal: OtlpSignal,
    req: FastifyRequest,
    reply: FastifyReply,
    body: unknown,
    principal: Principal,
  ): Promise<Buffer | string> {
    const encoding: OtlpEncoding | undefined = encodingOf(mediaTypeOf(req.headers['content-type']));
    if (encoding === undefined || !(Buffer.isBuffer(body) || typeof body === 'string')) {
      throw new DomainError('otlp.unsupported-media-type', `Send ${PROTOBUF_MEDIA_TYPE} or application/json.`);
    }
    const traceparent = traceparentFor(req.headers.traceparent);
    setRequestTraceparent(req.raw, traceparent);
    const result: OtlpExportResult =
      signal === 'traces'
        ? await this.otlp.exportTraces(encoding, body, traceparent, principal)
        : await this.otlp.exportMetrics(encoding, body, traceparent, principal);
    void reply.header('content-type', encoding === 'json' ? 'application/json' : PROTOBUF_MEDIA_TYPE);
    return encodeExportResponse(signal, encoding, result.rejected, result.message);
  }
}
