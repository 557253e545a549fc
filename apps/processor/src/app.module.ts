import { type DynamicModule, Module } from '@nestjs/common';
import { PrometheusModule } from '@willsoto/nestjs-prometheus';
import { createLoggingModule, HealthModule } from '@tokenmeter/telemetry';
import { MongoModule } from '@tokenmeter/storage';
import { ProcessorConfig } from './config';
import { DlqModule } from './dlq/dlq.module';
import { IngestionModule } from './ingestion/ingestion.module';
import { ProcessorCoreModule } from './processor-core.module';
import { RetentionModule } from './retention/retention.module';
import { ProcessorStorageModule } from './storage/processor-storage.module';

/**
 * The processor: feature modules for ingestion (the Kafka batch transport and its event
 * handlers), dead letters and retention over the storage wiring, and at the root its config,
 * clock and metrics (ProcessorCoreModule), logs, /metrics, health and the MongoDB connection.
 * Each shared module object is made once here and handed to the modules that import it.
 */
@Module({})
export class ProcessorAppModule {
  static forRoot(config: ProcessorConfig): DynamicModule {
    const core = ProcessorCoreModule.forRoot(config);
    const storage = ProcessorStorageModule.register(core);
    const dlq = DlqModule.register(core);
    return {
      module: ProcessorAppModule,
      imports: [
        createLoggingModule({ service: 'processor', level: config.logLevel }),
        PrometheusModule.register({ path: '/metrics', defaultMetrics: { enabled: true } }),
        HealthModule,
        MongoModule.forRoot(config.mongo),
        core,
        storage,
        dlq,
        IngestionModule.register(core, storage, dlq),
        RetentionModule.register(core, storage),
      ],
    };
  }
}
