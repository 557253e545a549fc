/** Kafka topics, message keys and headers shared by the producer and the processor (SPEC §4). */
import type { GpuSample } from './gpu-sample';
import type { EventBySchemaName, SchemaName } from './event-schemas';
import type { TokenUsageEvent } from './token-usage-event';

/** Defaults only: the apps read the actual topic names from their config. */
export const DEFAULT_TOPICS = {
  tokens: 'telemetry.tokens.v1',
  gpu: 'telemetry.gpu.v1',
  dlq: 'telemetry.dlq.v1',
} as const;

export type TopicKind = keyof typeof DEFAULT_TOPICS;
export type EventTopicKind = Exclude<TopicKind, 'dlq'>;

/** The topics that carry events (every topic but the DLQ). */
export const EVENT_TOPIC_KINDS: readonly EventTopicKind[] = (Object.keys(DEFAULT_TOPICS) as TopicKind[]).filter(
  (kind): kind is EventTopicKind => kind !== 'dlq',
);

/**
 * Message key for tokens.v1: one rollup series always lands on one partition, so each rollup
 * document has a single writer (SPEC §4). The key routes messages only; it is not parseable back
 * into fields, because the fields themselves may contain "|".
 */
export function tokenSeriesKey(event: Pick<TokenUsageEvent, 'tenant' | 'model' | 'node'>): string {
  return `${event.tenant}|${event.model}|${event.node}`;
}

/** Message key for gpu.v1; see tokenSeriesKey. */
export function gpuSeriesKey(sample: Pick<GpuSample, 'node' | 'gpuIndex'>): string {
  return `${sample.node}|${sample.gpuIndex}`;
}

/** Where one contract travels: its topic and the message key that keeps a series on one partition. */
export interface EventRoute<N extends SchemaName> {
  topic: EventTopicKind;
  key: (event: EventBySchemaName[N]) => string;
}

/**
 * The one routing table of the producer (where to publish, with which key) and the processor
 * (what a topic may carry). Order matters: the first contract of a topic is assumed for a message
 * without a schema header (a producer in another language may leave it out). tokens-interval.v1
 * shares tokens.v1's topic and key, so a series' requests and intervals meet on one partition and
 * its rollups keep a single writer.
 */
export const EVENT_ROUTES: { readonly [N in SchemaName]: EventRoute<N> } = {
  'tokens.v1': { topic: 'tokens', key: tokenSeriesKey },
  'tokens-interval.v1': { topic: 'tokens', key: tokenSeriesKey },
  'gpu.v1': { topic: 'gpu', key: gpuSeriesKey },
};

/** The contracts a topic carries, in routing-table order (the first is the headerless default). */
export function schemasOnTopic(topic: EventTopicKind): SchemaName[] {
  return (Object.keys(EVENT_ROUTES) as SchemaName[]).filter((name) => EVENT_ROUTES[name].topic === topic);
}

/** The message key of `event` under contract `schema`. */
export function messageKey<N extends SchemaName>(schema: N, event: EventBySchemaName[N]): string {
  // EVENT_ROUTES[schema] is the route of N; TypeScript cannot correlate the indexed access with N.
  const route = EVENT_ROUTES[schema] as unknown as EventRoute<N>;
  return route.key(event);
}

export const HEADERS = {
  /** The contract name, e.g. `tokens.v1`. */
  schema: 'schema',
  contentType: 'content-type',
  /** W3C trace context, carried from the ingest request to the stored document's logs. */
  traceparent: 'traceparent',
  /** When the producer accepted the event, RFC 3339 UTC. */
  ingestedAt: 'ingested-at',
} as const;

export const CONTENT_TYPE_JSON = 'application/json';

/**
 * DLQ headers in the Kafka Connect naming, so Connect-aware tooling can read them. The message
 * keeps the original key and value; `errorMessage` carries every field error
 * (see formatFieldErrors).
 */
export const DLQ_HEADERS = {
  originalTopic: '__connect.errors.topic',
  originalPartition: '__connect.errors.partition',
  originalOffset: '__connect.errors.offset',
  errorClass: '__connect.errors.exception.class.name',
  errorMessage: '__connect.errors.exception.message',
  errorStage: '__connect.errors.stage',
} as const;

// version "00" - 32 hex trace-id - 16 hex parent-id - 2 hex flags, lower case only.
const TRACEPARENT_V00 = /^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/;
const ALL_ZERO = /^0+$/;

/**
 * W3C Trace Context `traceparent`, version 00 (https://www.w3.org/TR/trace-context/#traceparent-header).
 * All-zero trace and parent ids are invalid per the spec. Other versions are refused: their
 * format may differ, and we only ever emit 00.
 */
export function isValidTraceparent(value: string): boolean {
  const match = TRACEPARENT_V00.exec(value);
  if (match === null) return false;
  const [, traceId = '', parentId = ''] = match;
  return !ALL_ZERO.test(traceId) && !ALL_ZERO.test(parentId);
}
