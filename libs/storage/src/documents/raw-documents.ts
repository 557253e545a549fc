// The stored shape of raw events: the contract between the processor (writer) and the
// query API (reader). `_id` is the eventId, so a replayed or re-posted event is stored once.
import type { GpuSample, TokenUsageEvent, TokenUsageInterval } from '@tokenmeter/contracts';

export const RAW_COLLECTIONS = {
  tokens: 'token_events',
  gpu: 'gpu_samples',
  tokenIntervals: 'token_intervals',
} as const;

/** The Kafka message that stored an event first: how a replay recognises its own insert. */
export interface MessageSource {
  p: number;
  o: number;
}

interface StoredMeta {
  /** When the producer accepted the event (Kafka header `ingested-at`), if known. */
  ingestedAt?: Date;
  /** When the processor wrote it. */
  storedAt: Date;
  /** Partition and offset of the message that stored it (docs/ARCHITECTURE.md, ownership). */
  src?: MessageSource;
}

export type TokenEventDocument = Omit<TokenUsageEvent, 'eventId' | 'time'> & StoredMeta & { _id: string; time: Date };
export type GpuSampleDocument = Omit<GpuSample, 'eventId' | 'time'> & StoredMeta & { _id: string; time: Date };
export type TokenIntervalDocument = Omit<TokenUsageInterval, 'eventId' | 'time'> &
  StoredMeta & { _id: string; time: Date };

export interface IndexDefinition {
  keys: Record<string, 1 | -1>;
  name: string;
  unique?: boolean;
  /** The query this index serves (an index without a reader is cost without benefit). */
  serves: string;
}

export const RAW_INDEXES: Record<keyof typeof RAW_COLLECTIONS, IndexDefinition[]> = {
  tokens: [
    { keys: { time: 1, _id: 1 }, name: 'time_id', serves: 'GET /v1/events/tokens: time range, keyset pagination' },
    { keys: { tenant: 1, time: 1, _id: 1 }, name: 'tenant_time_id', serves: 'GET /v1/events/tokens?tenant=' },
  ],
  gpu: [
    { keys: { time: 1, _id: 1 }, name: 'time_id', serves: 'GET /v1/events/gpus: time range, keyset pagination' },
    { keys: { node: 1, time: 1, _id: 1 }, name: 'node_time_id', serves: 'GET /v1/events/gpus?node=' },
  ],
  tokenIntervals: [
    {
      keys: { time: 1, _id: 1 },
      name: 'time_id',
      serves: 'GET /v1/events/token-intervals: time range, keyset pagination; retention deletes',
    },
  ],
};

export function tokenEventToDocument(event: TokenUsageEvent, meta: StoredMeta): TokenEventDocument {
  const { eventId, time, ...rest } = event;
  return { _id: eventId, ...rest, time: new Date(time), ...withMeta(meta) };
}

export function gpuSampleToDocument(sample: GpuSample, meta: StoredMeta): GpuSampleDocument {
  const { eventId, time, ...rest } = sample;
  return { _id: eventId, ...rest, time: new Date(time), ...withMeta(meta) };
}

export function tokenIntervalToDocument(interval: TokenUsageInterval, meta: StoredMeta): TokenIntervalDocument {
  const { eventId, time, ...rest } = interval;
  return { _id: eventId, ...rest, time: new Date(time), ...withMeta(meta) };
}

/** Back to the contract shape (what the API returns): storage metadata stays internal. */
export function tokenDocumentToEvent(doc: TokenEventDocument): TokenUsageEvent {
  const { _id, time, ingestedAt: _ingestedAt, storedAt: _storedAt, src: _src, ...rest } = doc;
  return { eventId: _id, time: time.toISOString(), ...rest };
}

export function gpuDocumentToSample(doc: GpuSampleDocument): GpuSample {
  const { _id, time, ingestedAt: _ingestedAt, storedAt: _storedAt, src: _src, ...rest } = doc;
  return { eventId: _id, time: time.toISOString(), ...rest };
}

export function tokenIntervalDocumentToInterval(doc: TokenIntervalDocument): TokenUsageInterval {
  const { _id, time, ingestedAt: _ingestedAt, storedAt: _storedAt, src: _src, ...rest } = doc;
  return { eventId: _id, time: time.toISOString(), ...rest };
}

function withMeta(meta: StoredMeta): StoredMeta {
  return {
    ...(meta.ingestedAt === undefined ? {} : { ingestedAt: meta.ingestedAt }),
    storedAt: meta.storedAt,
    ...(meta.src === undefined ? {} : { src: meta.src }),
  };
}
