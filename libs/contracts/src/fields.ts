/**
 * Field-level building blocks shared by the v1 contracts (SPEC §3). Every rule that JSON Schema
 * can express lives in these TypeBox schemas, so the TypeScript types, the compiled runtime
 * check and the published JSON Schema files are all read from the same definition.
 */
import { Type } from '@sinclair/typebox';
import type { SchemaOptions, TInteger, TNumber, TString } from '@sinclair/typebox';

/** Longest value a free-text string field may hold, in UTF-16 code units (see README). */
export const MAX_STRING_LENGTH = 256;
export const MAX_EVENT_ID_LENGTH = 128;
export const MAX_TOKEN_COUNT = 1_000_000_000;
/** 24 hours: no single inference request or phase of one is expected to run longer. */
export const MAX_DURATION_MS = 86_400_000;
export const MAX_ATTRIBUTES = 16;
export const MAX_GPU_INDEX = 1023;

// The patterns below are also published in the JSON Schema files for producers written in other
// languages, so they use the most portable regex syntax: `[0-9]` rather than `\d` (Python and
// .NET match non-ASCII digits with `\d`) and `\xNN` rather than `\uNNNN` (Go's RE2 rejects `\u`).
// Length limits are separate keywords (minLength/maxLength) so that each violation yields exactly
// one error message instead of a length error plus a pattern error.

/** No C0 or C1 control characters (U+0000–U+001F, U+007F–U+009F). */
export const NO_CONTROL_CHARS_PATTERN = '^[^\\x00-\\x1F\\x7F-\\x9F]*$';
export const EVENT_ID_PATTERN = '^[A-Za-z0-9._:-]*$';
export const ATTRIBUTE_KEY_PATTERN = '^[a-z0-9_]{1,64}$';
/**
 * RFC 3339 `date-time` (section 5.6) with a mandatory offset. The capture groups are read by
 * `parseRfc3339` in time.ts; keep them in sync. Lower-case `t`/`z` are allowed by RFC 3339.
 */
export const RFC3339_PATTERN =
  '^([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt]([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\\.([0-9]+))?(?:[Zz]|([+-])([0-9]{2}):([0-9]{2}))$';

const PATTERN_MESSAGES: ReadonlyMap<string, string> = new Map([
  [NO_CONTROL_CHARS_PATTERN, 'must not contain control characters (U+0000-U+001F, U+007F-U+009F)'],
  [EVENT_ID_PATTERN, 'may only contain the characters A-Z a-z 0-9 . _ : -'],
  [
    RFC3339_PATTERN,
    'must be an RFC 3339 date-time with an offset, e.g. 2026-01-31T12:00:00Z or 2026-01-31T14:00:00.250+02:00',
  ],
  [ATTRIBUTE_KEY_PATTERN, 'attribute keys must be 1-64 characters of a-z 0-9 _'],
]);

/** The human message for a failed `pattern` keyword; every pattern above has one. */
export function patternMessage(pattern: string): string {
  return PATTERN_MESSAGES.get(pattern) ?? `must match the pattern ${pattern}`;
}

/** A free-text string: non-empty, at most 256 characters, no control characters. */
export function textField(description: string, options: SchemaOptions = {}): TString {
  return Type.String({
    description,
    minLength: 1,
    maxLength: MAX_STRING_LENGTH,
    pattern: NO_CONTROL_CHARS_PATTERN,
    ...options,
  });
}

export function eventIdField(): TString {
  return Type.String({
    description:
      'Idempotency key of the event, end to end: a UUID for pushed events, a deterministic hash for scraped ones. ' +
      '1-128 characters of A-Z a-z 0-9 . _ : -',
    minLength: 1,
    maxLength: MAX_EVENT_ID_LENGTH,
    pattern: EVENT_ID_PATTERN,
  });
}

export function timeField(description: string): TString {
  return Type.String({
    description:
      `${description} RFC 3339 date-time with an offset (Z or +hh:mm/-hh:mm); validators normalise it to UTC with ` +
      'millisecond precision. Not expressible here: it must be a real calendar date, at most 5 minutes in the future ' +
      'and no older than the raw retention (7 days by default).',
    // No minLength: the pattern already rejects "", and one error per problem reads better.
    maxLength: MAX_STRING_LENGTH,
    pattern: RFC3339_PATTERN,
  });
}

/** A token count: an integer from 0 to 1,000,000,000. */
export function tokenCountField(description: string): TInteger {
  return Type.Integer({ description, minimum: 0, maximum: MAX_TOKEN_COUNT });
}

/** A duration in milliseconds: a finite number from 0 to 86,400,000 (24 h). */
export function durationMsField(description: string): TNumber {
  return Type.Number({ description, minimum: 0, maximum: MAX_DURATION_MS });
}

/** A finite number within physical bounds (TypeBox's compiled check rejects NaN and ±Infinity). */
export function boundedNumberField(description: string, minimum: number, maximum?: number): TNumber {
  return Type.Number(maximum === undefined ? { description, minimum } : { description, minimum, maximum });
}

export function gpuIndexField(description: string): TInteger {
  return Type.Integer({ description, minimum: 0, maximum: MAX_GPU_INDEX });
}
