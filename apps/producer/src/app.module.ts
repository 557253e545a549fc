import { type DynamicModule, Module } from '@nestjs/common';
import { PrometheusModule } from '@willsoto/nestjs-prometheus';
import { createLoggingModule, HealthModule } from '@tokenmeter/telemetry';
import { ProducerConfig } from './config';
import { IngestModule } from './ingest/ingest.module';

@Module({})
export class ProducerAppModule {
  static forRoot(config: ProducerConfig): DynamicModule {
    return {
      module: ProducerAppModule,
      global: true,
      imports: [
        createLoggingModule({ service: 'producer', level: config.logLevel }),
        PrometheusModule.register({ path: '/metrics', defaultMetrics: { enabled: true } }),
        HealthModule,
        IngestModule,
      ],
      providers: [{ provide: ProducerConfig, useValue: config }],
      exports: [ProducerConfig],
    };
  }
}
