import { type DynamicModule, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { PrometheusModule } from '@willsoto/nestjs-prometheus';
import { ApiKeyGuard, ApiKeys, createLoggingModule, HealthModule, MongoModule } from '@tokenmeter/telemetry';
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
      providers: [
        { provide: QueryApiConfig, useValue: config },
        { provide: ApiKeys, useValue: new ApiKeys(config.apiKeys) },
        { provide: APP_GUARD, useClass: ApiKeyGuard },
      ],
      exports: [QueryApiConfig],
    };
  }
}
