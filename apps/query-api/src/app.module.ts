import { type DynamicModule, Module } from '@nestjs/common';
import { PrometheusModule } from '@willsoto/nestjs-prometheus';
import { createLoggingModule, HealthModule, MongoModule } from '@tokenmeter/telemetry';
import { QueryApiConfig } from './config';
import { EventsModule } from './events/events.module';

@Module({})
export class QueryApiAppModule {
  static forRoot(config: QueryApiConfig): DynamicModule {
    return {
      module: QueryApiAppModule,
      global: true,
      imports: [
        createLoggingModule({ service: 'query-api', level: config.logLevel }),
        PrometheusModule.register({ path: '/metrics', defaultMetrics: { enabled: true } }),
        HealthModule,
        MongoModule.forRoot(config.mongo),
        EventsModule,
      ],
      providers: [{ provide: QueryApiConfig, useValue: config }],
      exports: [QueryApiConfig],
    };
  }
}
