// A kafkajs consumer for one topic, wrapped so the commit rule is in one place:
// a batch's offsets are committed only after its handler resolved (its writes are
// acknowledged). A failing handler is retried with capped backoff while the partition
// stays assigned; nothing is committed meanwhile, so nothing is lost (SPEC §6).
import { Logger } from '@nestjs/common';
import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';

export interface TopicConsumerOptions {
  topic: string;
  groupId: string;
  maxBytesPerPartition: number;
  maxWaitMs: number;
  retryMaxBackoffMs: number;
}

/**
 * Marks a consumer crash in the readiness reason. On a fresh cluster the first join usually
 * crashes once ("The coordinator is loading"); without clearing it on the rejoin, readiness
 * stayed down until the first batch arrived.
 */
const CRASH_PREFIX = 'consumer crashed and restarts: ';

export type BatchHandler = (batch: EachBatchPayload['batch']) => Promise<void>;

/** Where a consumer is between fetches (the batch processor reports the steps inside a batch). */
export type ConsumerStage = 'idle' | 'backoff' | 'commit';

/** The batch a consumer is handling now: what liveness looks at to tell stuck from waiting. */
export interface BatchInFlight {
  topic: string;
  partition: number;
  firstOffset: string;
  /** When the consumer started on this batch (its first attempt). */
  sinceMs: number;
  /** Attempts that failed so far. */
  failedAttempts: number;
  lastError?: string;
}

export interface TopicConsumerHooks {
  /** A write failed (each failed attempt). */
  onWriteFailure?: () => void;
  /** Every (re)join of the group: partitions may have had another owner meanwhile. */
  onJoin?: () => void;
  onStage?: (stage: ConsumerStage) => void;
  nowMs?: () => number;
}

export class TopicConsumer {
  private readonly logger: Logger;
  private readonly consumer: Consumer;
  private readonly stopping = new AbortController();
  private joined = false;
  private lastError: string | undefined;
  private current: BatchInFlight | undefined;
  private readonly nowMs: () => number;

  constructor(
    kafka: Kafka,
    private readonly options: TopicConsumerOptions,
    private readonly handler: BatchHandler,
    private readonly hooks: TopicConsumerHooks = {},
  ) {
    this.nowMs = hooks.nowMs ?? Date.now;
    this.logger = new Logger(`TopicConsumer:${options.topic}`);
    this.consumer = kafka.consumer({
      groupId: options.groupId,
      maxBytesPerPartition: options.maxBytesPerPartition,
      maxWaitTimeInMs: options.maxWaitMs,
      sessionTimeout: 30_000,
      heartbeatInterval: 3_000,
      allowAutoTopicCreation: false,
      // kafkajs gives up on a crashed consumer unless told to restart it.
      retry: { retries: 10, restartOnFailure: () => Promise.resolve(true) },
    });
    this.consumer.on(this.consumer.events.GROUP_JOIN, () => {
      this.joined = true;
      // A crash that the restart got over is history; a failing write stays until a batch is stored.
      if (this.lastError?.startsWith(CRASH_PREFIX) === true) this.lastError = undefined;
      this.hooks.onJoin?.();
    });
    this.consumer.on(this.consumer.events.CRASH, (event) => {
      this.joined = false;
      this.lastError = `${CRASH_PREFIX}${String(event.payload.error)}`;
    });
  }

  async start(): Promise<void> {
    await this.consumer.connect();
    // A new group starts from the beginning: events produced before the first
    // processor started are still stored.
    await this.consumer.subscribe({ topic: this.options.topic, fromBeginning: true });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 1,
      eachBatch: (payload) => this.onBatch(payload),
    });
    this.logger.log({ groupId: this.options.groupId }, 'consuming');
  }

  /** Readiness: joined the group and no write is failing. */
  status(): { ok: boolean; reason?: string } {
    if (!this.joined) return { ok: false, reason: this.lastError ?? 'not (yet) a member of the consumer group' };
    if (this.lastError !== undefined) return { ok: false, reason: this.lastError };
    return { ok: true };
  }

  /** The batch being handled now (including its retries), if any. */
  batchInFlight(): BatchInFlight | undefined {
    return this.current === undefined ? undefined : { ...this.current };
  }

  private async onBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const last = batch.messages[batch.messages.length - 1];
    if (last === undefined) return;
    this.current = {
      topic: batch.topic,
      partition: batch.partition,
      firstOffset: batch.firstOffset() ?? last.offset,
      sinceMs: this.nowMs(),
      failedAttempts: 0,
    };
    try {
      await this.storeAndCommit(payload, last.offset);
    } finally {
      this.current = undefined;
      this.hooks.onStage?.('idle');
    }
  }

  private async storeAndCommit(payload: EachBatchPayload, lastOffset: string): Promise<void> {
    const { batch } = payload;
    for (let attempt = 1; ; attempt += 1) {
      // Revoked (rebalance) or stopping: leave the batch uncommitted for its next owner.
      if (!payload.isRunning() || payload.isStale()) return;
      try {
        await this.handler(batch);
        this.lastError = undefined;
        break;
      } catch (error) {
        this.hooks.onWriteFailure?.();
        this.lastError = `storing a batch failed: ${error instanceof Error ? error.message : String(error)}`;
        if (this.current !== undefined) {
          this.current.failedAttempts = attempt;
          this.current.lastError = this.lastError;
        }
        const backoffMs = Math.min(this.options.retryMaxBackoffMs, 100 * 2 ** Math.min(attempt, 16));
        this.logger.warn(
          { partition: batch.partition, firstOffset: batch.firstOffset(), attempt, backoffMs, err: this.lastError },
          'batch not stored; retrying, nothing committed',
        );
        // A failed heartbeat means the group is rebalancing: this member may lose the
        // partition, so it stops retrying (and writing) and leaves the batch uncommitted.
        const stillMember = await payload.heartbeat().then(
          () => true,
          () => false,
        );
        if (!stillMember) {
          this.logger.warn({ partition: batch.partition }, 'rebalance during retries; batch left uncommitted');
          return;
        }
        this.hooks.onStage?.('backoff');
        await this.sleep(backoffMs);
      }
    }
    this.hooks.onStage?.('commit');
    payload.resolveOffset(lastOffset);
    // Explicit offsets through the batch payload: kafkajs' consumer.commitOffsets() is a
    // silent no-op once stop() has begun, which would leave the drained batch uncommitted.
    await payload.commitOffsetsIfNecessary({
      topics: [
        {
          topic: batch.topic,
          partitions: [{ partition: batch.partition, offset: (BigInt(lastOffset) + 1n).toString() }],
        },
      ],
    });
    await payload.heartbeat();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const onAbort = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.stopping.signal.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      this.stopping.signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Stops fetching, lets the batch in flight finish and commit, then leaves the group. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.consumer.disconnect();
    this.logger.log('stopped');
  }
}
