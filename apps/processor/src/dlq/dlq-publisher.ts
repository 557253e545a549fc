// Dead-letter publishing: the original key and value, plus Kafka Connect-style error headers.
import { type BeforeApplicationShutdown, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { DLQ_HEADERS } from '@tokenmeter/contracts';
import { createKafka, ensureTopics, javaCompatiblePartitioner, withTimeout } from '@tokenmeter/telemetry';
import { type IHeaders, type Kafka, type Producer } from 'kafkajs';
import { ProcessorConfig } from '../config';

export interface DeadLetter {
  originalTopic: string;
  originalPartition: number;
  originalOffset: string;
  key: Buffer | null;
  value: Buffer | null;
  originalHeaders: IHeaders;
  errorClass: string;
  errorMessage: string;
}

/** Header values are capped so one pathological message cannot make the DLQ record too large. */
const MAX_ERROR_MESSAGE_CHARS = 4_000;

@Injectable()
export class DlqPublisher implements OnModuleInit, BeforeApplicationShutdown {
  private readonly logger = new Logger(DlqPublisher.name);
  private readonly kafka: Kafka;
  private readonly producer: Producer;

  constructor(private readonly config: ProcessorConfig) {
    this.kafka = createKafka(config.kafka, { clientId: `${config.kafka.clientId}-dlq` });
    this.producer = this.kafka.producer({
      createPartitioner: javaCompatiblePartitioner,
      allowAutoTopicCreation: false,
      retry: { retries: 5, initialRetryTime: 200, maxRetryTime: 5_000 },
    });
  }

  async onModuleInit(): Promise<void> {
    await ensureTopics(this.kafka, this.config.kafka);
    await this.producer.connect();
  }

  /** Resolves when the DLQ has acknowledged every letter (acks=all). */
  async publish(letters: DeadLetter[]): Promise<void> {
    if (letters.length === 0) return;
    const messages = letters.map((l) => ({
      key: l.key,
      value: l.value,
      headers: {
        ...l.originalHeaders,
        [DLQ_HEADERS.originalTopic]: l.originalTopic,
        [DLQ_HEADERS.originalPartition]: String(l.originalPartition),
        [DLQ_HEADERS.originalOffset]: l.originalOffset,
        [DLQ_HEADERS.errorClass]: l.errorClass,
        [DLQ_HEADERS.errorMessage]: l.errorMessage.slice(0, MAX_ERROR_MESSAGE_CHARS),
        [DLQ_HEADERS.errorStage]: 'VALIDATE',
      },
    }));
    await withTimeout(
      this.producer.send({ topic: this.config.kafka.topics.dlq, messages, acks: -1 }),
      this.config.kafka.requestTimeoutMs * 2,
      'the DLQ did not acknowledge in time',
    );
    this.logger.warn(
      { count: letters.length, errorClasses: [...new Set(letters.map((l) => l.errorClass))] },
      'messages dead-lettered',
    );
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.producer.disconnect();
  }
}
