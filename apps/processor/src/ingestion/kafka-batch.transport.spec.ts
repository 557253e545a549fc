import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { MicroserviceOptions } from '@nestjs/microservices';
import type { EachBatchPayload, Kafka } from 'kafkajs';
import { Observable, of, throwError } from 'rxjs';
import { ProcessorMetrics } from '../processor-metrics';
import { BatchProcessor, type ConsumedBatch } from './batch-processor';
import { IngestionController } from './ingestion.controller';
import { KafkaBatchContext, KafkaBatchServer } from './kafka-batch.transport';

const OPTIONS = {
  topics: { tokens: 't.tokens', gpu: 't.gpu' },
  groupPrefix: 'g',
  maxBytesPerPartition: 1_000,
  maxWaitMs: 10,
  retryMaxBackoffMs: 10,
};

function fetched(topic: string, offsets: string[], highWatermark = '100'): EachBatchPayload['batch'] {
  return {
    topic,
    partition: 2,
    highWatermark,
    messages: offsets.map((offset) => ({ offset, value: Buffer.from('{}') })),
  } as unknown as EachBatchPayload['batch'];
}

function server(): KafkaBatchServer {
  return new KafkaBatchServer({} as Kafka, OPTIONS);
}

describe('KafkaBatchServer', () => {
  it('hands a batch to the handler of its topic kind, with the partition’s high watermark in the context', async () => {
    const s = server();
    const seen: [ConsumedBatch, unknown][] = [];
    s.addHandler('gpu', (data: ConsumedBatch, context: unknown) => Promise.resolve(seen.push([data, context])), true);
    await s.dispatch('gpu', fetched('t.gpu', ['7', '8'], '12'));
    expect(seen).toHaveLength(1);
    const [batch, context] = seen[0] ?? [];
    expect(batch).toMatchObject({ topic: 't.gpu', partition: 2 });
    expect(batch?.messages.map((m) => m.offset)).toEqual(['7', '8']);
    expect(context).toBeInstanceOf(KafkaBatchContext);
    expect((context as KafkaBatchContext).kind).toBe('gpu');
    expect((context as KafkaBatchContext).highWatermark).toBe('12');
  });

  it('resolves only when a returned stream completes, and fails with the error of a failing one', async () => {
    const failure = new Error('MongoDB is away');
    const withHandler = (handler: () => Promise<unknown>) => {
      const s = server();
      s.addHandler('tokens', handler, true);
      return s.dispatch('tokens', fetched('t.tokens', ['1']));
    };
    let completed = false;
    await expect(
      withHandler(() =>
        Promise.resolve(
          new Observable((subscriber) => {
            setTimeout(() => {
              completed = true;
              subscriber.complete();
            }, 5);
          }),
        ),
      ),
    ).resolves.toBeUndefined();
    expect(completed).toBe(true);
    await expect(withHandler(() => Promise.resolve(of(1, 2)))).resolves.toBeUndefined();
    await expect(withHandler(() => Promise.resolve(throwError(() => failure)))).rejects.toBe(failure);
    await expect(withHandler(() => Promise.reject(failure))).rejects.toBe(failure);
  });

  it('refuses a batch without a handler and a pattern that is not a topic kind', async () => {
    const s = server();
    await expect(s.dispatch('gpu', fetched('t.gpu', ['1']))).rejects.toThrow('no @EventPattern("gpu") handler');
    s.addHandler('tokens.v1', () => Promise.resolve(), true);
    const outcome = await new Promise<unknown>((resolve) => void s.listen((error) => resolve(error)));
    expect(String(outcome)).toMatch(/@EventPattern\("tokens.v1"\) is not an event topic kind/);
  });

  it('closes once, however often it is asked', async () => {
    const s = server();
    const first = s.close();
    expect(s.close()).toBe(first);
    await first;
  });
});

describe('IngestionController on KafkaBatchServer (Nest’s own handler wiring)', () => {
  const calls: [string, ConsumedBatch][] = [];
  let failWith: Error | undefined;
  const processor = {
    process: (kind: string, batch: ConsumedBatch) => {
      calls.push([kind, batch]);
      return failWith === undefined ? Promise.resolve({}) : Promise.reject(failWith);
    },
  };

  @Module({
    controllers: [IngestionController],
    providers: [
      { provide: BatchProcessor, useValue: processor },
      { provide: ProcessorMetrics, useValue: new ProcessorMetrics() },
    ],
  })
  class TestModule {}

  async function app(): Promise<{ s: KafkaBatchServer; close: () => Promise<void> }> {
    const s = server();
    const ms = await NestFactory.createMicroservice<MicroserviceOptions>(TestModule, { strategy: s, logger: false });
    await ms.init();
    return { s, close: () => ms.close() };
  }

  it('routes each topic kind to the batch processor with that kind', async () => {
    const { s, close } = await app();
    calls.length = 0;
    failWith = undefined;
    await s.dispatch('tokens', fetched('t.tokens', ['5']));
    await s.dispatch('gpu', fetched('t.gpu', ['6']));
    expect(calls.map(([kind, batch]) => [kind, batch.topic])).toEqual([
      ['tokens', 't.tokens'],
      ['gpu', 't.gpu'],
    ]);
    await close();
  });

  it('fails the dispatch with the processor’s own error, so the batch is retried and not committed', async () => {
    const { s, close } = await app();
    failWith = new Error('E11000 or a timeout');
    await expect(s.dispatch('tokens', fetched('t.tokens', ['5']))).rejects.toBe(failWith);
    failWith = undefined;
    await close();
  });
});
