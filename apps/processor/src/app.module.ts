import { type DynamicModule, Module } from '@nestjs/common';
import { PrometheusModule } from '@willsoto/nestjs-prometheus';
import { Clock, createLoggingModule, HealthModule } from '@tokenmeter/telemetry';
import { MongoModule } from '@tokenmeter/storage';
import { ProcessorConfig } from './config';
import { ConsumerService } from './consumer/consumer.service';
import { DlqPublisher } from './dlq/dlq-publisher';
import { BatchProcessor } from './pipeline/batch-processor';
import { ProcessorMetrics } from './pipeline/processor-metrics';
import { RawEventRepository } from './storage/raw-event.repository';
import { RetentionService } from './storage/retention.service';
import { RollupRepository } from './storage/rollup.repository';
import { SeriesRegistryRepository } from './storage/series-registry.repository';

@Module({})
export class ProcessorAppModule {
  static forRoot(config: ProcessorConfig): DynamicModule {
    return {
      module: ProcessorAppModule,
      global: true,
      imports: [
        createLoggingModule({ service: 'processor', level: config.logLevel }),
        PrometheusModule.register({ path: '/metrics', defaultMetrics: { enabled: true } }),
        HealthModule,
        MongoModule.forRoot(config.mongo),
      ],
      providers: [
        { provide: ProcessorConfig, useValue: config },
        Clock,
        ProcessorMetrics,
        RawEventRepository,
        RollupRepository,
        SeriesRegistryRepository,
        RetentionService,
        DlqPublisher,
        BatchProcessor,
        ConsumerService,
      ],
      exports: [ProcessorConfig],
    };
  }
}
