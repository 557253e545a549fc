// The processor's object graph for integration specs, wired by Nest from the app's own modules
// (immich's "medium tests"): the storage wiring, the dead-letter publisher, the batch processor
// and the retention scheduler over a real MongoDB connection, instead of each spec building its
// own graph with `new`. A spec changes what it must (a fixed clock) and nothing else.
import { Global, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { MongoConnection } from '@tokenmeter/storage';
import { MongoConnection as MongoConnectionToken } from '@tokenmeter/storage';
import { Clock } from '@tokenmeter/telemetry';
import type { ProcessorConfig } from '../../apps/processor/src/config';
import { DlqPublisher } from '../../apps/processor/src/dlq/dlq-publisher';
import { DlqModule } from '../../apps/processor/src/dlq/dlq.module';
import { BatchProcessor } from '../../apps/processor/src/ingestion/batch-processor';
import { ProcessorCoreModule } from '../../apps/processor/src/processor-core.module';
import { ProcessorMetrics } from '../../apps/processor/src/processor-metrics';
import { RetentionScheduler } from '../../apps/processor/src/retention/retention.scheduler';
import { ProcessorStorageModule } from '../../apps/processor/src/storage/processor-storage.module';
import { RawEventRepository } from '../../apps/processor/src/storage/raw-event.repository';
import { RetentionRepository } from '../../apps/processor/src/storage/retention.repository';
import { RollupRepository } from '../../apps/processor/src/storage/rollup.repository';
import { SeriesRegistryRepository } from '../../apps/processor/src/storage/series-registry.repository';

export interface ProcessorWiring {
  raw: RawEventRepository;
  rollups: RollupRepository;
  registry: SeriesRegistryRepository;
  retentionRepository: RetentionRepository;
  retention: RetentionScheduler;
  dlq: DlqPublisher;
  processor: BatchProcessor;
  metrics: ProcessorMetrics;
  /** Runs the shutdown hooks (the DLQ producer disconnects); the connection stays the caller's. */
  close: () => Promise<void>;
}

export interface WiringOptions {
  /** Replaces the wall clock (e.g. a FixedClock). */
  clock?: Clock;
  /**
   * Runs the modules' init hooks: the repositories ensure their indexes, and the DLQ publisher
   * connects to Kafka and creates the topics. Off for specs that produce no dead letters.
   */
  init?: 'all' | 'storage' | 'none';
}

/** The processor's modules over `connection` (which the caller opened and closes). */
export async function wireProcessor(
  config: ProcessorConfig,
  connection: MongoConnection,
  options: WiringOptions = {},
): Promise<ProcessorWiring> {
  @Global()
  @Module({ providers: [{ provide: MongoConnectionToken, useValue: connection }], exports: [MongoConnectionToken] })
  class TestConnectionModule {}

  const core = ProcessorCoreModule.forRoot(config);
  const storage = ProcessorStorageModule.register(core);
  const dlq = DlqModule.register(core);
  let builder = Test.createTestingModule({
    imports: [TestConnectionModule, core, storage, dlq],
    providers: [BatchProcessor, RetentionScheduler],
  });
  if (options.clock !== undefined) builder = builder.overrideProvider(Clock).useValue(options.clock);
  const moduleRef = await builder.compile();
  const wiring: ProcessorWiring = {
    raw: moduleRef.get(RawEventRepository),
    rollups: moduleRef.get(RollupRepository),
    registry: moduleRef.get(SeriesRegistryRepository),
    retentionRepository: moduleRef.get(RetentionRepository),
    retention: moduleRef.get(RetentionScheduler),
    dlq: moduleRef.get(DlqPublisher),
    processor: moduleRef.get(BatchProcessor),
    metrics: moduleRef.get(ProcessorMetrics),
    close: () => moduleRef.close(),
  };
  const init = options.init ?? 'all';
  if (init === 'all') {
    await moduleRef.init();
  } else if (init === 'storage') {
    await wiring.raw.onModuleInit();
    await wiring.rollups.onModuleInit();
  }
  return wiring;
}
