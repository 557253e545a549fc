import { HEADERS, type GpuSample } from '@tokenmeter/contracts';
import type {
  GpuSampleDocument,
  MessageSource,
  TokenEventDocument,
  TokenIntervalDocument,
  TokenUsageRecord,
} from '@tokenmeter/storage';
import { buildTokenUsageEvent, buildTokenUsageInterval } from '@tokenmeter/contracts/testing/factories';
import { Logger } from '@nestjs/common';
import { FixedClock } from '@tokenmeter/telemetry/testing';
import type { KafkaMessage } from 'kafkajs';
import { ProcessorConfig } from '../config';
import type { DeadLetter, DlqPublisher } from '../dlq/dlq-publisher';
import type { InsertOutcome, RawEventRepository } from '../storage/raw-event.repository';
import type { OwnedEvent, RollupOutcome, RollupRepository } from '../storage/rollup.repository';
import type { SeriesRegistryRepository } from '../storage/series-registry.repository';
import { BatchProcessor } from './batch-processor';
import { DeadLetterReason } from './decode';
import { ProcessorMetrics } from '../processor-metrics';

const NOW = Date.parse('2026-11-25T12:00:00.000Z');

/** In-memory stand-in with the repository's contract: `_id` unique, first writer's src kept. */
class FakeRawEvents {
  readonly tokens = new Map<string, TokenEventDocument>();
  failNext = false;

  insertTokenEvents(docs: TokenEventDocument[]): Promise<InsertOutcome> {
    if (this.failNext) {
      this.failNext = false;
      return Promise.reject(new Error('database unavailable'));
    }
    const duplicateIndexes: number[] = [];
    docs.forEach((d, i) => {
      if (this.tokens.has(d._id)) duplicateIndexes.push(i);
      else this.tokens.set(d._id, d);
    });
    return Promise.resolve({
      inserted: docs.length - duplicateIndexes.length,
      duplicates: duplicateIndexes.length,
      duplicateIndexes,
    });
  }

  readonly intervals = new Map<string, TokenIntervalDocument>();

  insertTokenIntervals(docs: TokenIntervalDocument[]): Promise<InsertOutcome> {
    const duplicateIndexes: number[] = [];
    docs.forEach((d, i) => {
      if (this.intervals.has(d._id)) duplicateIndexes.push(i);
      else this.intervals.set(d._id, d);
    });
    return Promise.resolve({
      inserted: docs.length - duplicateIndexes.length,
      duplicates: duplicateIndexes.length,
      duplicateIndexes,
    });
  }

  insertGpuSamples(docs: GpuSampleDocument[]): Promise<InsertOutcome> {
    return Promise.resolve({ inserted: docs.length, duplicates: 0, duplicateIndexes: [] });
  }

  /** eventIds listed in the time directory, per call: exactly the owned events. */
  readonly listed: string[][] = [];

  recordListing(owned: Record<string, readonly { eventId: string }[]>): Promise<void> {
    this.listed.push(Object.values(owned).flatMap((events) => events.map((e) => e.eventId)));
    return Promise.resolve();
  }

  sourcesOf(kind: string, ids: string[]): Promise<Map<string, MessageSource | undefined>> {
    const stored = kind === 'tokenIntervals' ? this.intervals : this.tokens;
    return Promise.resolve(new Map(ids.map((id) => [id, stored.get(id)?.src])));
  }
}

class FakeRollups {
  readonly applied: { partition: number; lastOffset: number; events: OwnedEvent<TokenUsageRecord>[] }[] = [];

  applyTokens(partition: number, lastOffset: number, events: OwnedEvent<TokenUsageRecord>[]): Promise<RollupOutcome> {
    this.applied.push({ partition, lastOffset, events });
    return Promise.resolve({ documents: events.length > 0 ? 2 : 0, skipped: 0 });
  }

  applyGpu(_partition: number, _lastOffset: number, _events: OwnedEvent<GpuSample>[]): Promise<RollupOutcome> {
    return Promise.resolve({ documents: 0, skipped: 0 });
  }
}

class FakeRegistry {
  readonly recorded: string[] = [];
  recordTokens(events: readonly TokenUsageRecord[]): Promise<number> {
    this.recorded.push(...events.map((e) => e.eventId));
    return Promise.resolve(events.length);
  }
  recordGpu(): Promise<number> {
    return Promise.resolve(0);
  }
}

class FakeDlq {
  readonly letters: DeadLetter[] = [];
  publish(letters: DeadLetter[]): Promise<void> {
    this.letters.push(...letters);
    return Promise.resolve();
  }
}

function kafkaMessage(offset: number, value: string | null, headers: Record<string, string> = {}): KafkaMessage {
  return {
    offset: String(offset),
    key: Buffer.from('k'),
    value: value === null ? null : Buffer.from(value),
    headers,
    timestamp: String(NOW),
    attributes: 0,
  };
}

function setup() {
  const config = ProcessorConfig.fromEnv({ KAFKA_BROKERS: '127.0.0.1:9092', MONGO_URL: 'mongodb://127.0.0.1:27017/t' });
  const raw = new FakeRawEvents();
  const rollups = new FakeRollups();
  const dlq = new FakeDlq();
  const registry = new FakeRegistry();
  const processor = new BatchProcessor(
    config,
    raw as unknown as RawEventRepository,
    rollups as unknown as RollupRepository,
    registry as unknown as SeriesRegistryRepository,
    dlq as unknown as DlqPublisher,
    new FixedClock(NOW),
    new ProcessorMetrics(),
  );
  return { processor, raw, rollups, dlq, registry };
}

const ownedIds = (events: OwnedEvent<TokenUsageRecord>[]) => events.map((e) => `${e.event.eventId}@${e.offset}`);

describe('BatchProcessor', () => {
  it('stores valid events once, rolls up only the first copy, and dead-letters the rest with their origin', async () => {
    const { processor, raw, rollups, dlq, registry } = setup();
    const a = buildTokenUsageEvent({}, { nowMs: NOW });
    const b = buildTokenUsageEvent({}, { nowMs: NOW });
    const outcome = await processor.process('tokens', {
      topic: 'telemetry.tokens.v1',
      partition: 2,
      messages: [
        kafkaMessage(10, JSON.stringify(a)),
        kafkaMessage(11, 'garbage'),
        kafkaMessage(12, JSON.stringify(b)),
        kafkaMessage(13, JSON.stringify(a)),
      ],
    });
    expect(outcome).toEqual({ stored: 2, duplicates: 1, deadLettered: 1, rolledUp: 2 });
    expect(raw.tokens.get(a.eventId)?.src).toEqual({ p: 2, o: 10 });
    expect(raw.tokens.get(a.eventId)?.time).toEqual(new Date(a.time));
    expect(rollups.applied).toEqual([{ partition: 2, lastOffset: 13, events: expect.any(Array) as unknown }]);
    expect(ownedIds(rollups.applied[0]?.events ?? [])).toEqual([`${a.eventId}@10`, `${b.eventId}@12`]);
    // The series of the owned events are registered (before their rollups), duplicates are not.
    expect(registry.recorded).toEqual([a.eventId, b.eventId]);
    // Listed once: the duplicate posted at offset 13 is not this batch's to list.
    expect(raw.listed).toEqual([[a.eventId, b.eventId]]);
    expect(dlq.letters).toEqual([
      expect.objectContaining({
        originalTopic: 'telemetry.tokens.v1',
        originalPartition: 2,
        originalOffset: '11',
        errorClass: DeadLetterReason.NotJson,
      }),
    ]);
    expect(dlq.letters[0]?.value?.toString()).toBe('garbage');
  });

  it('on a replay, still owns the events its own messages stored, but not copies from other messages', async () => {
    const { processor, rollups } = setup();
    const a = buildTokenUsageEvent({}, { nowMs: NOW });
    const b = buildTokenUsageEvent({}, { nowMs: NOW });
    const first = [kafkaMessage(10, JSON.stringify(a)), kafkaMessage(11, JSON.stringify(b))];
    await processor.process('tokens', { topic: 't', partition: 0, messages: first });
    // The same messages again (crash before commit), then a client retry of `a` at offset 12.
    await processor.process('tokens', {
      topic: 't',
      partition: 0,
      messages: [...first, kafkaMessage(12, JSON.stringify(a))],
    });
    expect(ownedIds(rollups.applied[1]?.events ?? [])).toEqual([`${a.eventId}@10`, `${b.eventId}@11`]);
    // The same event id from another partition is someone else's copy.
    await processor.process('tokens', { topic: 't', partition: 1, messages: [kafkaMessage(10, JSON.stringify(a))] });
    expect(rollups.applied[2]?.events).toEqual([]);
  });

  it('stores scraped intervals in their own collection and rolls them up with the requests in one call', async () => {
    const { processor, raw, rollups, registry } = setup();
    const request = buildTokenUsageEvent({}, { nowMs: NOW });
    const interval = buildTokenUsageInterval({}, { nowMs: NOW });
    const asInterval = { [HEADERS.schema]: 'tokens-interval.v1' };
    const outcome = await processor.process('tokens', {
      topic: 'telemetry.tokens.v1',
      partition: 0,
      messages: [
        kafkaMessage(5, JSON.stringify(interval), asInterval),
        kafkaMessage(6, JSON.stringify(request)),
        kafkaMessage(7, JSON.stringify(interval), asInterval),
      ],
    });
    expect(outcome).toEqual({ stored: 2, duplicates: 1, deadLettered: 0, rolledUp: 2 });
    expect(raw.intervals.get(interval.eventId)).toMatchObject({ src: { p: 0, o: 5 }, requests: 12 });
    expect(raw.tokens.has(interval.eventId)).toBe(false);
    expect(rollups.applied).toHaveLength(1);
    expect(ownedIds(rollups.applied[0]?.events ?? []).sort()).toEqual(
      [`${request.eventId}@6`, `${interval.eventId}@5`].sort(),
    );
    expect(registry.recorded.sort()).toEqual([request.eventId, interval.eventId].sort());
  });

  it('logs one line per ingest trace saying what became of its messages, so a grep follows a request', async () => {
    const { processor } = setup();
    const lines: unknown[][] = [];
    const spy = jest.spyOn(Logger.prototype, 'log').mockImplementation((...args: unknown[]) => {
      lines.push(args);
    });
    try {
      const traceA = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
      const traceB = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
      const a = buildTokenUsageEvent({}, { nowMs: NOW });
      const b = buildTokenUsageEvent({}, { nowMs: NOW });
      await processor.process('tokens', {
        topic: 'telemetry.tokens.v1',
        partition: 3,
        messages: [
          kafkaMessage(20, JSON.stringify(a), { [HEADERS.traceparent]: traceA }),
          kafkaMessage(21, JSON.stringify(b), { [HEADERS.traceparent]: traceB }),
          kafkaMessage(22, 'garbage', { [HEADERS.traceparent]: traceA }),
          kafkaMessage(23, JSON.stringify(a), { [HEADERS.traceparent]: traceA }),
          // No (valid) traceparent: nothing to follow, no line.
          kafkaMessage(24, JSON.stringify(buildTokenUsageEvent({}, { nowMs: NOW })), { [HEADERS.traceparent]: 'x' }),
        ],
      });
      expect(lines).toEqual([
        [
          {
            traceparent: traceA,
            topic: 'telemetry.tokens.v1',
            partition: 3,
            fromOffset: 20,
            toOffset: 23,
            stored: 1,
            duplicates: 1,
            deadLettered: 1,
          },
          'events stored',
        ],
        [
          {
            traceparent: traceB,
            topic: 'telemetry.tokens.v1',
            partition: 3,
            fromOffset: 21,
            toOffset: 21,
            stored: 1,
            duplicates: 0,
            deadLettered: 0,
          },
          'events stored',
        ],
      ]);
    } finally {
      spy.mockRestore();
    }
  });

  it('fails the whole batch when storage fails, so nothing is dead-lettered or committed', async () => {
    const { processor, raw, dlq } = setup();
    raw.failNext = true;
    await expect(
      processor.process('tokens', {
        topic: 't',
        partition: 0,
        messages: [
          kafkaMessage(0, 'garbage'),
          kafkaMessage(1, JSON.stringify(buildTokenUsageEvent({}, { nowMs: NOW }))),
        ],
      }),
    ).rejects.toThrow('database unavailable');
    expect(dlq.letters).toEqual([]);
  });
});
