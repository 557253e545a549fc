/**
 * The registry of v1 contracts by schema name, the value of the Kafka `schema` header (SPEC §4).
 * A consumer reads the header, checks it with `isSchemaName`, then calls `validateEvent`.
 */
import type { TObject } from '@sinclair/typebox';

import { GpuSampleSchema, validateGpuSample } from './gpu-sample';
import type { GpuSample } from './gpu-sample';
import { ROOT_PATH } from './json-path';
import { TokenUsageEventSchema, validateTokenUsageEvent } from './token-usage-event';
import type { TokenUsageEvent } from './token-usage-event';
import { TokenUsageIntervalSchema, validateTokenUsageInterval } from './token-usage-interval';
import type { TokenUsageInterval } from './token-usage-interval';
import type { ValidationOptions, ValidationResult } from './validation-result';

export type SchemaName = 'tokens.v1' | 'gpu.v1' | 'tokens-interval.v1';

export const SCHEMA_NAMES: readonly SchemaName[] = Object.freeze([
  'tokens.v1',
  'gpu.v1',
  'tokens-interval.v1',
] as const);

export interface EventBySchemaName {
  'tokens.v1': TokenUsageEvent;
  'gpu.v1': GpuSample;
  'tokens-interval.v1': TokenUsageInterval;
}

export const EVENT_SCHEMAS: Readonly<Record<SchemaName, TObject>> = Object.freeze({
  'tokens.v1': TokenUsageEventSchema,
  'gpu.v1': GpuSampleSchema,
  'tokens-interval.v1': TokenUsageIntervalSchema,
});

export function isSchemaName(value: unknown): value is SchemaName {
  return value === 'tokens.v1' || value === 'gpu.v1' || value === 'tokens-interval.v1';
}

/**
 * Validates `input` against the named contract. An unknown name (e.g. a bad Kafka header reaching
 * here unchecked) yields an error result rather than a throw, so one bad message cannot stall a
 * consumer loop.
 */
export function validateEvent<N extends SchemaName>(
  schema: N,
  input: unknown,
  opts?: ValidationOptions,
): ValidationResult<EventBySchemaName[N]>;
export function validateEvent(
  schema: SchemaName,
  input: unknown,
  opts?: ValidationOptions,
): ValidationResult<TokenUsageEvent | GpuSample | TokenUsageInterval> {
  switch (schema) {
    case 'tokens.v1':
      return validateTokenUsageEvent(input, opts);
    case 'gpu.v1':
      return validateGpuSample(input, opts);
    case 'tokens-interval.v1':
      return validateTokenUsageInterval(input, opts);
    default: {
      const unknownName: never = schema;
      return { ok: false, errors: [{ path: ROOT_PATH, message: `unknown schema ${JSON.stringify(unknownName)}` }] };
    }
  }
}
