// Owns the processor's KafkaBatchServer: builds it from the configuration, wires its hooks to the
// metrics and the batch processor, registers readiness and liveness on it, and stops it in the
// app's "stop intake and drain" phase (onModuleDestroy), before the dead-letter producer is
// flushed and MongoDB is closed (libs/telemetry shutdown.ts). main.ts connects it to the app.
import { Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { MongoConnection } from '@tokenmeter/storage';
import { Clock, createKafka, LivenessRegistry, pingKafka, ReadinessRegistry } from '@tokenmeter/telemetry';
import type { Kafka } from 'kafkajs';
import { ProcessorConfig } from '../config';
import { ProcessorMetrics } from '../processor-metrics';
import { BatchProcessor } from './batch-processor';
import { KafkaBatchServer } from './kafka-batch.transport';
import { ProcessorLiveness } from './processor-liveness';

/** How long liveness waits for MongoDB to answer a new connection before calling it away. */
const LIVENESS_PROBE_TIMEOUT_MS = 3_000;
/** How long one answer of that probe is trusted (liveness is typically asked every 10 s). */
const LIVENESS_PROBE_MAX_AGE_MS = 15_000;

@Injectable()
export class IngestionTransport implements OnApplicationBootstrap, OnModuleDestroy {
  readonly server: KafkaBatchServer;
  private readonly kafka: Kafka;

  constructor(
    private readonly config: ProcessorConfig,
    private readonly readiness: ReadinessRegistry,
    private readonly liveness: LivenessRegistry,
    private readonly mongo: MongoConnection,
    private readonly clock: Clock,
    processor: BatchProcessor,
    metrics: ProcessorMetrics,
  ) {
    this.kafka = createKafka(config.kafka);
    this.server = new KafkaBatchServer(
      this.kafka,
      {
        topics: { tokens: config.kafka.topics.tokens, gpu: config.kafka.topics.gpu },
        groupPrefix: config.consumer.groupPrefix,
        maxBytesPerPartition: config.consumer.maxBytesPerPartition,
        maxWaitMs: config.consumer.maxWaitMs,
        retryMaxBackoffMs: config.consumer.retryMaxBackoffMs,
      },
      {
        onJoin: (kind) => processor.forgetPartitionState(kind),
        onWriteFailure: (topic) => metrics.writeFailures.inc({ topic }),
        onStage: (topic, stage) => metrics.enterStage(topic, stage),
        nowMs: () => clock.nowMs(),
      },
    );
  }

  onApplicationBootstrap(): void {
    this.readiness.register('kafka', () => pingKafka(this.kafka, this.config.kafka.requestTimeoutMs));
    this.readiness.register('consumers', () => {
      const problems = this.server.problems();
      if (this.server.groups === 0) problems.push('the consumers have not started');
      return problems.length === 0
        ? Promise.resolve({ groups: this.server.groups })
        : Promise.reject(new Error(problems.join('; ')));
    });
    const liveness = new ProcessorLiveness(this.mongo, {
      stuckAfterMs: this.config.consumer.stuckAfterMs,
      probeTimeoutMs: LIVENESS_PROBE_TIMEOUT_MS,
      probeMaxAgeMs: LIVENESS_PROBE_MAX_AGE_MS,
    });
    this.liveness.register('consumers', () => liveness.check(this.server.batchesInFlight(), this.clock.nowMs()));
  }

  onModuleDestroy(): Promise<void> {
    return this.server.close();
  }
}
