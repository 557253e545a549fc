// Turns one Kafka message into a validated event, or into the reason it goes to the DLQ.
import {
  type EventBySchemaName,
  type EventTopicKind,
  formatFieldErrors,
  HEADERS,
  isValidTraceparent,
  type SchemaName,
  schemasOnTopic,
  validateEvent,
} from '@tokenmeter/contracts';

/** The topic a consumer reads (the contracts' routing table says what each carries). */
export type EventKind = EventTopicKind;

/** The error classes written to the DLQ's error-class header. */
export enum DeadLetterReason {
  Tombstone = 'tokenmeter.TombstoneMessage',
  Oversized = 'tokenmeter.OversizedMessage',
  NotJson = 'tokenmeter.MalformedJson',
  UnknownSchema = 'tokenmeter.UnknownSchema',
  Invalid = 'tokenmeter.ContractViolation',
}

/** A validated event together with its contract, so callers can narrow on `schema`. */
export type DecodedEvent = { [N in SchemaName]: { schema: N; event: EventBySchemaName[N] } }[SchemaName];

export interface RawMessage {
  value: Buffer | null;
  headers?: Record<string, Buffer | string | (Buffer | string)[] | undefined>;
}

export type Decoded =
  | (DecodedEvent & { ok: true; ingestedAt?: Date; traceparent?: string })
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

/** The message's W3C traceparent header, when it has a valid one (logs never carry anything else). */
export function traceparentHeader(headers: RawMessage['headers']): string | undefined {
  const value = headerString(headers, HEADERS.traceparent);
  return value !== undefined && isValidTraceparent(value) ? value : undefined;
}

export function decodeMessage(kind: EventKind, message: RawMessage, opts: DecodeOptions): Decoded {
  if (message.value === null) return { ok: false, reason: DeadLetterReason.Tombstone, message: 'message has no value' };
  if (message.value.length > opts.maxMessageBytes) {
    return {
      ok: false,
      reason: DeadLetterReason.Oversized,
      message: `message is ${message.value.length} bytes, over the ${opts.maxMessageBytes} byte limit`,
    };
  }
  // Producers in other languages may omit the header; then the topic decides the schema.
  const accepted = schemasOnTopic(kind);
  const header = headerString(message.headers, HEADERS.schema);
  const schema = accepted.find((name) => name === (header ?? accepted[0]));
  if (schema === undefined) {
    return {
      ok: false,
      reason: DeadLetterReason.UnknownSchema,
      message: `schema header "${(header ?? '').slice(0, 64)}" is not one of ${accepted.join(', ')}`,
    };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(message.value.toString('utf8'));
  } catch {
    return { ok: false, reason: DeadLetterReason.NotJson, message: 'message value is not valid JSON' };
  }
  const options = { nowMs: opts.nowMs, maxAgeMs: opts.maxAgeMs };
  const result = validateEvent(schema, parsed, options);
  if (!result.ok) return { ok: false, reason: DeadLetterReason.Invalid, message: formatFieldErrors(result.errors) };
  const ingestedAtHeader = headerString(message.headers, HEADERS.ingestedAt);
  const ingestedAtMs = ingestedAtHeader === undefined ? Number.NaN : Date.parse(ingestedAtHeader);
  const traceparent = traceparentHeader(message.headers);
  return {
    ok: true,
    // validateEvent(schema) returns that schema's event type; TypeScript cannot correlate the two.
    ...({ schema, event: result.value } as DecodedEvent),
    ...(Number.isFinite(ingestedAtMs) ? { ingestedAt: new Date(ingestedAtMs) } : {}),
    ...(traceparent === undefined ? {} : { traceparent }),
  };
}
