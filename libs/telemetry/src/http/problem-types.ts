// The one table from domain error codes to HTTP: each code's status and its problem `type` and
// `title` (RFC 9457). README "Errors" lists the same codes for clients; a test keeps the two equal.
// A code is added here first, then thrown as a DomainError; the HTTP filter needs no other change.

export const PROBLEM_TYPE_PREFIX = 'urn:tokenmeter:problem:';

export const PROBLEM_TYPES = {
  'ingest.no-events': { status: 400, title: 'No events in the request' },
  'ingest.malformed-body': { status: 400, title: 'The request body is not JSON events' },
  'ingest.no-valid-events': { status: 400, title: 'No event of the request is valid' },
  'ingest.too-many-events': { status: 413, title: 'Too many events in one request' },
  'ingest.body-too-large': { status: 413, title: 'Request body over the limit' },
  'ingest.fleet-key-required': { status: 403, title: 'GPU telemetry needs an all-tenant key' },
  'ingest.kafka-unavailable': { status: 503, title: 'Kafka cannot take events now' },
  'otlp.unsupported-media-type': { status: 415, title: 'Not an OTLP media type' },
  'otlp.unsupported-encoding': { status: 415, title: 'Unsupported Content-Encoding' },
  'otlp.too-many-items': { status: 413, title: 'Too many spans or data points in one export' },
  'otlp.malformed': { status: 400, title: 'Not an OTLP export request' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof PROBLEM_TYPES;

export const ERROR_CODES = Object.keys(PROBLEM_TYPES) as ErrorCode[];

/** The problem `type` URI of a code, e.g. `urn:tokenmeter:problem:ingest.kafka-unavailable`. */
export function problemType(code: ErrorCode): string {
  return `${PROBLEM_TYPE_PREFIX}${code}`;
}
