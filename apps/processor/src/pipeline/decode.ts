// Turns one Kafka message into a validated event, or into the reason it goes to the DLQ.
import {
  formatFieldErrors,
  type GpuSample,
  HEADERS,
  type SchemaName,
  type TokenUsageEvent,
  validateGpuSample,
  validateTokenUsageEvent,
} from '@tokenmeter/contracts';

export type EventKind = 'tokens' | 'gpu';

/** The error classes written to the DLQ's error-class header. */
export enum DeadLetterReason {
  Tombstone = 'tokenmeter.TombstoneMessage',
  Oversized = 'tokenmeter.OversizedMessage',
  NotJson = 'tokenmeter.MalformedJson',
  UnknownSchema = 'tokenmeter.UnknownSchema',
  Invalid = 'tokenmeter.ContractViolation',
}

export const EXPECTED_SCHEMA: Record<EventKind, SchemaName> = { tokens: 'tokens.v1', gpu: 'gpu.v1' };

export interface RawMessage {
  value: Buffer | null;
  headers?: Record<string, Buffer | string | (Buffer | string)[] | undefined>;
}

export type Decoded<K extends EventKind> =
  | { ok: true; event: K extends 'tokens' ? TokenUsageEvent : GpuSample; ingestedAt?: Date; traceparent?: string }
  | { ok: false; reason: DeadLetterReason; message: string };

export interface DecodeOptions {
  nowMs: number;
  maxAgeMs: number;
  maxMessageBytes: number;
}

export function headerString(headers: RawMessage['headers'], name: string): string | undefined {
  const raw = headers?.[name];
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (value === undefined) return undefined;
  return typeof value === 'string' ? value : value.toString('utf8');
}

export function decodeMessage<K extends EventKind>(kind: K, message: RawMessage, opts: DecodeOptions): Decoded<K> {
  if (message.value === null) return { ok: false, reason: DeadLetterReason.Tombstone, message: 'message has no value' };
  if (message.value.length > opts.maxMessageBytes) {
    return {
      ok: false,
      reason: DeadLetterReason.Oversized,
      message: `message is ${message.value.length} bytes, over the ${opts.maxMessageBytes} byte limit`,
    };
  }
  // Producers in other languages may omit the header; then the topic decides the schema.
  const schema = headerString(message.headers, HEADERS.schema) ?? EXPECTED_SCHEMA[kind];
  if (schema !== EXPECTED_SCHEMA[kind]) {
    return {
      ok: false,
      reason: DeadLetterReason.UnknownSchema,
      message: `schema header "${schema.slice(0, 64)}" is not ${EXPECTED_SCHEMA[kind]}`,
    };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(message.value.toString('utf8'));
  } catch {
    return { ok: false, reason: DeadLetterReason.NotJson, message: 'message value is not valid JSON' };
  }
  const options = { nowMs: opts.nowMs, maxAgeMs: opts.maxAgeMs };
  const result = kind === 'tokens' ? validateTokenUsageEvent(parsed, options) : validateGpuSample(parsed, options);
  if (!result.ok) return { ok: false, reason: DeadLetterReason.Invalid, message: formatFieldErrors(result.errors) };
  const ingestedAtHeader = headerString(message.headers, HEADERS.ingestedAt);
  const ingestedAtMs = ingestedAtHeader === undefined ? Number.NaN : Date.parse(ingestedAtHeader);
  return {
    ok: true,
    event: result.value as K extends 'tokens' ? TokenUsageEvent : GpuSample,
    ...(Number.isFinite(ingestedAtMs) ? { ingestedAt: new Date(ingestedAtMs) } : {}),
    ...(headerString(message.headers, HEADERS.traceparent) === undefined
      ? {}
      : { traceparent: headerString(message.headers, HEADERS.traceparent) }),
  };
}
