// The query API's configuration, read and validated once at boot.
import {
  type ApiKeyEntry,
  authEnv,
  env,
  type EnvSource,
  httpEnv,
  logEnv,
  mongoEnv,
  type MongoSettings,
  mongoSettings,
  readEnv,
} from '@tokenmeter/telemetry';

export const queryApiEnv = {
  ...httpEnv(3000),
  ...mongoEnv,
  ...logEnv,
  ...authEnv,
  QUERY_DEFAULT_LIMIT: env.int({
    description: 'page size of event listings when `limit` is absent',
    default: 100,
    min: 1,
    max: 1_000,
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
    readonly http: { host: string; port: number },
    readonly mongo: MongoSettings,
    readonly query: { defaultLimit: number; maxLimit: number; defaultRangeMs: number },
    readonly logLevel: string,
    readonly shutdownTimeoutMs: number,
    readonly apiKeys: readonly ApiKeyEntry[],
  ) {}

  static fromEnv(source: EnvSource): QueryApiConfig {
    const e = readEnv(queryApiEnv, source);
    return new QueryApiConfig(
      { host: e.HTTP_HOST, port: e.HTTP_PORT },
      mongoSettings(e),
      { defaultLimit: e.QUERY_DEFAULT_LIMIT, maxLimit: 1_000, defaultRangeMs: e.QUERY_DEFAULT_RANGE_HOURS * 3_600_000 },
      e.LOG_LEVEL,
      e.SHUTDOWN_TIMEOUT_MS,
      e.API_KEYS,
    );
  }
}
