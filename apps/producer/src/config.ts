// The producer's configuration, read and validated once at boot.
import {
  env,
  httpEnv,
  type KafkaSettings,
  kafkaEnv,
  kafkaSettings,
  logEnv,
  readEnv,
  type EnvSource,
} from '@tokenmeter/telemetry';

export const producerEnv = {
  ...httpEnv(3001),
  ...kafkaEnv,
  ...logEnv,
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
  PRODUCER_PUBLISH_TIMEOUT_MS: env.int({
    description: 'how long a request waits for Kafka acks before answering 503',
    default: 5_000,
    min: 100,
    max: 120_000,
  }),
  PRODUCER_RETRY_AFTER_S: env.int({
    description: 'Retry-After seconds sent with a 503',
    default: 5,
    min: 1,
    max: 3_600,
  }),
  RAW_RETENTION_DAYS: env.int({
    description: 'raw event retention; older events are rejected',
    default: 7,
    min: 1,
    max: 3_650,
  }),
};

export class ProducerConfig {
  constructor(
    readonly http: { host: string; port: number; bodyLimitBytes: number },
    readonly kafka: KafkaSettings,
    readonly ingest: {
      maxEventsPerRequest: number;
      publishTimeoutMs: number;
      retryAfterS: number;
      maxEventAgeMs: number;
    },
    readonly logLevel: string,
    readonly shutdownTimeoutMs: number,
  ) {}

  static fromEnv(source: EnvSource): ProducerConfig {
    const e = readEnv(producerEnv, source);
    return new ProducerConfig(
      { host: e.HTTP_HOST, port: e.HTTP_PORT, bodyLimitBytes: e.PRODUCER_BODY_LIMIT_BYTES },
      kafkaSettings(e, 'producer'),
      {
        maxEventsPerRequest: e.PRODUCER_MAX_EVENTS_PER_REQUEST,
        publishTimeoutMs: e.PRODUCER_PUBLISH_TIMEOUT_MS,
        retryAfterS: e.PRODUCER_RETRY_AFTER_S,
        maxEventAgeMs: e.RAW_RETENTION_DAYS * 86_400_000,
      },
      e.LOG_LEVEL,
      e.SHUTDOWN_TIMEOUT_MS,
    );
  }
}
