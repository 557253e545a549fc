// Builds kafkajs clients from validated settings, with kafkajs' own logs routed to pino
// (via Nest's Logger) instead of its console logger.
import { Logger } from '@nestjs/common';
import { Kafka, type KafkaConfig, logLevel, type LogEntry, type SASLOptions } from 'kafkajs';
import { isIP } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { findInChain, StartupError, StartupErrorCode, tlsFailureOf } from '../boot/startup-error';
import type { KafkaSettings } from '../config/common';
import type { KafkaSecurity } from '../config/transport-security';

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

/** The kafkajs `ssl` and `sasl` options of the configured transport security. */
export function kafkaSecurityOptions(security: KafkaSecurity | undefined): Pick<KafkaConfig, 'ssl' | 'sasl'> {
  if (security === undefined || security.protocol === 'plaintext') return {};
  const { tls } = security;
  const ssl: ConnectionOptions = {
    // Never false: an untrusted broker certificate must stop the client, not be accepted.
    rejectUnauthorized: true,
    ...(tls.ca === undefined ? {} : { ca: [tls.ca] }),
    ...(tls.cert === undefined ? {} : { cert: tls.cert }),
    ...(tls.key === undefined ? {} : { key: tls.key.reveal() }),
    ...(tls.servername === undefined ? {} : { servername: tls.servername }),
  };
  if (security.protocol === 'ssl') return { ssl };
  const { mechanism, username, password } = security.sasl;
  const sasl: SASLOptions = { mechanism, username, password: password.reveal() };
  return { ssl, sasl };
}

export function createKafka(settings: KafkaSettings, overrides: Partial<KafkaConfig> = {}): Kafka {
  return new Kafka({
    clientId: settings.clientId,
    brokers: [...settings.brokers],
    connectionTimeout: settings.connectionTimeoutMs,
    requestTimeout: settings.requestTimeoutMs,
    logLevel: logLevel.WARN,
    logCreator: kafkajsLogCreator,
    ...kafkaSecurityOptions(settings.security),
    ...overrides,
  });
}

/**
 * A StartupError when `error` means that Kafka cannot be used with this configuration at all
 * (the credentials were refused, the broker's certificate is not trusted); undefined otherwise.
 */
export function kafkaAccessError(error: unknown, settings: KafkaSettings): StartupError | undefined {
  const sasl = settings.security?.protocol === 'sasl_ssl' ? settings.security.sasl : undefined;
  const refused = findInChain(error, (e) => e.name === 'KafkaJSSASLAuthenticationError');
  if (refused !== undefined) {
    const who = sasl === undefined ? '' : ` (${sasl.mechanism.toUpperCase()} as user "${sasl.username}")`;
    return new StartupError(
      StartupErrorCode.KafkaAuthentication,
      `Kafka refused the SASL credentials${who}: ${refused.message}. ` +
        'Check KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD or KAFKA_SASL_PASSWORD_FILE.',
      { cause: error },
    );
  }
  const tls = tlsFailureOf(error);
  return tls === undefined ? undefined : kafkaTlsError(tls, error);
}

function kafkaTlsError(failure: string, cause: unknown): StartupError {
  return new StartupError(
    StartupErrorCode.KafkaTls,
    `the TLS handshake with the Kafka brokers failed: ${failure}. ` +
      "Check KAFKA_TLS_CA_FILE (the CA that signed the brokers' certificates), KAFKA_TLS_SERVERNAME, " +
      'KAFKA_TLS_CERT_FILE/KAFKA_TLS_KEY_FILE and that KAFKA_BROKERS are TLS listeners.',
    { cause },
  );
}

interface HandshakeFailure {
  description: string;
  error: Error;
}

/** The TLS failure of one handshake with `broker`, or undefined (it worked, or failed otherwise). */
function tlsHandshakeFailure(
  broker: string,
  ssl: ConnectionOptions,
  timeoutMs: number,
): Promise<HandshakeFailure | undefined> {
  const colon = broker.lastIndexOf(':');
  const host = broker.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
  const port = Number(broker.slice(colon + 1));
  return new Promise((resolve) => {
    // The same options kafkajs's socket factory uses: SNI with the broker's name unless overridden.
    const socket = tlsConnect({ host, port, ...(isIP(host) === 0 ? { servername: host } : {}), ...ssl });
    let tcpConnected = false;
    const done = (outcome: HandshakeFailure | undefined): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(outcome);
    };
    const timer = setTimeout(() => done(undefined), timeoutMs);
    socket.once('connect', () => (tcpConnected = true));
    socket.once('secureConnect', () => done(undefined));
    socket.once('error', (error: Error) => {
      const description = tlsFailureOf(error);
      if (description !== undefined) done({ description, error });
      // Reached, then closed in the middle of the handshake: not a TLS listener (or it refused us).
      else if (tcpConnected)
        done({ description: `${error.message} (the broker does not speak TLS on this port?)`, error });
      else done(undefined);
    });
  });
}

/**
 * One TLS handshake with each seed broker before kafkajs connects: kafkajs retries every
 * connection error, an untrusted certificate too, for many seconds (measured: 14 s at boot).
 * Unreachable brokers are left to kafkajs and its own error.
 */
async function checkBrokerTls(settings: KafkaSettings): Promise<void> {
  const { ssl } = kafkaSecurityOptions(settings.security);
  if (ssl === undefined || typeof ssl === 'boolean') return;
  for (const broker of settings.brokers) {
    const failure = await tlsHandshakeFailure(broker, ssl, settings.connectionTimeoutMs);
    if (failure !== undefined) throw kafkaTlsError(failure.description, failure.error);
  }
}

/**
 * Boot: connects once to the cluster (a few quick retries, so an unreachable cluster fails the
 * boot in seconds with its reason; refused credentials or an untrusted certificate fail it at
 * once as a StartupError), then creates the pipeline's topics if missing and enabled.
 */
export async function ensureTopics(kafka: Kafka, settings: KafkaSettings): Promise<void> {
  await checkBrokerTls(settings);
  const admin = kafka.admin({ retry: { retries: 2, initialRetryTime: 200, maxRetryTime: 1_000 } });
  try {
    await admin.connect();
  } catch (error) {
    throw kafkaAccessError(error, settings) ?? error;
  }
  try {
    if (!settings.createTopics) return;
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
