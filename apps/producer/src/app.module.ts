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
import { ProducerConfig } from './config';
import { IngestModule } from './ingest/ingest.module';
import { OtlpModule } from './otlp/otlp.module';
import { SourcesModule } from './sources/sources.module';

@Module({})
export class ProducerAppModule {
  static forRoot(config: ProducerConfig): DynamicModule {
    const rateLimited = config.rateLimit.limit > 0;
    return {
      module: ProducerAppModule,
      global: true,
      imports: [
        createLoggingModule({ service: 'producer', level: config.logLevel }),
        PrometheusModule.register({ path: '/metrics', defaultMetrics: { enabled: true } }),
        HealthModule,
        IngestModule,
        OtlpModule,
        SourcesModule,
        ...(rateLimited ? [rateLimitModule(config.rateLimit)] : []),
      ],
      providers: [
        { provide: ProducerConfig, useValue: config },
        { provide: ApiKeys, useValue: new ApiKeys(config.apiKeys) },
        // Same scheme as the query API: authentication (401/403), then the per-key rate limit (429).
        { provide: APP_GUARD, useClass: ApiKeyGuard },
        ...(rateLimited ? [{ provide: APP_GUARD, useClass: ApiKeyThrottlerGuard }] : []),
      ],
      exports: [ProducerConfig],
    };
  }
}
