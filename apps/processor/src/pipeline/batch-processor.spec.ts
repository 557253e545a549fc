import type { GpuSampleDocument, TokenEventDocument } from '@tokenmeter/contracts/storage';
import { buildTokenUsageEvent } from '@tokenmeter/contracts/testing/factories';
import { Clock } from '@tokenmeter/telemetry';
import type { KafkaMessage } from 'kafkajs';
import { ProcessorConfig } from '../config';
import type { DeadLetter, DlqPublisher } from '../dlq/dlq-publisher';
import type { InsertOutcome, RawEventRepository } from '../storage/raw-event.repository';
import { BatchProcessor } from './batch-processor';
import { DeadLetterReason } from './decode';
import { ProcessorMetrics } from './processor-metrics';

const NOW = Date.parse('2026-11-25T12:00:00.000Z');

class FixedClock extends Clock {
  override nowMs(): number {
    return NOW;
  }
}

/** In-memory stand-in with the repository's contract: `_id` unique, duplicates counted. */
class FakeRawEvents {
  readonly tokens = new Map<string, TokenEventDocument>();
  failNext = false;

  insertTokenEvents(docs: TokenEventDocument[]): Promise<InsertOutcome> {
    if (this.failNext) {
      this.failNext = false;
      return Promise.reject(new Error('database unavailable'));
    }
    let inserted = 0;
    for (const d of docs) {
      if (!this.tokens.has(d._id)) {
        this.tokens.set(d._id, d);
        inserted += 1;
      }
    }
    return Promise.resolve({ inserted, duplicates: docs.length - inserted });
  }

  insertGpuSamples(docs: GpuSampleDocument[]): Promise<InsertOutcome> {
    return Promise.resolve({ inserted: docs.length, duplicates: 0 });
  }
}

class FakeDlq {
  readonly letters: DeadLetter[] = [];
  publish(letters: DeadLetter[]): Promise<void> {
    this.letters.push(...letters);
    return Promise.resolve();
  }
}

function kafkaMessage(offset: number, value: string | null): KafkaMessage {
  return {
    offset: String(offset),
    key: Buffer.from('k'),
    value: value === null ? null : Buffer.from(value),
    headers: {},
    timestamp: String(NOW),
    attributes: 0,
  };
}

function setup() {
  const config = ProcessorConfig.fromEnv({ KAFKA_BROKERS: '127.0.0.1:9092', MONGO_URL: 'mongodb://127.0.0.1:27017/t' });
  const raw = new FakeRawEvents();
  const dlq = new FakeDlq();
  const processor = new BatchProcessor(
    config,
    raw as unknown as RawEventRepository,
    dlq as unknown as DlqPublisher,
    new FixedClock(),
    new ProcessorMetrics(),
  );
  return { processor, raw, dlq };
}

describe('BatchProcessor', () => {
  it('stores valid events once and dead-letters the rest with their origin', async () => {
    const { processor, raw, dlq } = setup();
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
    expect(outcome).toEqual({ stored: 2, duplicates: 1, deadLettered: 1 });
    expect([...raw.tokens.keys()].sort()).toEqual([a.eventId, b.eventId].sort());
    expect(raw.tokens.get(a.eventId)?.time).toEqual(new Date(a.time));
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
