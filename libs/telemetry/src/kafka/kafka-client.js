'use strict';
Object.defineProperty(exports, '__esModule', { value: true });
exports.createKafka = createKafka;
exports.ensureTopics = ensureTopics;
exports.pingKafka = pingKafka;
exports.withTimeout = withTimeout;
// Builds kafkajs clients from validated settings, with kafkajs' own logs routed to pino
// (via Nest's Logger) instead of its console logger.
const common_1 = require('@nestjs/common');
const kafkajs_1 = require('kafkajs');
const logger = new common_1.Logger('kafkajs');
function kafkajsLogCreator() {
  return ({ level, log }) => {
    const { message, ...extra } = log;
    switch (level) {
      case kafkajs_1.logLevel.ERROR:
        logger.error(extra, message);
        break;
      case kafkajs_1.logLevel.WARN:
        logger.warn(extra, message);
        break;
      case kafkajs_1.logLevel.INFO:
        logger.log(extra, message);
        break;
      default:
        logger.debug(extra, message);
    }
  };
}
function createKafka(settings, overrides = {}) {
  return new kafkajs_1.Kafka({
    clientId: settings.clientId,
    brokers: [...settings.brokers],
    connectionTimeout: settings.connectionTimeoutMs,
    requestTimeout: settings.requestTimeoutMs,
    logLevel: kafkajs_1.logLevel.WARN,
    logCreator: kafkajsLogCreator,
    ...overrides,
  });
}
/** Creates the pipeline's topics if missing (idempotent; a no-op when disabled). */
async function ensureTopics(kafka, settings) {
  if (!settings.createTopics) return;
  const admin = kafka.admin();
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
      logger.log({ topics: wanted }, 'created Kafka topics');
    }
  } finally {
    await admin.disconnect();
  }
}
/** Readiness probe: one metadata round trip to the cluster. */
async function pingKafka(kafka, timeoutMs) {
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
function withTimeout(promise, ms, message) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
//# sourceMappingURL=kafka-client.js.map
