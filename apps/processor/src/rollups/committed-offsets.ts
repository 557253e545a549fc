// The committed offsets of the processor's consumer groups, which `npm run rollups -- rebuild`
// compares with the raw events and watermarks it would use (rollup-rebuild.ts, "uncommitted
// batches"): a processor killed mid-batch leaves stored events and written documents past its
// group's commit. Behind an interface so the rebuild core is tested without Kafka.
import type { RollupKind } from '@tokenmeter/storage';
import { createKafka, type KafkaSettings } from '@tokenmeter/telemetry';

/** One consumer group's commits on one topic: partition → the next offset it will consume. */
export interface GroupCommits {
  topic: string;
  groupId: string;
  /** A partition absent here has no committed offset: it counts as 0. */
  offsets: ReadonlyMap<number, number>;
}

export interface CommittedOffsets {
  /** The commits of the processor group that consumes the topic rolled up as `kind`. */
  fetch(kind: RollupKind): Promise<GroupCommits>;
}

/** The processor's group of each topic: `<PROCESSOR_GROUP_PREFIX>.<topic>` (consumer.service.ts). */
export type ProcessorGroups = Record<RollupKind, { topic: string; groupId: string }>;

/** kafkajs `fetchOffsets` partitions → offsets; `-1` (nothing committed) is left out. */
export function committedOffsetsOf(partitions: readonly { partition: number; offset: string }[]): Map<number, number> {
  const offsets = new Map<number, number>();
  for (const { partition, offset } of partitions) {
    const n = Number(offset);
    if (Number.isSafeInteger(n) && n >= 0) offsets.set(partition, n);
  }
  return offsets;
}

/** Asks the brokers with an admin client (connected on first use; `close` when done). */
export class KafkaCommittedOffsets implements CommittedOffsets {
  private admin: ReturnType<ReturnType<typeof createKafka>['admin']> | undefined;

  constructor(
    private readonly kafka: KafkaSettings,
    private readonly groups: ProcessorGroups,
  ) {}

  async fetch(kind: RollupKind): Promise<GroupCommits> {
    const { topic, groupId } = this.groups[kind];
    if (this.admin === undefined) {
      const admin = createKafka(this.kafka).admin();
      await admin.connect();
      this.admin = admin;
    }
    const topics = await this.admin.fetchOffsets({ groupId, topics: [topic] });
    return { topic, groupId, offsets: committedOffsetsOf(topics.find((t) => t.topic === topic)?.partitions ?? []) };
  }

  async close(): Promise<void> {
    await this.admin?.disconnect();
    this.admin = undefined;
  }
}
