// Errors of the domain, named by a code rather than an HTTP status: services say what went wrong
// (`ingest.kafka-unavailable`), and the HTTP layer decides what that means on the wire, in one
// table (http/problem-types.ts). Callers that are not HTTP — the built-in sources, the OTLP
// receiver — switch on the code.
import type { ProblemFieldError } from '../http/problem';
import type { ErrorCode } from '../http/problem-types';

export interface DomainErrorExtras {
  /** Each invalid input, for the problem's `errors` member. */
  errors?: ProblemFieldError[];
  /** When a retry may succeed (becomes Retry-After). */
  retryAfterSeconds?: number;
  /** Other problem extension members (e.g. `rejected`). */
  [extension: string]: unknown;
}

export class DomainError extends Error {
  override readonly name = 'DomainError';

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly extras: DomainErrorExtras = {},
  ) {
    super(message);
  }
}

/** Whether `error` is a DomainError with one of `codes`. */
export function isDomainError(error: unknown, ...codes: ErrorCode[]): error is DomainError {
  return error instanceof DomainError && (codes.length === 0 || codes.includes(error.code));
}
