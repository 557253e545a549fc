// The processor's own metrics (SPEC §8); names and labels are documented in docs/OBSERVABILITY.md.
import { Injectable } from '@nestjs/common';
import { counter, gauge, histogram } from '@tokenmeter/telemetry';

/** The stages of a consumer, in the order a batch goes through them (`backoff` after a failed write). */
export const BATCH_STAGES = ['idle', 'raw', 'registry', 'rollups', 'dlq', 'backoff', 'commit'] as const;
export type BatchStage = (typeof BATCH_STAGES)[number];

@Injectable()
export class ProcessorMetrics {
  readonly events = counter({
    name: 'tokenmeter_processor_events_total',
    help: 'Events handled by the processor, by topic and outcome (consumed, stored, duplicate, dead_lettered)',
    labelNames: ['topic', 'outcome'] as const,
  });
  readonly batchSize = histogram({
    name: 'tokenmeter_processor_batch_size',
    help: 'Messages per consumed batch',
    labelNames: ['topic'] as const,
    buckets: [1, 10, 50, 100, 250, 500, 1000, 2500, 5000, 10000],
  });
  readonly batchDuration = histogram({
    name: 'tokenmeter_processor_batch_duration_seconds',
    help: 'Time to store, dead-letter and commit one batch',
    labelNames: ['topic'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  });
  readonly e2eLatency = histogram({
    name: 'tokenmeter_processor_e2e_latency_seconds',
    help: 'Event time to stored time, in seconds',
    labelNames: ['topic'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
  });
  readonly consumerLag = gauge({
    name: 'tokenmeter_processor_consumer_lag_messages',
    help: 'Messages in a partition after the last one this processor handled (high watermark − 1 − offset)',
    labelNames: ['topic', 'partition'] as const,
  });
  readonly retentionDeleted = counter({
    name: 'tokenmeter_processor_retention_deleted_total',
    help: 'Documents deleted by retention, by collection',
    labelNames: ['collection'] as const,
  });
  readonly batchStage = gauge({
    name: 'tokenmeter_processor_batch_stage',
    help: 'What the consumer of a topic is doing: 1 for the current stage (idle, raw, registry, rollups, dlq, backoff, commit), 0 for the others',
    labelNames: ['topic', 'stage'] as const,
  });
  readonly writeFailures = counter({
    name: 'tokenmeter_processor_write_failures_total',
    help: 'Failed attempts to store a batch (each is retried; nothing is committed until it succeeds)',
    labelNames: ['topic'] as const,
  });

  /** Marks `stage` as what the consumer of `topic` does now. */
  enterStage(topic: string, stage: BatchStage): void {
    for (const other of BATCH_STAGES) this.batchStage.set({ topic, stage: other }, other === stage ? 1 : 0);
  }
}
