// Validates events with the shared contracts and publishes the valid ones to Kafka,
// answering only after every accepted event is acknowledged (SPEC §5). Used by the HTTP
// ingest endpoints and by the built-in sources alike, so both obey the same contracts.
import { Injectable, Logger } from '@nestjs/common';
import {
  CONTENT_TYPE_JSON,
  EVENT_ROUTES,
  type EventBySchemaName,
  type FieldError,
  HEADERS,
  messageKey,
  type SchemaName,
  validateGpuSample,
  validateTokenUsageEvent,
  validateTokenUsageInterval,
  type ValidationOptions,
  type ValidationResult,
} from '@tokenmeter/contracts';
import { Clock, counter, DomainError, mayAccessTenant, type Principal } from '@tokenmeter/telemetry';
import { ProducerConfig } from '../config';
import { EventPublisher, type OutgoingMessage, PublishError } from '../kafka/event-publisher';
import type { BodyItem } from './ingest-body';

export type EventKind = 'tokens' | 'tokenIntervals' | 'gpu';

export interface RejectedEvent {
  index: number;
  errors: FieldError[];
}

export interface IngestResult {
  accepted: number;
  rejected: RejectedEvent[];
}

/** What each ingest endpoint accepts; its topic and message key are the contract's (EVENT_ROUTES). */
interface KindSpec<N extends SchemaName = SchemaName> {
  schema: N;
  validate: (input: unknown, opts: ValidationOptions) => ValidationResult<EventBySchemaName[N]>;
  /** GPU telemetry belongs to the fleet, not to a tenant: only all-tenant keys may write it. */
  fleetWide: boolean;
}

const KINDS: { [K in EventKind]: KindSpec } = {
  tokens: { schema: 'tokens.v1', validate: validateTokenUsageEvent, fleetWide: false } satisfies KindSpec<'tokens.v1'>,
  tokenIntervals: {
    schema: 'tokens-interval.v1',
    validate: validateTokenUsageInterval,
    fleetWide: false,
  } satisfies KindSpec<'tokens-interval.v1'>,
  gpu: { schema: 'gpu.v1', validate: validateGpuSample, fleetWide: true } satisfies KindSpec<'gpu.v1'>,
};

/** The built-in sources publish as the fleet itself. */
export const SOURCES_PRINCIPAL: Principal = { keyId: 'sources', tenants: null };

/** A 400 lists this many rejected events at most, so an error body stays small. */
const MAX_REJECTIONS_IN_PROBLEM = 100;

const ingestedEvents = counter({
  name: 'tokenmeter_producer_events_total',
  help: 'Events offered to the producer, by contract and outcome (accepted, rejected, unavailable)',
  labelNames: ['schema', 'outcome'] as const,
});

@Injectable()
export class IngestService {
  private readonly logger = new Logger(IngestService.name);

  constructor(
    private readonly config: ProducerConfig,
    private readonly publisher: EventPublisher,
    private readonly clock: Clock,
  ) {}

  async ingest(
    kind: EventKind,
    items: BodyItem[],
    traceparent: string,
    principal: Principal = SOURCES_PRINCIPAL,
  ): Promise<IngestResult> {
    const spec = KINDS[kind];
    if (spec.fleetWide && principal.tenants !== null) {
      throw new DomainError(
        'ingest.fleet-key-required',
        'GPU telemetry may only be written with an API key for all tenants ("*").',
      );
    }
    const nowMs = this.clock.nowMs();
    const options = { nowMs, maxAgeMs: this.config.ingest.maxEventAgeMs };
    const headers = {
      [HEADERS.schema]: spec.schema,
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
      const result = spec.validate(item.value, options);
      if (!result.ok) {
        rejected.push({ index, errors: result.errors });
        return;
      }
      const tenant = 'tenant' in result.value ? result.value.tenant : undefined;
      if (tenant !== undefined && !mayAccessTenant(principal, tenant)) {
        rejected.push({
          index,
          errors: [{ path: '$.tenant', message: `this API key may not write tenant "${tenant.slice(0, 64)}"` }],
        });
        return;
      }
      messages.push({ key: messageKey(spec.schema, result.value), value: JSON.stringify(result.value), headers });
    });
    const count = (outcome: string, n: number) => {
      if (n > 0) ingestedEvents.inc({ schema: spec.schema, outcome }, n);
    };
    count('rejected', rejected.length);

    if (messages.length === 0) {
      throw new DomainError('ingest.no-valid-events', `None of the ${items.length} events is valid.`, {
        errors: rejected
          .slice(0, MAX_REJECTIONS_IN_PROBLEM)
          .flatMap((r) =>
            r.errors.map((e) => ({ path: `$[${r.index}]${e.path.replace(/^\$/, '')}`, message: e.message })),
          ),
        rejected: rejected.slice(0, MAX_REJECTIONS_IN_PROBLEM),
      });
    }

    const topic = this.config.kafka.topics[EVENT_ROUTES[spec.schema].topic];
    try {
      await this.publisher.publish(topic, messages);
    } catch (error) {
      if (!(error instanceof PublishError)) throw error;
      count('unavailable', messages.length);
      this.logger.warn({ err: error.message, traceparent, events: messages.length }, 'Kafka could not take the events');
      throw new DomainError(
        'ingest.kafka-unavailable',
        'Kafka cannot take the events now; none of this request was accepted. Retry later.',
        { retryAfterSeconds: this.config.ingest.retryAfterS },
      );
    }
    count('accepted', messages.length);
    this.logger.log({ traceparent, topic, accepted: messages.length, rejected: rejected.length }, 'events published');
    return { accepted: messages.length, rejected };
  }
}
