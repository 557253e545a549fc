// One consumed batch, end to end: decode and validate every message, store the valid
// events, dead-letter the rest. It resolves only when both writes are acknowledged; the
// consumer commits the batch's offsets after that and never before (SPEC §6).
import { Injectable, Logger } from '@nestjs/common';
import {
  gpuSampleToDocument,
  tokenEventToDocument,
  type GpuSampleDocument,
  type TokenEventDocument,
} from '@tokenmeter/contracts/storage';
import { Clock } from '@tokenmeter/telemetry';
import type { KafkaMessage } from 'kafkajs';
import { ProcessorConfig } from '../config';
import { type DeadLetter, DlqPublisher } from '../dlq/dlq-publisher';
import { RawEventRepository } from '../storage/raw-event.repository';
import { decodeMessage, type EventKind } from './decode';
import { ProcessorMetrics } from './processor-metrics';

export interface ConsumedBatch {
  topic: string;
  partition: number;
  messages: KafkaMessage[];
}

export interface BatchOutcome {
  stored: number;
  duplicates: number;
  deadLettered: number;
}

@Injectable()
export class BatchProcessor {
  private readonly logger = new Logger(BatchProcessor.name);

  constructor(
    private readonly config: ProcessorConfig,
    private readonly rawEvents: RawEventRepository,
    private readonly dlq: DlqPublisher,
    private readonly clock: Clock,
    private readonly metrics: ProcessorMetrics,
  ) {}

  async process(kind: EventKind, batch: ConsumedBatch): Promise<BatchOutcome> {
    const nowMs = this.clock.nowMs();
    const storedAt = new Date(nowMs);
    const options = {
      nowMs,
      maxAgeMs: this.config.maxEventAgeMs,
      maxMessageBytes: this.config.consumer.maxMessageBytes,
    };
    const tokenDocs: TokenEventDocument[] = [];
    const gpuDocs: GpuSampleDocument[] = [];
    const letters: DeadLetter[] = [];
    const eventTimesMs: number[] = [];

    for (const message of batch.messages) {
      const decoded = decodeMessage(kind, message, options);
      if (!decoded.ok) {
        letters.push({
          originalTopic: batch.topic,
          originalPartition: batch.partition,
          originalOffset: message.offset,
          key: message.key,
          value: message.value,
          originalHeaders: message.headers ?? {},
          errorClass: decoded.reason,
          errorMessage: decoded.message,
        });
        continue;
      }
      const meta = decoded.ingestedAt === undefined ? { storedAt } : { ingestedAt: decoded.ingestedAt, storedAt };
      if (kind === 'tokens')
        tokenDocs.push(tokenEventToDocument(decoded.event as Parameters<typeof tokenEventToDocument>[0], meta));
      else gpuDocs.push(gpuSampleToDocument(decoded.event as Parameters<typeof gpuSampleToDocument>[0], meta));
      eventTimesMs.push(Date.parse(decoded.event.time));
      if (decoded.traceparent !== undefined) {
        this.logger.debug({ traceparent: decoded.traceparent, eventId: decoded.event.eventId }, 'event decoded');
      }
    }

    const outcome =
      kind === 'tokens'
        ? await this.rawEvents.insertTokenEvents(tokenDocs)
        : await this.rawEvents.insertGpuSamples(gpuDocs);
    await this.dlq.publish(letters);

    const labels = { topic: batch.topic };
    this.metrics.events.inc({ ...labels, outcome: 'consumed' }, batch.messages.length);
    this.metrics.events.inc({ ...labels, outcome: 'stored' }, outcome.inserted);
    this.metrics.events.inc({ ...labels, outcome: 'duplicate' }, outcome.duplicates);
    this.metrics.events.inc({ ...labels, outcome: 'dead_lettered' }, letters.length);
    const storedMs = this.clock.nowMs();
    for (const t of eventTimesMs) this.metrics.e2eLatency.observe(labels, Math.max(0, storedMs - t) / 1000);
    return { stored: outcome.inserted, duplicates: outcome.duplicates, deadLettered: letters.length };
  }
}
