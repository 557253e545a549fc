'use strict';
var __decorate =
  (this && this.__decorate) ||
  function (decorators, target, key, desc) {
    var c = arguments.length,
      r = c < 3 ? target : desc === null ? (desc = Object.getOwnPropertyDescriptor(target, key)) : desc,
      d;
    if (typeof Reflect === 'object' && typeof Reflect.decorate === 'function')
      r = Reflect.decorate(decorators, target, key, desc);
    else
      for (var i = decorators.length - 1; i >= 0; i--)
        if ((d = decorators[i])) r = (c < 3 ? d(r) : c > 3 ? d(target, key, r) : d(target, key)) || r;
    return (c > 3 && r && Object.defineProperty(target, key, r), r);
  };
Object.defineProperty(exports, '__esModule', { value: true });
exports.ProblemDetailsFilter = void 0;
exports.toProblem = toProblem;
// Maps every error that reaches the HTTP layer to application/problem+json.
// Nest 12's Fastify adapter routes Fastify's own errors (body too large, bad JSON,
// unsupported media type) through the same exception layer, so they land here too.
const common_1 = require('@nestjs/common');
const problem_1 = require('./problem');
/** Messages of Fastify's own client errors, safe to show (they never echo input). */
const FASTIFY_DETAILS = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'The request body is larger than the limit.',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'Unsupported Content-Type.',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'The request body is empty.',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'The Content-Length header does not match the body.',
  FST_ERR_CTP_EMPTY_TYPE: 'The Content-Type header is empty.',
  FST_ERR_CTP_INVALID_TYPE: 'The Content-Type header is invalid.',
  FST_ERR_BAD_URL: 'The URL is malformed.',
};
function toProblem(error, instance) {
  if (error instanceof problem_1.ProblemException) {
    return { body: error.toProblem(instance), headers: error.extras.headers ?? {} };
  }
  if (error instanceof common_1.HttpException) {
    const status = error.getStatus();
    const response = error.getResponse();
    const detail =
      typeof response === 'string'
        ? response
        : typeof response.message === 'string'
          ? response.message
          : (0, problem_1.problemTitle)(status);
    return {
      body: { type: 'about:blank', title: (0, problem_1.problemTitle)(status), status, detail, instance },
      headers: {},
    };
  }
  const e = error ?? {};
  const status = typeof e.statusCode === 'number' ? e.statusCode : typeof e.status === 'number' ? e.status : 500;
  if (status >= 400 && status < 500) {
    const code = typeof e.code === 'string' ? e.code : '';
    // A JSON syntax error from the body parser: say so without echoing the input.
    const detail =
      FASTIFY_DETAILS[code] ??
      (error instanceof SyntaxError ? 'The request body is not valid JSON.' : (0, problem_1.problemTitle)(status));
    return {
      body: { type: 'about:blank', title: (0, problem_1.problemTitle)(status), status, detail, instance },
      headers: {},
    };
  }
  return {
    body: {
      type: 'about:blank',
      title: (0, problem_1.problemTitle)(500),
      status: 500,
      detail: 'An unexpected error occurred.',
      instance,
    },
    headers: {},
  };
}
let ProblemDetailsFilter = class ProblemDetailsFilter {
  logger = new common_1.Logger('ProblemDetailsFilter');
  catch(exception, host) {
    const http = host.switchToHttp();
    const reply = http.getResponse();
    const request = http.getRequest();
    const instance = (request.url ?? '').split('?')[0] ?? '';
    const { body, headers } = toProblem(exception, instance);
    if (body.status >= 500) {
      this.logger.error({ err: exception, path: instance }, 'request failed');
    }
    void reply
      .status(body.status)
      .headers({ ...headers, 'content-type': problem_1.PROBLEM_CONTENT_TYPE })
      .send(body);
  }
};
exports.ProblemDetailsFilter = ProblemDetailsFilter;
exports.ProblemDetailsFilter = ProblemDetailsFilter = __decorate([(0, common_1.Catch)()], ProblemDetailsFilter);
//# sourceMappingURL=problem.filter.js.map
