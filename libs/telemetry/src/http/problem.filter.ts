// Maps every error that reaches the HTTP layer to application/problem+json.
// Nest 12's Fastify adapter routes Fastify's own errors (body too large, bad JSON,
// unsupported media type) through the same exception layer, so they land here too.
import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '../errors/domain-error';
import { PROBLEM_CONTENT_TYPE, type ProblemBody, ProblemException, problemTitle } from './problem';
import { PROBLEM_TYPES, problemType } from './problem-types';
import { securityHeadersFor } from './security-headers';

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
  FST_ERR_MAX_PARAM_LENGTH: 'A path segment of the URL is longer than the limit.',
};

/** The problem of `error`; `instance` (the request path) is left out where the path itself is the problem. */
export function toProblem(error: unknown, instance?: string): { body: ProblemBody; headers: Record<string, string> } {
  if (error instanceof DomainError) {
    const { retryAfterSeconds, ...extensions } = error.extras;
    const { status, title } = PROBLEM_TYPES[error.code];
    return {
      body: { type: problemType(error.code), title, status, detail: error.message, ...at(instance), ...extensions },
      headers: retryAfterSeconds === undefined ? {} : { 'retry-after': String(retryAfterSeconds) },
    };
  }
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
    return { body: { type: 'about:blank', title: problemTitle(status), status, detail, ...at(instance) }, headers: {} };
  }
  const e = (error ?? {}) as ErrorWithStatus;
  const status = typeof e.statusCode === 'number' ? e.statusCode : typeof e.status === 'number' ? e.status : 500;
  if (status >= 400 && status < 500) {
    const code = typeof e.code === 'string' ? e.code : '';
    // A JSON syntax error from the body parser: say so without echoing the input.
    const detail =
      FASTIFY_DETAILS[code] ??
      (error instanceof SyntaxError ? 'The request body is not valid JSON.' : problemTitle(status));
    return { body: { type: 'about:blank', title: problemTitle(status), status, detail, ...at(instance) }, headers: {} };
  }
  return {
    body: {
      type: 'about:blank',
      title: problemTitle(500),
      status: 500,
      detail: 'An unexpected error occurred.',
      ...at(instance),
    },
    headers: {},
  };
}

function at(instance: string | undefined): { instance?: string } {
  return instance === undefined ? {} : { instance };
}

/**
 * Fastify's `frameworkErrors`: the errors its router answers before any route or Nest filter runs
 * (a path segment over `maxParamLength` → 414, a malformed URL → 400), as problem+json like every
 * other error, without echoing the URL back. Such a reply skips the app's onSend hooks, so the
 * security headers are set here.
 */
export function answerRouterError(error: unknown, request: FastifyRequest, reply: FastifyReply): void {
  const { body } = toProblem(error);
  void reply
    .status(body.status)
    .headers({ ...securityHeadersFor(request.url ?? ''), 'content-type': PROBLEM_CONTENT_TYPE })
    .send(body);
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
