import { type DynamicModule, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { PrometheusModule } from '@willsoto/nestjs-prometheus';
import {
  ApiKeyGuard,
  ApiKeys,
  ApiKeyThrottlerGuard,
  createLoggingModule,
  HealthModule,
  rateLimitModule,
} from '@tokenmeter/telemetry';
import { MongoModule } from '@tokenmeter/storage';
import { QueryApiConfig } from './config';
import { ConsoleModule } from './console/console.module';
import { CostsModule } from './costs/costs.module';
import { EventsModule } from './events/events.module';
import { SeriesModule } from './series/series.module';

@Module({})
export class QueryApiAppModule {
  static forRoot(config: QueryApiConfig): DynamicModule {
    const rateLimited = config.rateLimit.limit > 0;
    return {
      module: QueryApiAppModule,
      global: true,
      imports: [
        createLoggingModule({ service: 'query-api', level: config.logLevel }),
        PrometheusModule.register({ path: '/metrics', defaultMetrics: { enabled: true } }),
        HealthModule,
        MongoModule.forRoot(config.mongo),
        EventsModule,
        SeriesModule,
        CostsModule,
        ...(config.consoleDir === null ? [] : [ConsoleModule.forRoot(config.consoleDir)]),
        ...(rateLimited ? [rateLimitModule(config.rateLimit)] : []),
      ],
      providers: [
        { provide: QueryApiConfig, useValue: config },
        { provide: ApiKeys, useValue: new ApiKeys(config.apiKeys) },
        // Guards run in this order: authentication (401/403), then the per-key rate limit (429).
        { provide: APP_GUARD, useClass: ApiKeyGuard },
        ...(rateLimited ? [{ provide: APP_GUARD, useClass: ApiKeyThrottlerGuard }] : []),
      ],
      exports: [QueryApiConfig],
    };
  }
}
