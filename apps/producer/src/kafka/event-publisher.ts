// The producer's only Kafka side effect: publish a request's events and wait for acks=all.
import { Injectable, Logger, type BeforeApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { createKafka, ensureTopics, pingKafka, ReadinessRegistry, withTimeout } from '@tokenmeter/telemetry';
import { type Kafka, type Message, Partitioners, type Producer } from 'kafkajs';
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

@Injectable()
export class EventPublisher implements OnModuleInit, BeforeApplicationShutdown {
  private readonly logger = new Logger(EventPublisher.name);
  private readonly kafka: Kafka;
  private readonly producer: Producer;

  constructor(
    private readonly config: ProducerConfig,
    private readonly readiness: ReadinessRegistry,
  ) {
    this.kafka = createKafka(config.kafka);
    this.producer = this.kafka.producer({
      // Java-compatible murmur2: the same key lands on the same partition as any other client.
      createPartitioner: Partitioners.DefaultPartitioner,
      allowAutoTopicCreation: false,
      // Few, fast retries: a request must get its 503 quickly when Kafka is away.
      retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 1_000 },
    });
  }

  async onModuleInit(): Promise<void> {
    await ensureTopics(this.kafka, this.config.kafka);
    await this.producer.connect();
    this.readiness.register('kafka', () => pingKafka(this.kafka, this.config.kafka.requestTimeoutMs));
    this.logger.log({ brokers: this.config.kafka.brokers }, 'Kafka producer connected');
  }

  /**
   * Resolves once every message is acknowledged by all in-sync replicas; rejects with
   * PublishError otherwise. After a rejection some messages may still have been written:
   * the client retries the whole request and eventIds make the retry idempotent downstream.
   */
  async publish(topic: string, messages: OutgoingMessage[]): Promise<void> {
    if (messages.length === 0) return;
    const kafkaMessages: Message[] = messages.map((m) => ({ key: m.key, value: m.value, headers: m.headers }));
    try {
      await withTimeout(
        this.producer.send({ topic, messages: kafkaMessages, acks: -1, timeout: this.config.ingest.publishTimeoutMs }),
        this.config.ingest.publishTimeoutMs,
        `Kafka did not acknowledge within ${this.config.ingest.publishTimeoutMs} ms`,
      );
    } catch (error) {
      throw new PublishError(error instanceof Error ? error.message : String(error), { cause: error });
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.producer.disconnect();
    this.logger.log('Kafka producer disconnected');
  }
}
