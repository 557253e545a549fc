// RFC 9457 problem details: the one error shape of every tokenmeter HTTP API.
import { HttpException } from '@nestjs/common';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** One invalid input: `name` for a query/path parameter, `path` for a body field. */
export interface ProblemFieldError {
  name?: string;
  path?: string;
  message: string;
}

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  errors?: ProblemFieldError[];
  [extension: string]: unknown;
}

const TITLES: Record<number, string> = {
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

export function problemTitle(status: number): string {
  return TITLES[status] ?? (status >= 500 ? 'Server Error' : 'Client Error');
}

/** Throw this anywhere in a request to answer with a problem+json body. */
export class ProblemException extends HttpException {
  constructor(
    readonly httpStatus: number,
    readonly detail: string,
    readonly extras: { errors?: ProblemFieldError[]; headers?: Record<string, string>; type?: string } & Record<
      string,
      unknown
    > = {},
  ) {
    super(detail, httpStatus);
  }

  toProblem(instance?: string): ProblemBody {
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
