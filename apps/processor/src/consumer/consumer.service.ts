// Starts one consumer group per topic once the app has booted, and stops them first on
// shutdown (onModuleDestroy = the "stop intake and drain" phase).
import { Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { Clock, createKafka, LivenessRegistry, pingKafka, ReadinessRegistry } from '@tokenmeter/telemetry';
import { MongoConnection } from '@tokenmeter/storage';
import type { Kafka } from 'kafkajs';
import { ProcessorConfig } from '../config';
import { BatchProcessor } from '../pipeline/batch-processor';
import type { EventKind } from '../pipeline/decode';
import { ProcessorMetrics } from '../pipeline/processor-metrics';
import { ProcessorLiveness } from './processor-liveness';
import { TopicConsumer } from './topic-consumer';

/** How long liveness waits for MongoDB to answer a new connection before calling it away. */
const LIVENESS_PROBE_TIMEOUT_MS = 3_000;
/** How long one answer of that probe is trusted (liveness is typically asked every 10 s). */
const LIVENESS_PROBE_MAX_AGE_MS = 15_000;

@Injectable()
export class ConsumerService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly kafka: Kafka;
  private readonly consumers: TopicConsumer[] = [];

  constructor(
    private readonly config: ProcessorConfig,
    private readonly processor: BatchProcessor,
    private readonly readiness: ReadinessRegistry,
    private readonly metrics: ProcessorMetrics,
    private readonly liveness: LivenessRegistry,
    private readonly mongo: MongoConnection,
    private readonly clock: Clock,
  ) {
    this.kafka = createKafka(config.kafka);
  }

  async onApplicationBootstrap(): Promise<void> {
    const kinds: [EventKind, string][] = [
      ['tokens', this.config.kafka.topics.tokens],
      ['gpu', this.config.kafka.topics.gpu],
    ];
    for (const [kind, topic] of kinds) {
      const consumer = new TopicConsumer(
        this.kafka,
        {
          topic,
          groupId: `${this.config.consumer.groupPrefix}.${topic}`,
          maxBytesPerPartition: this.config.consumer.maxBytesPerPartition,
          maxWaitMs: this.config.consumer.maxWaitMs,
          retryMaxBackoffMs: this.config.consumer.retryMaxBackoffMs,
        },
        async (batch) => {
          const end = this.metrics.batchDuration.startTimer({ topic });
          this.metrics.batchSize.observe({ topic }, batch.messages.length);
          await this.processor.process(kind, { topic, partition: batch.partition, messages: batch.messages });
          end();
          // Lag after this batch: messages in the partition beyond the last one handled.
          const last = batch.messages[batch.messages.length - 1];
          if (last !== undefined) {
            const lag = Number(BigInt(batch.highWatermark) - BigInt(last.offset) - 1n);
            this.metrics.consumerLag.set({ topic, partition: String(batch.partition) }, Math.max(0, lag));
          }
        },
        {
          onWriteFailure: () => this.metrics.writeFailures.inc({ topic }),
          onJoin: () => this.processor.forgetPartitionState(kind),
          onStage: (stage) => this.metrics.enterStage(topic, stage),
          nowMs: () => this.clock.nowMs(),
        },
      );
      await consumer.start();
      this.consumers.push(consumer);
    }
    this.readiness.register('kafka', () => pingKafka(this.kafka, this.config.kafka.requestTimeoutMs));
    this.readiness.register('consumers', () => {
      const problems = this.consumers.map((c) => c.status()).filter((s) => !s.ok);
      return problems.length === 0
        ? Promise.resolve({ groups: this.consumers.length })
        : Promise.reject(new Error(problems.map((p) => p.reason).join('; ')));
    });
    const liveness = new ProcessorLiveness(this.mongo, {
      stuckAfterMs: this.config.consumer.stuckAfterMs,
      probeTimeoutMs: LIVENESS_PROBE_TIMEOUT_MS,
      probeMaxAgeMs: LIVENESS_PROBE_MAX_AGE_MS,
    });
    this.liveness.register('consumers', () =>
      liveness.check(
        this.consumers.map((c) => c.batchInFlight()),
        this.clock.nowMs(),
      ),
    );
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.all(this.consumers.map((c) => c.stop()));
  }
}
