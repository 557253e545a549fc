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
import { DEFAULT_CONSOLE_DIR } from './console/console-assets';
import { parsePriceCatalog, type PriceCatalog } from './costs/price-catalog';

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
  COST_METRICS_INTERVAL_SECONDS: env.int({
    description: 'how often the month-to-date spend and budget gauges are recomputed (with a price catalog)',
    default: 60,
    min: 1,
    max: 3_600,
  }),
  CONSOLE_ENABLED: env.bool({
    description: 'serve the web console at `/` (it calls the same /v1 endpoints with the user’s API key)',
    default: true,
  }),
  CONSOLE_DIR: env.string({
    description: 'directory of the built console (`npm run build:console`); default: the one next to the service',
    default: DEFAULT_CONSOLE_DIR,
  }),
  PRICE_CATALOG_FILE: env.file({
    description: 'JSON price catalog for /v1/costs (README "Costs"); unset: the cost endpoints answer 404',
    content: 'text',
    check: (file) => {
      if (file === null) return undefined;
      const parsed = parsePriceCatalog(file.contents);
      return parsed.ok ? undefined : `${file.path} is not a valid price catalog: ${parsed.problems.join('; ')}`;
    },
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
    /** The price catalog, when PRICE_CATALOG_FILE names one. */
    readonly priceCatalog: PriceCatalog | null = null,
    readonly costMetricsIntervalMs = 60_000,
    /** The directory of the built web console, or null when it is turned off. */
    readonly consoleDir: string | null = null,
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
      catalogOf(e.PRICE_CATALOG_FILE),
      e.COST_METRICS_INTERVAL_SECONDS * 1_000,
      e.CONSOLE_ENABLED ? e.CONSOLE_DIR : null,
    );
  }
}

/** The catalog of a file the boot check has already validated. */
function catalogOf(file: { contents: string } | null): PriceCatalog | null {
  if (file === null) return null;
  const parsed = parsePriceCatalog(file.contents);
  if (!parsed.ok) throw new Error(`price catalog: ${parsed.problems.join('; ')}`);
  return parsed.catalog;
}
