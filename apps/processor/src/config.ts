// The processor's configuration, read and validated once at boot.
import {
  env,
  type EnvSource,
  httpEnv,
  type HttpSettings,
  httpSettings,
  type KafkaSettings,
  kafkaEnv,
  kafkaSettings,
  logEnv,
  readEnv,
} from '@tokenmeter/telemetry';
import { storageEnv, type StorageSettings, storageSettings } from '@tokenmeter/storage';

export const processorEnv = {
  ...httpEnv(3002),
  ...kafkaEnv,
  ...storageEnv,
  ...logEnv,
  PROCESSOR_GROUP_PREFIX: env.string({
    description: 'consumer group id prefix; the group of a topic is <prefix>.<topic>',
    default: 'tokenmeter-processor',
    pattern: /^[A-Za-z0-9._-]{1,200}$/,
    patternHint: '1-200 chars of A-Z a-z 0-9 . _ -',
  }),
  PROCESSOR_MAX_BYTES_PER_PARTITION: env.int({
    description: 'largest fetch per partition (bounds a batch)',
    default: 1024 * 1024,
    min: 1024,
    max: 64 * 1024 * 1024,
  }),
  PROCESSOR_MAX_WAIT_MS: env.int({ description: 'how long a fetch waits for data', default: 250, min: 0, max: 30_000 }),
  PROCESSOR_MAX_MESSAGE_BYTES: env.int({
    description: 'messages larger than this go to the DLQ as oversized',
    default: 64 * 1024,
    min: 512,
    max: 16 * 1024 * 1024,
  }),
  PROCESSOR_RETRY_MAX_BACKOFF_MS: env.int({
    description: 'cap of the backoff between retries of a failed batch write',
    default: 5_000,
    min: 10,
    max: 300_000,
  }),
  PROCESSOR_STUCK_AFTER_MS: env.int({
    description:
      'liveness fails when a batch has been in flight this long while MongoDB answers a new connection (stuck, not waiting)',
    default: 120_000,
    min: 1_000,
    max: 3_600_000,
  }),
  RAW_RETENTION_DAYS: env.int({
    description: 'raw event retention; older events go to the DLQ',
    default: 7,
    min: 1,
    max: 3_650,
  }),
  ROLLUP_1M_RETENTION_DAYS: env.int({ description: '1-minute rollup retention', default: 30, min: 1, max: 3_650 }),
  ROLLUP_1H_RETENTION_DAYS: env.int({ description: '1-hour rollup retention', default: 400, min: 1, max: 36_500 }),
  RETENTION_INTERVAL_S: env.int({
    description: 'seconds between retention runs; 0 turns retention off',
    default: 3_600,
    min: 0,
    max: 86_400,
  }),
};

export class ProcessorConfig {
  constructor(
    readonly http: HttpSettings,
    readonly kafka: KafkaSettings,
    readonly mongo: StorageSettings,
    readonly consumer: {
      groupPrefix: string;
      maxBytesPerPartition: number;
      maxWaitMs: number;
      maxMessageBytes: number;
      retryMaxBackoffMs: number;
      stuckAfterMs: number;
    },
    readonly maxEventAgeMs: number,
    readonly retention: { rawMs: number; rollup1mMs: number; rollup1hMs: number; intervalMs: number },
    readonly logLevel: string,
    readonly shutdownTimeoutMs: number,
  ) {}

  static fromEnv(source: EnvSource): ProcessorConfig {
    const e = readEnv(processorEnv, source);
    return new ProcessorConfig(
      httpSettings(e),
      kafkaSettings(e, 'processor'),
      storageSettings(e),
      {
        groupPrefix: e.PROCESSOR_GROUP_PREFIX,
        maxBytesPerPartition: e.PROCESSOR_MAX_BYTES_PER_PARTITION,
        maxWaitMs: e.PROCESSOR_MAX_WAIT_MS,
        maxMessageBytes: e.PROCESSOR_MAX_MESSAGE_BYTES,
        retryMaxBackoffMs: e.PROCESSOR_RETRY_MAX_BACKOFF_MS,
        stuckAfterMs: e.PROCESSOR_STUCK_AFTER_MS,
      },
      e.RAW_RETENTION_DAYS * 86_400_000,
      {
        rawMs: e.RAW_RETENTION_DAYS * 86_400_000,
        rollup1mMs: e.ROLLUP_1M_RETENTION_DAYS * 86_400_000,
        rollup1hMs: e.ROLLUP_1H_RETENTION_DAYS * 86_400_000,
        intervalMs: e.RETENTION_INTERVAL_S * 1_000,
      },
      e.LOG_LEVEL,
      e.SHUTDOWN_TIMEOUT_MS,
    );
  }
}
