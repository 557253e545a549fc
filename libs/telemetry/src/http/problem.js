'use strict';
Object.defineProperty(exports, '__esModule', { value: true });
exports.ProblemException = exports.PROBLEM_CONTENT_TYPE = void 0;
exports.problemTitle = problemTitle;
// RFC 9457 problem details: the one error shape of every tokenmeter HTTP API.
const common_1 = require('@nestjs/common');
exports.PROBLEM_CONTENT_TYPE = 'application/problem+json';
const TITLES = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  408: 'Request Timeout',
  409: 'Conflict',
  413: 'Content Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};
function problemTitle(status) {
  return TITLES[status] ?? (status >= 500 ? 'Server Error' : 'Client Error');
}
/** Throw this anywhere in a request to answer with a problem+json body. */
class ProblemException extends common_1.HttpException {
  httpStatus;
  detail;
  extras;
  constructor(httpStatus, detail, extras = {}) {
    super(detail, httpStatus);
    this.httpStatus = httpStatus;
    this.detail = detail;
    this.extras = extras;
  }
  toProblem(instance) {
    const { headers: _headers, type, ...extensions } = this.extras;
    return {
      type: type ?? 'about:blank',
      title: problemTitle(this.httpStatus),
      status: this.httpStatus,
      detail: this.detail,
      ...(instance === undefined ? {} : { instance }),
      ...extensions,
    };
  }
}
exports.ProblemException = ProblemException;
//# sourceMappingURL=problem.js.map
