// The producer's configuration, read and validated once at boot.
import { hostname } from 'node:os';
import {
  type ApiKeyEntry,
  authEnv,
  env,
  httpEnv,
  type HttpSettings,
  httpSettings,
  type KafkaSettings,
  kafkaEnv,
  kafkaSettings,
  logEnv,
  type RateLimitSettings,
  readEnv,
  type EnvSource,
} from '@tokenmeter/telemetry';

/** `url` or `node=url`: the node a scraped target's events are attributed to. */
export interface ScrapeTarget {
  url: string;
  node: string;
}

const TARGET = /^(?:([A-Za-z0-9._-]{1,253})=)?(https?:\/\/\S+)$/;

function scrapeTargets(description: string) {
  return env.custom<readonly ScrapeTarget[]>({ description, default: [] }, (raw) => {
    const targets: ScrapeTarget[] = [];
    for (const [i, item] of raw
      .split(',')
      .map((s) => s.trim())
      .entries()) {
      const match = TARGET.exec(item);
      let url: URL | undefined;
      try {
        url = match?.[2] === undefined ? undefined : new URL(match[2]);
      } catch {
        url = undefined;
      }
      if (match === null || url === undefined) {
        return { ok: false, problem: `item ${i + 1} must be an http(s) URL, optionally prefixed by "<node>="` };
      }
      targets.push({ url: url.toString(), node: match[1] ?? url.hostname });
    }
    return { ok: true, value: targets };
  });
}

/** Scrape intervals divide a minute, so every interval lies inside one 1m rollup bucket. */
function scrapeIntervalMs(description: string, defaultMs: number) {
  return env.custom<number>({ description, default: defaultMs }, (raw) => {
    const value = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
    return Number.isSafeInteger(value) && value >= 1_000 && value <= 60_000 && 60_000 % value === 0
      ? { ok: true, value }
      : { ok: false, problem: 'must be milliseconds from 1000 to 60000 that divide 60000 (e.g. 5000, 15000, 30000)' };
  });
}

export const producerEnv = {
  ...httpEnv(3001),
  ...kafkaEnv,
  ...logEnv,
  ...authEnv,
  PRODUCER_BODY_LIMIT_BYTES: env.int({
    description: 'largest accepted request body in bytes; larger bodies get 413',
    default: 5 * 1024 * 1024,
    min: 1024,
    max: 100 * 1024 * 1024,
  }),
  PRODUCER_MAX_EVENTS_PER_REQUEST: env.int({
    description: 'most events in one request; more get 413',
    default: 10_000,
    min: 1,
    max: 1_000_000,
  }),
  PRODUCER_RATE_LIMIT_PER_MINUTE: env.int({
    description: 'ingest requests per minute per API key (per client address without a key); 0 turns it off',
    default: 60_000,
    min: 0,
    max: 10_000_000,
  }),
  PRODUCER_PUBLISH_TIMEOUT_MS: env.int({
    description: 'how long a request waits for Kafka acks before answering 503',
    default: 5_000,
    min: 100,
    max: 120_000,
  }),
  PRODUCER_LINGER_MS: env.int({
    description: 'how long a publish waits for others to share its Kafka produce request; 0 sends at once',
    default: 5,
    min: 0,
    max: 1_000,
  }),
  PRODUCER_BATCH_MAX_MESSAGES: env.int({
    description: 'messages that make a shared produce request go out before the linger ends',
    default: 10_000,
    min: 1,
    max: 1_000_000,
  }),
  PRODUCER_BATCH_MAX_BYTES: env.int({
    description:
      "largest Kafka produce request the producer builds, in bytes; keep it below the broker's message.max.bytes (1 MiB by default)",
    default: 512 * 1024,
    min: 16 * 1024,
    max: 64 * 1024 * 1024,
  }),
  PRODUCER_COMPRESSION: env.oneOf(['none', 'gzip'], {
    description: 'compression of produce requests (gzip trades producer CPU for network and disk)',
    default: 'none',
  }),
  PRODUCER_KAFKA_PROBE_INTERVAL_MS: env.int({
    description: 'while Kafka is unavailable, how often the producer checks whether it is back',
    default: 1_000,
    min: 100,
    max: 60_000,
  }),
  PRODUCER_RETRY_AFTER_S: env.int({
    description: 'Retry-After seconds sent with a 503',
    default: 5,
    min: 1,
    max: 3_600,
  }),
  OTLP_TENANT_ATTRIBUTE: env.string({
    description:
      'OTLP span, data point or resource attribute naming the tenant of GenAI usage received over OTLP; without it the tenant is "default"',
    default: 'tokenmeter.tenant',
    pattern: /^[A-Za-z0-9._-]{1,128}$/,
    patternHint: '1-128 characters of A-Z a-z 0-9 . _ -',
  }),
  RAW_RETENTION_DAYS: env.int({
    description: 'raw event retention; older events are rejected',
    default: 7,
    min: 1,
    max: 3_650,
  }),
  NODE_NAME: env.string({
    description: 'node name for events of local sources (nvidia-smi); defaults to the host name',
    default: hostname(),
    pattern: /^[A-Za-z0-9._-]{1,253}$/,
    patternHint: '1-253 characters of A-Z a-z 0-9 . _ -',
  }),
  SIMULATOR_ENABLED: env.bool({ description: 'run the built-in fleet simulator', default: false }),
  SIMULATOR_EVENTS_PER_SECOND: env.int({
    description: 'mean token events per second the simulator produces',
    default: 20,
    min: 1,
    max: 100_000,
  }),
  SIMULATOR_SEED: env.int({ description: 'seed of the simulator (same seed, same fleet)', default: 1, min: 0 }),
  SIMULATOR_NODES: env.int({ description: 'simulated inference nodes', default: 4, min: 1, max: 1_000 }),
  SIMULATOR_GPUS_PER_NODE: env.int({ description: 'GPUs per simulated node', default: 8, min: 1, max: 64 }),
  SIMULATOR_GPU_SAMPLE_INTERVAL_MS: env.int({
    description: 'interval of simulated GPU samples',
    default: 10_000,
    min: 1_000,
    max: 300_000,
  }),
  DCGM_TARGETS: scrapeTargets(
    'comma-separated dcgm-exporter /metrics URLs, each optionally "<node>=<url>" (node for series without a Hostname label)',
  ),
  DCGM_SCRAPE_INTERVAL_MS: scrapeIntervalMs('interval between DCGM scrapes', 15_000),
  DCGM_UNITS: env.oneOf(['auto', 'legacy', 'current'], {
    description: 'dcgm-exporter units: legacy (MiB, %, mJ), current (bytes, ratio, J), or auto-detected',
    default: 'auto',
  }),
  VLLM_TARGETS: scrapeTargets('comma-separated vLLM /metrics URLs, each optionally "<node>=<url>"'),
  VLLM_SCRAPE_INTERVAL_MS: scrapeIntervalMs('interval between vLLM scrapes', 15_000),
  VLLM_TENANT: env.string({
    description: 'tenant that scraped vLLM usage is accounted to',
    default: 'default',
    pattern: /^[^\s\p{Cc}]{1,256}$/u,
    patternHint: '1-256 characters without spaces or control characters',
  }),
  NVIDIA_SMI_ENABLED: env.bool({ description: 'sample local GPUs with nvidia-smi', default: false }),
  NVIDIA_SMI_PATH: env.string({
    description: 'the nvidia-smi binary (a name on PATH or a path)',
    default: 'nvidia-smi',
  }),
  NVIDIA_SMI_INTERVAL_MS: scrapeIntervalMs('interval between nvidia-smi samples', 15_000),
  SCRAPE_TIMEOUT_MS: env.int({
    description: 'timeout of one scrape (HTTP request or nvidia-smi run)',
    default: 5_000,
    min: 100,
    max: 60_000,
  }),
  SOURCE_MAX_PENDING_EVENTS: env.int({
    description: 'events a source keeps for retry while Kafka is unavailable; the oldest beyond this are dropped',
    default: 100_000,
    min: 0,
    max: 10_000_000,
  }),
};

export interface SourcesConfig {
  node: string;
  simulator: {
    enabled: boolean;
    eventsPerSecond: number;
    seed: number;
    nodes: number;
    gpusPerNode: number;
    gpuSampleIntervalMs: number;
  };
  dcgm: { targets: readonly ScrapeTarget[]; intervalMs: number; units: 'auto' | 'legacy' | 'current' };
  vllm: { targets: readonly ScrapeTarget[]; intervalMs: number; tenant: string };
  nvidiaSmi: { enabled: boolean; path: string; intervalMs: number };
  scrapeTimeoutMs: number;
  maxPendingEvents: number;
}

export class ProducerConfig {
  constructor(
    readonly http: HttpSettings & { bodyLimitBytes: number },
    readonly kafka: KafkaSettings,
    readonly ingest: {
      maxEventsPerRequest: number;
      retryAfterS: number;
      maxEventAgeMs: number;
      otlpTenantAttribute: string;
    },
    readonly publish: {
      timeoutMs: number;
      lingerMs: number;
      maxBatchMessages: number;
      maxBatchBytes: number;
      compression: 'none' | 'gzip';
      probeIntervalMs: number;
    },
    readonly sources: SourcesConfig,
    readonly apiKeys: readonly ApiKeyEntry[],
    readonly rateLimit: RateLimitSettings,
    readonly logLevel: string,
    readonly shutdownTimeoutMs: number,
  ) {}

  static fromEnv(source: EnvSource): ProducerConfig {
    const e = readEnv(producerEnv, source);
    return new ProducerConfig(
      { ...httpSettings(e), bodyLimitBytes: e.PRODUCER_BODY_LIMIT_BYTES },
      kafkaSettings(e, 'producer'),
      {
        maxEventsPerRequest: e.PRODUCER_MAX_EVENTS_PER_REQUEST,
        retryAfterS: e.PRODUCER_RETRY_AFTER_S,
        maxEventAgeMs: e.RAW_RETENTION_DAYS * 86_400_000,
        otlpTenantAttribute: e.OTLP_TENANT_ATTRIBUTE,
      },
      {
        timeoutMs: e.PRODUCER_PUBLISH_TIMEOUT_MS,
        lingerMs: e.PRODUCER_LINGER_MS,
        maxBatchMessages: e.PRODUCER_BATCH_MAX_MESSAGES,
        maxBatchBytes: e.PRODUCER_BATCH_MAX_BYTES,
        compression: e.PRODUCER_COMPRESSION,
        probeIntervalMs: e.PRODUCER_KAFKA_PROBE_INTERVAL_MS,
      },
      {
        node: e.NODE_NAME,
        simulator: {
          enabled: e.SIMULATOR_ENABLED,
          eventsPerSecond: e.SIMULATOR_EVENTS_PER_SECOND,
          seed: e.SIMULATOR_SEED,
          nodes: e.SIMULATOR_NODES,
          gpusPerNode: e.SIMULATOR_GPUS_PER_NODE,
          gpuSampleIntervalMs: e.SIMULATOR_GPU_SAMPLE_INTERVAL_MS,
        },
        dcgm: { targets: e.DCGM_TARGETS, intervalMs: e.DCGM_SCRAPE_INTERVAL_MS, units: e.DCGM_UNITS },
        vllm: { targets: e.VLLM_TARGETS, intervalMs: e.VLLM_SCRAPE_INTERVAL_MS, tenant: e.VLLM_TENANT },
        nvidiaSmi: { enabled: e.NVIDIA_SMI_ENABLED, path: e.NVIDIA_SMI_PATH, intervalMs: e.NVIDIA_SMI_INTERVAL_MS },
        scrapeTimeoutMs: e.SCRAPE_TIMEOUT_MS,
        maxPendingEvents: e.SOURCE_MAX_PENDING_EVENTS,
      },
      e.API_KEYS,
      { limit: e.PRODUCER_RATE_LIMIT_PER_MINUTE, windowMs: 60_000 },
      e.LOG_LEVEL,
      e.SHUTDOWN_TIMEOUT_MS,
    );
  }
}
