// A Nest microservice transport over kafkajs `eachBatch`: one consumer group per event topic,
// each batch handed to the `@EventPattern(<topic kind>)` handler of a feature module, and its
// offsets committed only after that handler resolved (TopicConsumer keeps the rules: retry with
// capped backoff while the partition stays assigned, stop on a rebalance, commit after writes).
//
// Why not the stock Kafka transport of @nestjs/microservices: it hands over one message at a time
// and, when a handler throws, neither retries nor stops — the offset moves on (a lost event) or
// the consumer stalls. Here a handler's failure is the batch's failure: nothing is committed and
// the batch is tried again. The patterns are topic kinds (`tokens`, `gpu`), because topic names
// come from the configuration and decorators are fixed at build time.
import { EVENT_TOPIC_KINDS, type EventTopicKind } from '@tokenmeter/contracts';
import { BaseRpcContext, type CustomTransportStrategy, Server } from '@nestjs/microservices';
import type { EachBatchPayload, Kafka } from 'kafkajs';
import { isObservable, lastValueFrom } from 'rxjs';
import type { ConsumedBatch } from './batch-processor';
import { type BatchInFlight, type ConsumerStage, TopicConsumer } from './topic-consumer';

/** The handler's context (`@Ctx()`): where the batch comes from and how far the partition goes. */
export class KafkaBatchContext extends BaseRpcContext<[kind: EventTopicKind, highWatermark: string]> {
  get kind(): EventTopicKind {
    return this.args[0];
  }

  /** The partition's high watermark when the batch was fetched (the offset after its last message). */
  get highWatermark(): string {
    return this.args[1];
  }
}

export interface KafkaBatchServerOptions {
  /** The configured topic name of each kind. */
  topics: Readonly<Record<EventTopicKind, string>>;
  groupPrefix: string;
  maxBytesPerPartition: number;
  maxWaitMs: number;
  retryMaxBackoffMs: number;
}

/** What the transport reports besides batches (metrics, per-partition state). */
export interface KafkaBatchServerHooks {
  /** The consumer of `kind` (re)joined its group: partitions may have had another owner meanwhile. */
  onJoin?: (kind: EventTopicKind) => void;
  /** A handler failed (each failed attempt). */
  onWriteFailure?: (topic: string) => void;
  onStage?: (topic: string, stage: ConsumerStage) => void;
  nowMs?: () => number;
}

function isEventTopicKind(pattern: string): pattern is EventTopicKind {
  return (EVENT_TOPIC_KINDS as readonly string[]).includes(pattern);
}

export class KafkaBatchServer extends Server implements CustomTransportStrategy {
  /** A handler’s error is the batch’s failure (IngestionController also rethrows it unchanged). */
  override readonly propagatesEventHandlerErrors = true;
  private readonly consumers: TopicConsumer[] = [];
  private closing: Promise<void> | undefined;

  constructor(
    private readonly kafka: Kafka,
    private readonly options: KafkaBatchServerOptions,
    private readonly hooks: KafkaBatchServerHooks = {},
  ) {
    super();
  }

  /** Starts one consumer group per `@EventPattern` topic kind; fails on a pattern that is not one. */
  async listen(callback: (error?: unknown) => void): Promise<void> {
    try {
      for (const pattern of this.messageHandlers.keys()) {
        if (!isEventTopicKind(pattern)) {
          throw new Error(`@EventPattern("${pattern}") is not an event topic kind (${EVENT_TOPIC_KINDS.join(', ')})`);
        }
        const consumer = this.consumerFor(pattern);
        this.consumers.push(consumer);
        await consumer.start();
      }
      callback();
    } catch (error) {
      callback(error);
    }
  }

  /**
   * Stops fetching, lets each batch in flight finish and commit, then leaves the groups. Called in
   * the app's "stop intake and drain" phase (onModuleDestroy) and again by Nest when it disposes
   * the microservice; the second call waits for the first.
   */
  close(): Promise<void> {
    this.closing ??= Promise.all(this.consumers.map((c) => c.stop())).then(() => undefined);
    return this.closing;
  }

  /** Readiness: every consumer joined its group and no write is failing. */
  problems(): string[] {
    return this.consumers
      .map((c) => c.status())
      .filter((s) => !s.ok)
      .map((s) => s.reason ?? 'not ready');
  }

  get groups(): number {
    return this.consumers.length;
  }

  /** The batches being handled now, one per consumer at most (for liveness). */
  batchesInFlight(): (BatchInFlight | undefined)[] {
    return this.consumers.map((c) => c.batchInFlight());
  }

  on(): never {
    throw new Error('KafkaBatchServer emits no events; see problems() and batchesInFlight()');
  }

  unwrap<T>(): T {
    return this.kafka as T;
  }

  private consumerFor(kind: EventTopicKind): TopicConsumer {
    const topic = this.options.topics[kind];
    return new TopicConsumer(
      this.kafka,
      {
        topic,
        groupId: `${this.options.groupPrefix}.${topic}`,
        maxBytesPerPartition: this.options.maxBytesPerPartition,
        maxWaitMs: this.options.maxWaitMs,
        retryMaxBackoffMs: this.options.retryMaxBackoffMs,
      },
      (batch) => this.dispatch(kind, batch),
      {
        onWriteFailure: () => this.hooks.onWriteFailure?.(topic),
        onJoin: () => this.hooks.onJoin?.(kind),
        onStage: (stage) => this.hooks.onStage?.(topic, stage),
        ...(this.hooks.nowMs === undefined ? {} : { nowMs: this.hooks.nowMs }),
      },
    );
  }

  /** Runs the handler of `kind` on the batch; resolves when it (and any stream it returned) is done. */
  async dispatch(kind: EventTopicKind, batch: EachBatchPayload['batch']): Promise<void> {
    const handler = this.getHandlerByPattern(kind);
    if (handler === null) throw new Error(`no @EventPattern("${kind}") handler is registered`);
    const payload: ConsumedBatch = { topic: batch.topic, partition: batch.partition, messages: batch.messages };
    const result: unknown = await handler(payload, new KafkaBatchContext([kind, batch.highWatermark]));
    if (isObservable(result)) await lastValueFrom(result, { defaultValue: undefined });
  }
}
