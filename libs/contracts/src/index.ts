/**
 * @tokenmeter/contracts: the typed event contracts, Kafka topics, keys and headers (SPEC §3, §4).
 * Test factories and fast-check arbitraries live in `@tokenmeter/contracts/testing`.
 */
export type { FieldError, ValidationOptions, ValidationResult } from './validation-result';
export { DEFAULT_MAX_EVENT_AGE_MS, MAX_FUTURE_SKEW_MS, formatFieldErrors } from './validation-result';

export {
  ATTRIBUTE_KEY_PATTERN,
  EVENT_ID_PATTERN,
  MAX_ATTRIBUTES,
  MAX_DURATION_MS,
  MAX_EVENT_ID_LENGTH,
  MAX_GPU_INDEX,
  MAX_STRING_LENGTH,
  MAX_TOKEN_COUNT,
  RFC3339_PATTERN,
} from './fields';

export type { TokenUsageEvent, TokenUsageEventInput } from './token-usage-event';
export { DEFAULT_TENANT, TokenUsageEventSchema, validateTokenUsageEvent } from './token-usage-event';

export type { LatencyHistogram, TokenUsageInterval, TokenUsageIntervalInput } from './token-usage-interval';
export { MAX_HISTOGRAM_BUCKETS, TokenUsageIntervalSchema, validateTokenUsageInterval } from './token-usage-interval';

export type { GpuSample } from './gpu-sample';
export { GpuSampleSchema, MAX_GPU_MEMORY_MIB, validateGpuSample } from './gpu-sample';

export type { EventBySchemaName, SchemaName } from './event-schemas';
export { EVENT_SCHEMAS, SCHEMA_NAMES, isSchemaName, validateEvent } from './event-schemas';

export type { EventRoute, EventTopicKind, TopicKind } from './kafka';
export {
  CONTENT_TYPE_JSON,
  DEFAULT_TOPICS,
  DLQ_HEADERS,
  EVENT_ROUTES,
  EVENT_TOPIC_KINDS,
  HEADERS,
  gpuSeriesKey,
  isValidTraceparent,
  messageKey,
  schemasOnTopic,
  tokenSeriesKey,
} from './kafka';

export { JSON_SCHEMA_DIALECT, jsonSchemaFileName, jsonSchemaId, toJsonSchemaDocument } from './json-schema';
