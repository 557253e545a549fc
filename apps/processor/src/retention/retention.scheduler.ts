// Retention without TTL indexes (SPEC §6; not every server has them): a periodic delete per
// collection of everything older than its retention, through RetentionRepository. Runs in every
// processor instance; deletes are idempotent, so overlapping runs only repeat work.
import { Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import {
  RAW_COLLECTIONS,
  RAW_TIME_DIRECTORY_COLLECTION,
  type Resolution,
  ROLLUP_COLLECTIONS,
} from '@tokenmeter/storage';
import { Clock, PeriodicTask } from '@tokenmeter/telemetry';
import { ProcessorConfig } from '../config';
import { ProcessorMetrics } from '../processor-metrics';
import { RetentionRepository } from '../storage/retention.repository';
import { RollupRepository } from '../storage/rollup.repository';

export interface RetentionPlan {
  collection: string;
  field: string;
  /** Extra equality filter (the rollup resolution). */
  where: Record<string, string>;
  keepMs: number;
}

export function retentionPlan(config: ProcessorConfig['retention']): RetentionPlan[] {
  // A bucket document goes once its whole span (up to `end`) is past the tier's retention.
  const rollup = (resolution: Resolution, keepMs: number): RetentionPlan[] =>
    Object.values(ROLLUP_COLLECTIONS).map((collection) => ({
      collection,
      field: 'end',
      where: { resolution },
      keepMs,
    }));
  return [
    ...Object.values(RAW_COLLECTIONS).map((collection) => ({
      collection,
      field: 'time',
      where: {},
      keepMs: config.rawMs,
    })),
    // The raw events' time directory (the point-read dialect): a segment or announcement covers a
    // minute or an hour up to `end`, and goes once all of it is past, with the last raw events it lists.
    { collection: RAW_TIME_DIRECTORY_COLLECTION, field: 'end', where: {}, keepMs: config.rawMs },
    ...rollup('1m', config.rollup1mMs),
    ...rollup('1h', config.rollup1hMs),
    // Daily buckets are kept as long as hourly ones (they hold the same data, coarser).
    ...rollup('1d', config.rollup1hMs),
  ];
}

@Injectable()
export class RetentionScheduler implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(RetentionScheduler.name);
  private readonly task = new PeriodicTask(
    () => this.runOnce(),
    (error) => this.logger.warn({ err: String(error) }, 'retention run failed; next run retries'),
  );

  constructor(
    private readonly config: ProcessorConfig,
    private readonly retention: RetentionRepository,
    private readonly clock: Clock,
    private readonly metrics: ProcessorMetrics,
    private readonly rollups: RollupRepository,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.retention.intervalMs > 0) this.task.start(this.config.retention.intervalMs);
  }

  /** Deletes everything past retention; returns the number deleted per collection. */
  async runOnce(): Promise<Record<string, number>> {
    const nowMs = this.clock.nowMs();
    const deleted: Record<string, number> = {};
    for (const plan of retentionPlan(this.config.retention)) {
      const count = await this.retention.deleteOlderThan(
        plan.collection,
        plan.field,
        plan.where,
        new Date(nowMs - plan.keepMs),
      );
      deleted[plan.collection] = (deleted[plan.collection] ?? 0) + count;
      this.metrics.retentionDeleted.inc({ collection: plan.collection }, count);
    }
    // Deleted rollup documents must not keep a remembered watermark (a late event would be skipped).
    if (Object.values(ROLLUP_COLLECTIONS).some((c) => (deleted[c] ?? 0) > 0)) this.rollups.forgetWatermarks();
    this.logger.log({ deleted }, 'retention run done');
    return deleted;
  }

  onModuleDestroy(): Promise<void> {
    return this.task.stop();
  }
}
