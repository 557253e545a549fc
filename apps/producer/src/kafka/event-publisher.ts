// The producer's only Kafka side effect: publish events and wait for acks=all (SPEC §5).
//
// Throughput: publishes that arrive within `lingerMs` of each other (concurrent requests,
// source ticks) share one produce request, optionally compressed. Each caller still learns
// the fate of its own messages: the shared request is acknowledged or fails as a whole.
//
// Outages: the first failed publish opens a circuit; while it is open, publishes fail at
// once (the HTTP layer answers 503 in milliseconds instead of waiting for timeouts) and a
// probe asks the cluster every `probeIntervalMs` whether it is back. Readiness reports the
// reason and since when.
import { Injectable, Logger, type BeforeApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import {
  Clock,
  createKafka,
  ensureTopics,
  gauge,
  javaCompatiblePartitioner,
  pingKafka,
  ReadinessRegistry,
  withTimeout,
} from '@tokenmeter/telemetry';
import { CompressionTypes, type Kafka, type Message, type Producer, type TopicMessages } from 'kafkajs';
import { ProducerConfig } from '../config';

export class PublishError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PublishError';
  }
}

export interface OutgoingMessage {
  key: string;
  value: string;
  headers: Record<string, string>;
}

interface Pending {
  topic: string;
  messages: Message[];
  resolve: () => void;
  reject: (error: PublishError) => void;
}

const COMPRESSION: Record<ProducerConfig['publish']['compression'], CompressionTypes> = {
  none: CompressionTypes.None,
  gzip: CompressionTypes.GZIP,
};

const kafkaAvailable = gauge({
  name: 'tokenmeter_producer_kafka_available',
  help: '1 while the producer can publish to Kafka, 0 while its circuit is open (publishes answer 503)',
});

@Injectable()
export class EventPublisher implements OnModuleInit, BeforeApplicationShutdown {
  private readonly logger = new Logger(EventPublisher.name);
  private readonly kafka: Kafka;
  private readonly producer: Producer;
  private queue: Pending[] = [];
  private queuedMessages = 0;
  private lingerTimer: NodeJS.Timeout | undefined;
  private outage: { reason: string; sinceMs: number } | undefined;
  private probeTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly config: ProducerConfig,
    private readonly readiness: ReadinessRegistry,
    private readonly clock: Clock,
  ) {
    // Topic setup and the outage probe use the client's patient default retries. The producer
    // gets its own client with short ones: kafkajs retries a lost connection at the cluster level
    // too, and with the defaults a send to a stopped broker hangs for well over 10 s (measured)
    // instead of failing in under a second.
    this.kafka = createKafka(config.kafka);
    const producerKafka = createKafka(config.kafka, {
      retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 500 },
    });
    this.producer = producerKafka.producer({
      // Java-compatible murmur2 (the same key lands on the same partition as with any other
      // client), without kafkajs's slow 64-bit emulation of it.
      createPartitioner: javaCompatiblePartitioner,
      allowAutoTopicCreation: false,
      // Few, fast retries: a request must get its 503 quickly when Kafka is away.
      retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 1_000 },
    });
    kafkaAvailable.set(1);
  }

  async onModuleInit(): Promise<void> {
    await ensureTopics(this.kafka, this.config.kafka);
    await this.producer.connect();
    this.readiness.register('kafka', async () => {
      const outage = this.outage;
      if (outage !== undefined) {
        const seconds = Math.round((this.clock.nowMs() - outage.sinceMs) / 1_000);
        throw new Error(`publishing to Kafka fails since ${seconds} s (${outage.reason}); answering 503`);
      }
      return pingKafka(this.kafka, this.config.kafka.requestTimeoutMs);
    });
    this.logger.log(
      {
        brokers: this.config.kafka.brokers,
        lingerMs: this.config.publish.lingerMs,
        compression: this.config.publish.compression,
      },
      'Kafka producer connected',
    );
  }

  /** Whether publishes are currently refused (the circuit is open). */
  get unavailableReason(): string | undefined {
    return this.outage?.reason;
  }

  /**
   * Resolves once every message is acknowledged by all in-sync replicas; rejects with
   * PublishError otherwise. After a rejection some messages may still have been written:
   * the client retries the whole request and eventIds make the retry idempotent downstream.
   */
  publish(topic: string, messages: OutgoingMessage[]): Promise<void> {
    if (messages.length === 0) return Promise.resolve();
    if (this.closed) return Promise.reject(new PublishError('the producer is shutting down'));
    if (this.outage !== undefined) {
      return Promise.reject(new PublishError(`Kafka is unavailable: ${this.outage.reason}`));
    }
    return new Promise<void>((resolve, reject) => {
      this.queue.push({
        topic,
        messages: messages.map((m) => ({ key: m.key, value: m.value, headers: m.headers })),
        resolve,
        reject,
      });
      this.queuedMessages += messages.length;
      const { lingerMs, maxBatchMessages } = this.config.publish;
      if (lingerMs === 0 || this.queuedMessages >= maxBatchMessages) this.flush();
      else this.lingerTimer ??= setTimeout(() => this.flush(), lingerMs);
    });
  }

  private flush(): void {
    clearTimeout(this.lingerTimer);
    this.lingerTimer = undefined;
    const batch = this.queue;
    if (batch.length === 0) return;
    this.queue = [];
    this.queuedMessages = 0;
    const sending = this.send(batch);
    this.inFlight.add(sending);
    void sending.finally(() => this.inFlight.delete(sending));
  }

  private async send(batch: Pending[]): Promise<void> {
    const requests = planProduceRequests(batch, this.config.publish.maxBatchBytes);
    const outcomes = await Promise.allSettled(requests.map((r) => this.sendRequest(r.topicMessages)));
    // A caller's messages may span several produce requests: it succeeds only if all of them did.
    const failed = new Map<number, Error>();
    outcomes.forEach((outcome, i) => {
      if (outcome.status === 'fulfilled') return;
      const reason: unknown = outcome.reason;
      const error =
        reason instanceof Error ? reason : new Error(typeof reason === 'string' ? reason : 'produce failed');
      for (const owner of requests[i]?.owners ?? []) if (!failed.has(owner)) failed.set(owner, error);
    });
    batch.forEach((p, i) => {
      const error = failed.get(i);
      if (error === undefined) {
        p.resolve();
        return;
      }
      p.reject(new PublishError(error.message, { cause: error }));
    });
  }

  private async sendRequest(topicMessages: TopicMessages[]): Promise<void> {
    const timeoutMs = this.config.publish.timeoutMs;
    try {
      await withTimeout(
        this.producer.sendBatch({
          topicMessages,
          acks: -1,
          timeout: timeoutMs,
          compression: COMPRESSION[this.config.publish.compression],
        }),
        timeoutMs,
        `Kafka did not acknowledge within ${timeoutMs} ms`,
      );
    } catch (error) {
      if (isOutage(error)) this.openCircuit(error instanceof Error ? error.message : String(error));
      throw error;
    }
  }

  private openCircuit(reason: string): void {
    if (this.outage !== undefined || this.closed) return;
    this.outage = { reason, sinceMs: this.clock.nowMs() };
    kafkaAvailable.set(0);
    this.logger.warn({ reason }, 'Kafka unavailable: publishes answer 503 until it is back');
    this.scheduleProbe();
  }

  private scheduleProbe(): void {
    this.probeTimer = setTimeout(() => void this.probe(), this.config.publish.probeIntervalMs);
  }

  private async probe(): Promise<void> {
    if (this.closed || this.outage === undefined) return;
    try {
      await pingKafka(
        this.kafka,
        Math.min(this.config.kafka.requestTimeoutMs, this.config.publish.probeIntervalMs * 2),
      );
      const downForMs = this.clock.nowMs() - this.outage.sinceMs;
      this.outage = undefined;
      kafkaAvailable.set(1);
      this.logger.log({ downForMs }, 'Kafka is back: publishing again');
    } catch {
      this.scheduleProbe();
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    // Whatever is lingering goes out before the connection closes.
    this.flush();
    this.closed = true;
    clearTimeout(this.probeTimer);
    await Promise.allSettled([...this.inFlight]);
    await this.producer.disconnect();
    this.logger.log('Kafka producer disconnected');
  }
}

/**
 * Whether a failed send means Kafka is unreachable (connection, timeout, leader missing) rather
 * than that these messages are unacceptable (a non-retriable protocol error such as
 * MESSAGE_TOO_LARGE), which must not take the whole producer out.
 */
export function isOutage(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth += 1) {
    const e = current as Error & { retriable?: boolean; originalError?: unknown };
    if (e.name === 'KafkaJSProtocolError' && e.retriable === false) return false;
    current = e.originalError ?? e.cause;
  }
  return true;
}

export interface ProduceRequest {
  topicMessages: TopicMessages[];
  /** Indexes of the publishes (callers) with messages in this request. */
  owners: number[];
}

function messageBytes(m: Message): number {
  let bytes = 70; // record overhead: lengths, offsets, timestamps
  if (typeof m.key === 'string') bytes += Buffer.byteLength(m.key);
  if (typeof m.value === 'string') bytes += Buffer.byteLength(m.value);
  for (const [name, value] of Object.entries(m.headers ?? {})) {
    bytes += Buffer.byteLength(name) + (typeof value === 'string' ? Buffer.byteLength(value) : 0);
  }
  return bytes;
}

/**
 * Cuts the lingering publishes into produce requests of at most `maxBytes` (in publish order;
 * one publish may span several). A partition's records in one request form one record batch,
 * which the broker refuses above its `message.max.bytes` (1 MiB by default): merging requests
 * must never build one (measured: 7 merged 1,000-event requests were refused as too large).
 */
export function planProduceRequests(
  publishes: readonly { topic: string; messages: readonly Message[] }[],
  maxBytes: number,
): ProduceRequest[] {
  const requests: ProduceRequest[] = [];
  let byTopic = new Map<string, Message[]>();
  let owners = new Set<number>();
  let bytes = 0;
  const close = (): void => {
    if (owners.size === 0) return;
    requests.push({
      topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
      owners: [...owners],
    });
    byTopic = new Map();
    owners = new Set();
    bytes = 0;
  };
  publishes.forEach((p, index) => {
    for (const m of p.messages) {
      const size = messageBytes(m);
      if (bytes > 0 && bytes + size > maxBytes) close();
      const list = byTopic.get(p.topic);
      if (list === undefined) byTopic.set(p.topic, [m]);
      else list.push(m);
      owners.add(index);
      bytes += size;
    }
  });
  close();
  return requests;
}
