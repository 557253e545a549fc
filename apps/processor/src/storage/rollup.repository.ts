// Rollup storage with per-partition offset watermarks (docs/ARCHITECTURE.md):
// each document carries `wm.p<partition>`, the last offset whose events it includes, and
// every change to it is one single-document update that adds the batch's contributions
// AND moves the watermark, conditioned on the watermark it was computed from. A replayed
// message at or below the watermark is skipped for that document; a conflicting writer
// (a zombie consumer after a rebalance) makes the condition fail and the batch is retried.
//
// Only the owner of a partition moves that partition's watermarks, so while this instance owns
// it, the watermarks it last read or wrote are the stored ones: they are kept in memory and
// only documents not seen yet are read (a third of a batch's rollup time on FerretDB, where
// each read is a point read). The memory is dropped when the consumer (re)joins its group —
// the partition may have had another owner — and after any failed write.
import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import type { GpuSample } from '@tokenmeter/contracts';
import {
  accumulateGpuRollups,
  accumulateTokenRollups,
  gpuRollupIds,
  ROLLUP_COLLECTIONS,
  ROLLUP_INDEXES,
  type RollupDelta,
  type TokenUsageRecord,
  tokenRollupIds,
  watermarkField,
} from '@tokenmeter/contracts/storage';
import { MongoConnection } from '@tokenmeter/telemetry';
import { type AnyBulkWriteOperation, type Collection, type Document, Double, Long, MongoBulkWriteError } from 'mongodb';

export type RollupKind = keyof typeof ROLLUP_COLLECTIONS;

/** An event to roll up, with the offset of the message that stored it. */
export interface OwnedEvent<E> {
  offset: number;
  event: E;
}

export interface RollupOutcome {
  /** Documents updated or created. */
  documents: number;
  /** (event, document) contributions skipped because the watermark already covered them. */
  skipped: number;
}

/** The watermark condition failed: another writer moved it. The batch must be retried. */
export class RollupConflictError extends Error {
  constructor(detail: string) {
    super(`rollup watermark conflict: ${detail}`);
    this.name = 'RollupConflictError';
  }
}

/** Watermarks remembered per partition at most; past it the partition's memory starts over. */
const MAX_REMEMBERED_WATERMARKS = 50_000;

interface WatermarkDoc extends Document {
  _id: string;
  wm?: Record<string, number>;
}

@Injectable()
export class RollupRepository implements OnModuleInit {
  private readonly logger = new Logger(RollupRepository.name);

  /**
   * Conditional (compare-and-set) writes: on where the server evaluates them atomically.
   * Tests switch them on against FerretDB to exercise that path too.
   */
  conditionalWrites: boolean;

  /** `${kind}:${partition}` → document id → this partition's watermark in that document. */
  private readonly watermarks = new Map<string, Map<string, number>>();

  constructor(private readonly mongo: MongoConnection) {
    this.conditionalWrites = mongo.serverKind === 'mongodb';
  }

  async onModuleInit(): Promise<void> {
    for (const kind of ['tokens', 'gpu'] as const) {
      const collection = this.mongo.collection(ROLLUP_COLLECTIONS[kind]);
      for (const index of ROLLUP_INDEXES[kind]) {
        await collection.createIndex(index.keys, { name: index.name });
      }
    }
    this.logger.log('rollup collection indexes ensured');
  }

  /**
   * Forgets the remembered watermarks (of one kind): call when partitions may have changed
   * owner (the consumer joined its group again), or when documents changed behind the
   * processor's back. The next batches read them from the database again.
   */
  forgetWatermarks(kind?: RollupKind): void {
    for (const key of [...this.watermarks.keys()]) {
      if (kind === undefined || key.startsWith(`${kind}:`)) this.watermarks.delete(key);
    }
  }

  applyTokens(
    partition: number,
    batchLastOffset: number,
    events: OwnedEvent<TokenUsageRecord>[],
  ): Promise<RollupOutcome> {
    return this.apply('tokens', partition, batchLastOffset, events, tokenRollupIds, (e, into, accept) =>
      accumulateTokenRollups([e], into, accept),
    );
  }

  applyGpu(partition: number, batchLastOffset: number, events: OwnedEvent<GpuSample>[]): Promise<RollupOutcome> {
    return this.apply('gpu', partition, batchLastOffset, events, gpuRollupIds, (e, into, accept) =>
      accumulateGpuRollups([e], into, accept),
    );
  }

  private async apply<E>(
    kind: RollupKind,
    partition: number,
    batchLastOffset: number,
    events: OwnedEvent<E>[],
    idsOf: (e: E) => string[],
    accumulate: (e: E, into: Map<string, RollupDelta>, accept: (id: string) => boolean) => void,
  ): Promise<RollupOutcome> {
    if (events.length === 0) return { documents: 0, skipped: 0 };
    const collection = this.mongo.collection<WatermarkDoc>(ROLLUP_COLLECTIONS[kind]);
    const field = watermarkField(partition);
    const ids = [...new Set(events.flatMap((e) => idsOf(e.event)))];

    // Captured once: a forget() while this batch runs leaves what it learns out of the new memory.
    const memoryKey = `${kind}:${partition}`;
    let remembered = this.watermarks.get(memoryKey);
    if (remembered === undefined || remembered.size > MAX_REMEMBERED_WATERMARKS) {
      remembered = new Map();
      this.watermarks.set(memoryKey, remembered);
    }
    const current = new Map<string, number>();
    const unknown: string[] = [];
    for (const id of ids) {
      const wm = remembered.get(id);
      if (wm === undefined) unknown.push(id);
      else current.set(id, wm);
    }
    for (const doc of await this.mongo.findByIds<WatermarkDoc>(ROLLUP_COLLECTIONS[kind], unknown, {
      [`wm.${field}`]: 1,
    })) {
      const wm = doc.wm?.[field];
      if (typeof wm === 'number') {
        current.set(doc._id, wm);
        remembered.set(doc._id, wm);
      }
    }

    const deltas = new Map<string, RollupDelta>();
    let skipped = 0;
    for (const { offset, event } of events) {
      accumulate(event, deltas, (id) => {
        const wm = current.get(id);
        if (wm !== undefined && offset <= wm) {
          skipped += 1;
          return false;
        }
        return true;
      });
    }
    if (deltas.size === 0) return { documents: 0, skipped };

    const ops: AnyBulkWriteOperation<WatermarkDoc>[] = [...deltas.values()].map((d) => {
      const wm = current.get(d._id);
      const inc: Record<string, Long | Double> = {};
      for (const [k, v] of Object.entries(d.counts)) inc[k] = Long.fromNumber(v);
      for (const [k, v] of Object.entries(d.sums)) inc[k] = new Double(v);
      const update: Document = {
        $setOnInsert: d.identity,
        $inc: inc,
        $set: { [`wm.${field}`]: batchLastOffset },
      };
      if (Object.keys(d.min).length > 0) update.$min = d.min;
      if (Object.keys(d.max).length > 0) update.$max = d.max;
      return { updateOne: { ...this.target(d._id, field, wm), update } };
    });

    // Bounded commands: FerretDB deadlocks on large ones (MongoConnection.updatesPerCommand).
    const size = this.mongo.updatesPerCommand;
    try {
      for (let i = 0; i < ops.length; i += size) {
        await this.write(collection, ops.slice(i, i + size));
      }
    } catch (error) {
      // Some chunks may have been written: what is stored is no longer known.
      if (this.watermarks.get(memoryKey) === remembered) this.watermarks.delete(memoryKey);
      throw error;
    }
    for (const d of deltas.values()) remembered.set(d._id, batchLastOffset);
    return { documents: ops.length, skipped };
  }

  /**
   * MongoDB: the update is conditioned on the watermark it was computed from, so a zombie
   * writer (a consumer that lost the partition mid-batch) fails instead of adding twice.
   * FerretDB: only `{_id}` filters avoid a full table scan (and it applies updates without
   * a lock anyway), so exclusion rests on one writer per partition (docs/ARCHITECTURE.md).
   */
  private target(id: string, field: string, wm: number | undefined): { filter: Document; upsert: boolean } {
    if (!this.conditionalWrites) return { filter: { _id: id }, upsert: true };
    return wm === undefined
      ? { filter: { _id: id, [`wm.${field}`]: { $exists: false } }, upsert: true }
      : { filter: { _id: id, [`wm.${field}`]: wm }, upsert: false };
  }

  private async write(collection: Collection<WatermarkDoc>, ops: AnyBulkWriteOperation<WatermarkDoc>[]): Promise<void> {
    try {
      const result = await collection.bulkWrite(ops, { ordered: false });
      const applied = result.matchedCount + result.upsertedCount;
      if (applied !== ops.length) {
        throw new RollupConflictError(
          `${ops.length - applied} of ${ops.length} documents changed since they were read`,
        );
      }
    } catch (error) {
      if (
        error instanceof MongoBulkWriteError &&
        ([] as { code: number }[]).concat(error.writeErrors).every((w) => w.code === 11000)
      ) {
        throw new RollupConflictError('a document was created concurrently');
      }
      throw error;
    }
  }
}
