// Maps every error that reaches the HTTP layer to application/problem+json.
// Nest 12's Fastify adapter routes Fastify's own errors (body too large, bad JSON,
// unsupported media type) through the same exception layer, so they land here too.
import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { PROBLEM_CONTENT_TYPE, type ProblemBody, ProblemException, problemTitle } from './problem';

interface ErrorWithStatus {
  statusCode?: unknown;
  status?: unknown;
  code?: unknown;
  message?: unknown;
}

/** Messages of Fastify's own client errors, safe to show (they never echo input). */
const FASTIFY_DETAILS: Record<string, string> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'The request body is larger than the limit.',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'Unsupported Content-Type.',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'The request body is empty.',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'The Content-Length header does not match the body.',
  FST_ERR_CTP_EMPTY_TYPE: 'The Content-Type header is empty.',
  FST_ERR_CTP_INVALID_TYPE: 'The Content-Type header is invalid.',
  FST_ERR_BAD_URL: 'The URL is malformed.',
};

export function toProblem(error: unknown, instance: string): { body: ProblemBody; headers: Record<string, string> } {
  if (error instanceof ProblemException) {
    return { body: error.toProblem(instance), headers: error.extras.headers ?? {} };
  }
  if (error instanceof HttpException) {
    const status = error.getStatus();
    const response = error.getResponse();
    const detail =
      typeof response === 'string'
        ? response
        : typeof (response as { message?: unknown }).message === 'string'
          ? (response as { message: string }).message
          : problemTitle(status);
    return { body: { type: 'about:blank', title: problemTitle(status), status, detail, instance }, headers: {} };
  }
  const e = (error ?? {}) as ErrorWithStatus;
  const status = typeof e.statusCode === 'number' ? e.statusCode : typeof e.status === 'number' ? e.status : 500;
  if (status >= 400 && status < 500) {
    const code = typeof e.code === 'string' ? e.code : '';
    // A JSON syntax error from the body parser: say so without echoing the input.
    const detail =
      FASTIFY_DETAILS[code] ??
      (error instanceof SyntaxError ? 'The request body is not valid JSON.' : problemTitle(status));
    return { body: { type: 'about:blank', title: problemTitle(status), status, detail, instance }, headers: {} };
  }
  return {
    body: {
      type: 'about:blank',
      title: problemTitle(500),
      status: 500,
      detail: 'An unexpected error occurred.',
      instance,
    },
    headers: {},
  };
}

@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('ProblemDetailsFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    const request = http.getRequest<FastifyRequest>();
    const instance = (request.url ?? '').split('?')[0] ?? '';
    const { body, headers } = toProblem(exception, instance);
    if (body.status >= 500) {
      this.logger.error({ err: exception, path: instance }, 'request failed');
    }
    void reply
      .status(body.status)
      .headers({ ...headers, 'content-type': PROBLEM_CONTENT_TYPE })
      .send(body);
  }
}
