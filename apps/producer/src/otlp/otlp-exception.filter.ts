/**
 * Errors of the OTLP routes as OTLP asks (OTLP/HTTP "Failures"): the HTTP status of the shared
 * problem mapping (so 400, 401/403, 413, 415, 429 and 503 mean what they mean on the JSON routes,
 * Retry-After included), with a google.rpc.Status body in the request's encoding instead of
 * problem+json, since exporters decode that.
 */
import { type ArgumentsHost, Catch, type ExceptionFilter, Logger } from '@nestjs/common';
import { toProblem } from '@tokenmeter/telemetry';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { mediaTypeOf } from '../ingest/ingest-body';
import { encodeStatus, encodingOf } from './otlp-codec';
import { PROTOBUF_MEDIA_TYPE } from './otlp-http';

@Catch()
export class OtlpExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger(OtlpExceptionFilter.name);

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    const request = http.getRequest<FastifyRequest>();
    const instance = (request.url ?? '').split('?')[0] ?? '';
    const { body, headers } = toProblem(exception, instance);
    if (body.status >= 500) this.logger.error({ err: exception, path: instance }, 'OTLP export failed');
    const encoding = encodingOf(mediaTypeOf(request.headers['content-type'])) ?? 'json';
    void reply
      .status(body.status)
      .headers({ ...headers, 'content-type': encoding === 'json' ? 'application/json' : PROTOBUF_MEDIA_TYPE })
      .send(encodeStatus(encoding, body.status, body.detail ?? body.title));
  }
}
