import { type DynamicModule, Module } from '@nestjs/common';
import { Clock } from '@tokenmeter/telemetry';
import { ProcessorConfig } from './config';
import { ProcessorMetrics } from './processor-metrics';

/**
 * What every feature module of the processor shares: its configuration, the clock and its metrics
 * (one set per app, at the root). Not global: a feature module imports the very module object
 * ProcessorAppModule made, so all of them get the same instances.
 */
@Module({})
export class ProcessorCoreModule {
  static forRoot(config: ProcessorConfig): DynamicModule {
    return {
      module: ProcessorCoreModule,
      providers: [{ provide: ProcessorConfig, useValue: config }, Clock, ProcessorMetrics],
      exports: [ProcessorConfig, Clock, ProcessorMetrics],
    };
  }
}
