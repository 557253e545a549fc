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

export class TopicConsumer {
  private readonly logger: Logger;
  private readonly consumer: Consumer;
  private readonly stopping = new AbortController();
  private joined = false;
  private lastError: string | undefined;

  constructor(
    kafka: Kafka,
    private readonly options: TopicConsumerOptions,
    private readonly handler: BatchHandler,
    private readonly onWriteFailure: () => void = () => undefined,
    /** Called on every (re)join of the group: partitions may have had another owner meanwhile. */
    private readonly onJoin: () => void = () => undefined,
  ) {
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
      this.onJoin();
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

  private async onBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const last = batch.messages[batch.messages.length - 1];
    if (last === undefined) return;
    for (let attempt = 1; ; attempt += 1) {
      // Revoked (rebalance) or stopping: leave the batch uncommitted for its next owner.
      if (!payload.isRunning() || payload.isStale()) return;
      try {
        await this.handler(batch);
        this.lastError = undefined;
        break;
      } catch (error) {
        this.onWriteFailure();
        this.lastError = `storing a batch failed: ${error instanceof Error ? error.message : String(error)}`;
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
        await this.sleep(backoffMs);
      }
    }
    payload.resolveOffset(last.offset);
    // Explicit offsets through the batch payload: kafkajs' consumer.commitOffsets() is a
    // silent no-op once stop() has begun, which would leave the drained batch uncommitted.
    await payload.commitOffsetsIfNecessary({
      topics: [
        {
          topic: batch.topic,
          partitions: [{ partition: batch.partition, offset: (BigInt(last.offset) + 1n).toString() }],
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
