/** The result shapes every contract validator returns (SPEC §3, §5 rejected[].errors). */

export interface FieldError {
  /** JSONPath of the offending value: `$.inputTokens`, `$.attributes.region`, `$` for the whole value. */
  path: string;
  /** Human-readable; never echoes string contents of the input, which may be sensitive. */
  message: string;
}

export type ValidationResult<T> = { ok: true; value: T } | { ok: false; errors: FieldError[] };

export interface ValidationOptions {
  /** The receiver's clock in epoch ms; defaults to `Date.now()`. */
  nowMs?: number;
  /** Oldest accepted event age in ms, i.e. the raw retention; defaults to 7 days. */
  maxAgeMs?: number;
}

/** Raw events are kept 7 days (SPEC §6), so older events could never be stored. */
export const DEFAULT_MAX_EVENT_AGE_MS = 7 * 24 * 60 * 60 * 1000;
/** Tolerated clock skew between a producer and the receiver (SPEC §3). */
export const MAX_FUTURE_SKEW_MS = 5 * 60 * 1000;

/** One line for logs and the DLQ error-message header: `$.a: msg; $.b: msg`. */
export function formatFieldErrors(errors: readonly FieldError[]): string {
  return errors.map((error) => `${error.path}: ${error.message}`).join('; ');
}
