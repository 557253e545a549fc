'use strict';
Object.defineProperty(exports, '__esModule', { value: true });
exports.logEnv = exports.mongoEnv = exports.kafkaEnv = void 0;
exports.httpEnv = httpEnv;
exports.kafkaSettings = kafkaSettings;
exports.mongoSettings = mongoSettings;
// Variables shared by the three apps: Kafka, MongoDB, HTTP, logging, shutdown.
const contracts_1 = require('../../../contracts/src/index.js');
const env_1 = require('./env');
const HOST_PORT = /^[A-Za-z0-9.-]+:\d{1,5}$|^\[[0-9A-Fa-f:]+\]:\d{1,5}$/;
const TOPIC_NAME = /^[A-Za-z0-9._-]{1,249}$/;
const TOPIC_HINT = 'a Kafka topic name (1-249 chars of A-Z a-z 0-9 . _ -)';
exports.kafkaEnv = {
  KAFKA_BROKERS: env_1.env.list({
    description: 'comma-separated Kafka bootstrap servers, host:port',
    itemPattern: HOST_PORT,
    itemHint: 'host:port',
  }),
  KAFKA_CLIENT_ID: env_1.env.string({
    description: 'Kafka client id prefix',
    default: 'tokenmeter',
    pattern: /^[A-Za-z0-9._-]{1,100}$/,
    patternHint: '1-100 chars of A-Z a-z 0-9 . _ -',
  }),
  KAFKA_TOPIC_TOKENS: env_1.env.string({
    description: 'token usage topic',
    default: contracts_1.DEFAULT_TOPICS.tokens,
    pattern: TOPIC_NAME,
    patternHint: TOPIC_HINT,
  }),
  KAFKA_TOPIC_GPU: env_1.env.string({
    description: 'GPU sample topic',
    default: contracts_1.DEFAULT_TOPICS.gpu,
    pattern: TOPIC_NAME,
    patternHint: TOPIC_HINT,
  }),
  KAFKA_TOPIC_DLQ: env_1.env.string({
    description: 'dead-letter topic',
    default: contracts_1.DEFAULT_TOPICS.dlq,
    pattern: TOPIC_NAME,
    patternHint: TOPIC_HINT,
  }),
  KAFKA_CREATE_TOPICS: env_1.env.bool({ description: 'create missing topics at boot', default: true }),
  KAFKA_TOPIC_PARTITIONS: env_1.env.int({
    description: 'partitions of topics created at boot',
    default: 6,
    min: 1,
    max: 10_000,
  }),
  KAFKA_REPLICATION_FACTOR: env_1.env.int({
    description: 'replication factor of topics created at boot',
    default: 1,
    min: 1,
    max: 32,
  }),
  KAFKA_CONNECT_TIMEOUT_MS: env_1.env.int({
    description: 'Kafka connection timeout',
    default: 3_000,
    min: 100,
    max: 120_000,
  }),
  KAFKA_REQUEST_TIMEOUT_MS: env_1.env.int({
    description: 'Kafka request timeout',
    default: 10_000,
    min: 100,
    max: 300_000,
  }),
};
exports.mongoEnv = {
  MONGO_URL: env_1.env.url({
    description: 'MongoDB connection string (mongodb:// or mongodb+srv://)',
    protocols: ['mongodb', 'mongodb+srv'],
    secret: true,
  }),
  MONGO_DB: env_1.env.string({
    description: 'database name; defaults to the path of MONGO_URL, else "tokenmeter"',
    default: '',
    pattern: /^[A-Za-z0-9_-]{1,63}$/,
    patternHint: '1-63 chars of A-Z a-z 0-9 _ -',
  }),
  MONGO_SERVER_SELECTION_TIMEOUT_MS: env_1.env.int({
    description: 'how long a MongoDB operation waits for a server',
    default: 5_000,
    min: 100,
    max: 120_000,
  }),
};
exports.logEnv = {
  LOG_LEVEL: env_1.env.oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
    description: 'log level',
    default: 'info',
  }),
  SHUTDOWN_TIMEOUT_MS: env_1.env.int({
    description: 'hard limit for a graceful shutdown',
    default: 25_000,
    min: 1_000,
    max: 600_000,
  }),
};
function httpEnv(defaultPort) {
  return {
    HTTP_PORT: env_1.env.int({ description: 'HTTP port', default: defaultPort, min: 1, max: 65_535 }),
    HTTP_HOST: env_1.env.string({ description: 'HTTP listen address', default: '0.0.0.0' }),
  };
}
function kafkaSettings(e, clientSuffix) {
  return {
    brokers: e.KAFKA_BROKERS,
    clientId: `${e.KAFKA_CLIENT_ID}-${clientSuffix}`,
    topics: { tokens: e.KAFKA_TOPIC_TOKENS, gpu: e.KAFKA_TOPIC_GPU, dlq: e.KAFKA_TOPIC_DLQ },
    createTopics: e.KAFKA_CREATE_TOPICS,
    topicPartitions: e.KAFKA_TOPIC_PARTITIONS,
    replicationFactor: e.KAFKA_REPLICATION_FACTOR,
    connectionTimeoutMs: e.KAFKA_CONNECT_TIMEOUT_MS,
    requestTimeoutMs: e.KAFKA_REQUEST_TIMEOUT_MS,
  };
}
function mongoSettings(e) {
  let dbName = e.MONGO_DB;
  if (dbName === '') {
    const path = new URL(e.MONGO_URL).pathname.replace(/^\//, '');
    dbName = path === '' ? 'tokenmeter' : decodeURIComponent(path);
  }
  return { url: e.MONGO_URL, dbName, serverSelectionTimeoutMs: e.MONGO_SERVER_SELECTION_TIMEOUT_MS };
}
//# sourceMappingURL=common.js.map
