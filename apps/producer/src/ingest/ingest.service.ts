// Validates a request's events with the shared contracts and publishes the valid ones to
// Kafka, answering only after every accepted event is acknowledged (SPEC §5).
import { Injectable, Logger } from '@nestjs/common';
import {
  CONTENT_TYPE_JSON,
  type FieldError,
  gpuSeriesKey,
  HEADERS,
  type SchemaName,
  tokenSeriesKey,
  validateGpuSample,
  validateTokenUsageEvent,
} from '@tokenmeter/contracts';
import { Clock, ProblemException } from '@tokenmeter/telemetry';
import { ProducerConfig } from '../config';
import { EventPublisher, type OutgoingMessage, PublishError } from '../kafka/event-publisher';
import type { BodyItem } from './ingest-body';

export type EventKind = 'tokens' | 'gpu';

export interface RejectedEvent {
  index: number;
  errors: FieldError[];
}

export interface IngestResult {
  accepted: number;
  rejected: RejectedEvent[];
}

const SCHEMA: Record<EventKind, SchemaName> = { tokens: 'tokens.v1', gpu: 'gpu.v1' };
/** A 400 lists this many rejected events at most, so an error body stays small. */
const MAX_REJECTIONS_IN_PROBLEM = 100;

@Injectable()
export class IngestService {
  private readonly logger = new Logger(IngestService.name);

  constructor(
    private readonly config: ProducerConfig,
    private readonly publisher: EventPublisher,
    private readonly clock: Clock,
  ) {}

  async ingest(kind: EventKind, items: BodyItem[], traceparent: string): Promise<IngestResult> {
    const nowMs = this.clock.nowMs();
    const options = { nowMs, maxAgeMs: this.config.ingest.maxEventAgeMs };
    const headers = {
      [HEADERS.schema]: SCHEMA[kind],
      [HEADERS.contentType]: CONTENT_TYPE_JSON,
      [HEADERS.traceparent]: traceparent,
      [HEADERS.ingestedAt]: new Date(nowMs).toISOString(),
    };
    const messages: OutgoingMessage[] = [];
    const rejected: RejectedEvent[] = [];
    items.forEach((item, index) => {
      if (!item.ok) {
        rejected.push({ index, errors: [{ path: '$', message: item.message }] });
        return;
      }
      if (kind === 'tokens') {
        const result = validateTokenUsageEvent(item.value, options);
        if (result.ok)
          messages.push({ key: tokenSeriesKey(result.value), value: JSON.stringify(result.value), headers });
        else rejected.push({ index, errors: result.errors });
      } else {
        const result = validateGpuSample(item.value, options);
        if (result.ok) messages.push({ key: gpuSeriesKey(result.value), value: JSON.stringify(result.value), headers });
        else rejected.push({ index, errors: result.errors });
      }
    });

    if (messages.length === 0) {
      throw new ProblemException(400, `None of the ${items.length} events is valid.`, {
        errors: rejected
          .slice(0, MAX_REJECTIONS_IN_PROBLEM)
          .flatMap((r) =>
            r.errors.map((e) => ({ path: `$[${r.index}]${e.path.replace(/^\$/, '')}`, message: e.message })),
          ),
        rejected: rejected.slice(0, MAX_REJECTIONS_IN_PROBLEM),
      });
    }

    const topic = kind === 'tokens' ? this.config.kafka.topics.tokens : this.config.kafka.topics.gpu;
    try {
      await this.publisher.publish(topic, messages);
    } catch (error) {
      if (!(error instanceof PublishError)) throw error;
      this.logger.warn({ err: error.message, traceparent, events: messages.length }, 'Kafka could not take the events');
      throw new ProblemException(
        503,
        'Kafka cannot take the events now; none of this request was accepted. Retry later.',
        {
          headers: { 'retry-after': String(this.config.ingest.retryAfterS) },
        },
      );
    }
    this.logger.debug({ traceparent, topic, accepted: messages.length, rejected: rejected.length }, 'events published');
    return { accepted: messages.length, rejected };
  }
}
