// Variables shared by the three apps: Kafka, MongoDB, HTTP, logging, shutdown.
import { DEFAULT_TOPICS } from '@tokenmeter/contracts';
import { type ApiKeyEntry, parseApiKeys } from '../auth/api-keys';
import { env, type EnvValues } from './env';
import {
  type KafkaSecurity,
  kafkaSecurity,
  kafkaSecurityEnv,
  type MongoSecurity,
  mongoSecurity,
  mongoSecurityEnv,
} from './transport-security';

const HOST_PORT = /^[A-Za-z0-9.-]+:\d{1,5}$|^\[[0-9A-Fa-f:]+\]:\d{1,5}$/;
const TOPIC_NAME = /^[A-Za-z0-9._-]{1,249}$/;
const TOPIC_HINT = 'a Kafka topic name (1-249 chars of A-Z a-z 0-9 . _ -)';

export const kafkaEnv = {
  KAFKA_BROKERS: env.list({
    description: 'comma-separated Kafka bootstrap servers, host:port',
    itemPattern: HOST_PORT,
    itemHint: 'host:port',
  }),
  KAFKA_CLIENT_ID: env.string({
    description: 'Kafka client id prefix',
    default: 'tokenmeter',
    pattern: /^[A-Za-z0-9._-]{1,100}$/,
    patternHint: '1-100 chars of A-Z a-z 0-9 . _ -',
  }),
  KAFKA_TOPIC_TOKENS: env.string({
    description: 'token usage topic',
    default: DEFAULT_TOPICS.tokens,
    pattern: TOPIC_NAME,
    patternHint: TOPIC_HINT,
  }),
  KAFKA_TOPIC_GPU: env.string({
    description: 'GPU sample topic',
    default: DEFAULT_TOPICS.gpu,
    pattern: TOPIC_NAME,
    patternHint: TOPIC_HINT,
  }),
  KAFKA_TOPIC_DLQ: env.string({
    description: 'dead-letter topic',
    default: DEFAULT_TOPICS.dlq,
    pattern: TOPIC_NAME,
    patternHint: TOPIC_HINT,
  }),
  KAFKA_CREATE_TOPICS: env.bool({ description: 'create missing topics at boot', default: true }),
  KAFKA_TOPIC_PARTITIONS: env.int({
    description: 'partitions of topics created at boot',
    default: 6,
    min: 1,
    max: 10_000,
  }),
  KAFKA_REPLICATION_FACTOR: env.int({
    description: 'replication factor of topics created at boot',
    default: 1,
    min: 1,
    max: 32,
  }),
  KAFKA_CONNECT_TIMEOUT_MS: env.int({
    description: 'Kafka connection timeout',
    default: 3_000,
    min: 100,
    max: 120_000,
  }),
  KAFKA_REQUEST_TIMEOUT_MS: env.int({ description: 'Kafka request timeout', default: 10_000, min: 100, max: 300_000 }),
  ...kafkaSecurityEnv,
};

export const mongoEnv = {
  MONGO_URL: env.url({
    description: 'MongoDB connection string (mongodb:// or mongodb+srv://)',
    protocols: ['mongodb', 'mongodb+srv'],
    secret: true,
  }),
  MONGO_DB: env.string({
    description: 'database name; defaults to the path of MONGO_URL, else "tokenmeter"',
    default: '',
    pattern: /^[A-Za-z0-9_-]{1,63}$/,
    patternHint: '1-63 chars of A-Z a-z 0-9 _ -',
  }),
  MONGO_SERVER_SELECTION_TIMEOUT_MS: env.int({
    description: 'how long a MongoDB operation waits for a server',
    default: 5_000,
    min: 100,
    max: 120_000,
  }),
  ...mongoSecurityEnv,
};

export const logEnv = {
  LOG_LEVEL: env.oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, {
    description: 'log level',
    default: 'info',
  }),
  SHUTDOWN_TIMEOUT_MS: env.int({
    description: 'hard limit for a graceful shutdown',
    default: 25_000,
    min: 1_000,
    max: 600_000,
  }),
};

export function httpEnv(defaultPort: number) {
  return {
    HTTP_PORT: env.int({ description: 'HTTP port', default: defaultPort, min: 1, max: 65_535 }),
    HTTP_HOST: env.string({ description: 'HTTP listen address', default: '0.0.0.0' }),
    HTTP_CORS_ORIGINS: env.list({
      description: 'browser origins allowed to call the API cross-origin (exact match); empty = CORS off',
      default: [],
      itemPattern: /^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?$/,
      itemHint: 'an origin like https://dashboard.example.com (scheme, host, optional port; no path)',
    }),
    HTTP_REQUEST_TIMEOUT_MS: env.int({
      description: 'longest a request may take to arrive and be answered before the connection is closed',
      default: 30_000,
      min: 1_000,
      max: 600_000,
    }),
    HTTP_MAX_HEADER_BYTES: env.int({
      description: 'largest request head (request line and headers) accepted; larger gets 431',
      default: 16 * 1024,
      min: 1024,
      max: 1024 * 1024,
    }),
  };
}

/** How an app's HTTP server listens and what it accepts (createHttpApp). */
export interface HttpSettings {
  host: string;
  port: number;
  corsOrigins: readonly string[];
  requestTimeoutMs: number;
  maxHeaderBytes: number;
}

export function httpSettings(e: EnvValues<ReturnType<typeof httpEnv>>): HttpSettings {
  return {
    host: e.HTTP_HOST,
    port: e.HTTP_PORT,
    corsOrigins: e.HTTP_CORS_ORIGINS,
    requestTimeoutMs: e.HTTP_REQUEST_TIMEOUT_MS,
    maxHeaderBytes: e.HTTP_MAX_HEADER_BYTES,
  };
}

export interface KafkaSettings {
  brokers: readonly string[];
  clientId: string;
  topics: { tokens: string; gpu: string; dlq: string };
  createTopics: boolean;
  topicPartitions: number;
  replicationFactor: number;
  connectionTimeoutMs: number;
  requestTimeoutMs: number;
  /** TLS and SASL (transport-security.ts); absent: plaintext. */
  security?: KafkaSecurity;
}

export interface MongoSettings {
  url: string;
  dbName: string;
  serverSelectionTimeoutMs: number;
  /** TLS and credentials beyond MONGO_URL (transport-security.ts); absent: none. */
  security?: MongoSecurity;
}

export function kafkaSettings(e: EnvValues<typeof kafkaEnv>, clientSuffix: string): KafkaSettings {
  return {
    brokers: e.KAFKA_BROKERS,
    clientId: `${e.KAFKA_CLIENT_ID}-${clientSuffix}`,
    topics: { tokens: e.KAFKA_TOPIC_TOKENS, gpu: e.KAFKA_TOPIC_GPU, dlq: e.KAFKA_TOPIC_DLQ },
    createTopics: e.KAFKA_CREATE_TOPICS,
    topicPartitions: e.KAFKA_TOPIC_PARTITIONS,
    replicationFactor: e.KAFKA_REPLICATION_FACTOR,
    connectionTimeoutMs: e.KAFKA_CONNECT_TIMEOUT_MS,
    requestTimeoutMs: e.KAFKA_REQUEST_TIMEOUT_MS,
    security: kafkaSecurity(e),
  };
}

export function mongoSettings(e: EnvValues<typeof mongoEnv>): MongoSettings {
  let dbName = e.MONGO_DB;
  if (dbName === '') {
    const path = new URL(e.MONGO_URL).pathname.replace(/^\//, '');
    dbName = path === '' ? 'tokenmeter' : decodeURIComponent(path);
  }
  return {
    url: e.MONGO_URL,
    dbName,
    serverSelectionTimeoutMs: e.MONGO_SERVER_SELECTION_TIMEOUT_MS,
    security: mongoSecurity(e),
  };
}

export const authEnv = {
  API_KEYS: env.custom<readonly ApiKeyEntry[]>(
    {
      description:
        'API keys as `sha256:<hex of the key>=<tenant|tenant or *>` entries separated by `;`; empty = no authentication (local development only)',
      default: [],
    },
    (raw) => {
      const parsed = parseApiKeys(raw);
      return parsed.ok ? { ok: true, value: parsed.keys } : { ok: false, problem: parsed.problem };
    },
  ),
};
