// The query API's configuration, read and validated once at boot.
import {
  type ApiKeyEntry,
  authEnv,
  env,
  type EnvSource,
  httpEnv,
  type HttpSettings,
  httpSettings,
  logEnv,
  type RateLimitSettings,
  readEnv,
} from '@tokenmeter/telemetry';
import { storageEnv, type StorageSettings, storageSettings } from '@tokenmeter/storage';

export const queryApiEnv = {
  ...httpEnv(3000),
  ...storageEnv,
  ...logEnv,
  ...authEnv,
  QUERY_DEFAULT_LIMIT: env.int({
    description: 'page size of event listings when `limit` is absent',
    default: 100,
    min: 1,
    max: 1_000,
  }),
  QUERY_RATE_LIMIT_PER_MINUTE: env.int({
    description: 'requests per minute per API key (per client address without a key); 0 turns rate limiting off',
    default: 600,
    min: 0,
    max: 1_000_000,
  }),
  QUERY_DEFAULT_RANGE_HOURS: env.int({
    description: 'range of a query without `from`, back from `to`',
    default: 24,
    min: 1,
    max: 24 * 400,
  }),
};

export class QueryApiConfig {
  constructor(
    readonly http: HttpSettings,
    readonly mongo: StorageSettings,
    readonly query: {
      defaultLimit: number;
      maxLimit: number;
      defaultRangeMs: number;
    },
    readonly logLevel: string,
    readonly shutdownTimeoutMs: number,
    readonly apiKeys: readonly ApiKeyEntry[],
    readonly rateLimit: RateLimitSettings,
  ) {}

  static fromEnv(source: EnvSource): QueryApiConfig {
    const e = readEnv(queryApiEnv, source);
    return new QueryApiConfig(
      httpSettings(e),
      storageSettings(e),
      {
        defaultLimit: e.QUERY_DEFAULT_LIMIT,
        maxLimit: 1_000,
        defaultRangeMs: e.QUERY_DEFAULT_RANGE_HOURS * 3_600_000,
      },
      e.LOG_LEVEL,
      e.SHUTDOWN_TIMEOUT_MS,
      e.API_KEYS,
      { limit: e.QUERY_RATE_LIMIT_PER_MINUTE, windowMs: 60_000 },
    );
  }
}
