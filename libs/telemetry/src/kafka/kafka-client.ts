// Builds kafkajs clients from validated settings, with kafkajs' own logs routed to pino
// (via Nest's Logger) instead of its console logger.
import { Logger } from '@nestjs/common';
import { Kafka, type KafkaConfig, logLevel, type LogEntry } from 'kafkajs';
import type { KafkaSettings } from '../config/common';

const logger = new Logger('kafkajs');
const topicsLogger = new Logger('KafkaTopics');

function kafkajsLogCreator() {
  return ({ level, log }: LogEntry): void => {
    const { message, ...extra } = log;
    switch (level) {
      case logLevel.ERROR:
        logger.error(extra, message);
        break;
      case logLevel.WARN:
        logger.warn(extra, message);
        break;
      case logLevel.INFO:
        logger.log(extra, message);
        break;
      default:
        logger.debug(extra, message);
    }
  };
}

export function createKafka(settings: KafkaSettings, overrides: Partial<KafkaConfig> = {}): Kafka {
  return new Kafka({
    clientId: settings.clientId,
    brokers: [...settings.brokers],
    connectionTimeout: settings.connectionTimeoutMs,
    requestTimeout: settings.requestTimeoutMs,
    logLevel: logLevel.WARN,
    logCreator: kafkajsLogCreator,
    ...overrides,
  });
}

/** Creates the pipeline's topics if missing (idempotent; a no-op when disabled). */
export async function ensureTopics(kafka: Kafka, settings: KafkaSettings): Promise<void> {
  if (!settings.createTopics) return;
  // Few retries: an unreachable cluster fails the boot quickly with its reason.
  const admin = kafka.admin({ retry: { retries: 2, initialRetryTime: 200, maxRetryTime: 1_000 } });
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const wanted = [settings.topics.tokens, settings.topics.gpu, settings.topics.dlq].filter((t) => !existing.has(t));
    if (wanted.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: wanted.map((topic) => ({
          topic,
          numPartitions: settings.topicPartitions,
          replicationFactor: settings.replicationFactor,
        })),
      });
      topicsLogger.log({ topics: wanted }, 'created Kafka topics');
    }
  } finally {
    await admin.disconnect();
  }
}

/** Readiness probe: one metadata round trip to the cluster. */
export async function pingKafka(kafka: Kafka, timeoutMs: number): Promise<{ brokers: number }> {
  const admin = kafka.admin({ retry: { retries: 0 } });
  const attempt = (async () => {
    await admin.connect();
    try {
      const cluster = await admin.describeCluster();
      return { brokers: cluster.brokers.length };
    } finally {
      await admin.disconnect();
    }
  })();
  return withTimeout(attempt, timeoutMs, 'Kafka did not answer in time');
}

export function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
