import { type DynamicModule, Module } from '@nestjs/common';
import { BatchProcessor } from './batch-processor';
import { IngestionController } from './ingestion.controller';
import { IngestionTransport } from './ingestion-transport';

/** Ingestion: the Kafka batch transport, its event handlers and the batch processor (decode, store, roll up). */
@Module({})
export class IngestionModule {
  static register(core: DynamicModule, storage: DynamicModule, dlq: DynamicModule): DynamicModule {
    return {
      module: IngestionModule,
      imports: [core, storage, dlq],
      controllers: [IngestionController],
      providers: [BatchProcessor, IngestionTransport],
      exports: [IngestionTransport],
    };
  }
}
