// Rollup storage in bucket documents (docs/adr/0001-bucketed-rollups.md, docs/ARCHITECTURE.md):
// each document holds one series' slots over a container span (packed, rollup-slots.ts), the
// watermark `wm.p<partition>` of every partition that wrote it (the last offset whose events it
// includes), and a version `v`. A batch reads each document it touches (or takes it from
// memory), adds the contributions of the events above that document's watermark to its slots,
// and writes the slots, the new watermark and v + 1 in one single-document update. A replayed
// message at or below the watermark is skipped for that document.
//
// Only the owner of a partition writes its series' documents, so while this instance owns it,
// the documents it last read or wrote are the stored ones: they are kept in memory (packed) and
// only documents not seen yet are read. The memory is dropped when the consumer (re)joins its
// group — the partition may have had another owner — and after any failed write. Where the
// storage dialect says the server evaluates it atomically (`compareAndSetWrites`, libs/storage),
// the update is conditioned on the version it was computed from, so a zombie writer fails
// instead of overwriting.
import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import type { GpuSample } from '@tokenmeter/contracts';
import {
  accumulateGpuRollups,
  accumulateTokenRollups,
  applySlotChange,
  binaryBytes,
  decodeSlots,
  emptySlot,
  encodeSlots,
  gpuBucketIds,
  MongoConnection,
  ROLLUP_COLLECTIONS,
  ROLLUP_INDEXES,
  type RollupDelta,
  type RollupKind,
  SLOT_SCHEMAS,
  tokenBucketIds,
  type TokenUsageRecord,
  watermarkField,
} from '@tokenmeter/storage';
import { type AnyBulkWriteOperation, type Collection, type Document, MongoBulkWriteError } from 'mongodb';

/** An event to roll up, with the offset of the message that stored it. */
export interface OwnedEvent<E> {
  offset: number;
  event: E;
}

export interface RollupOutcome {
  /** Bucket documents updated or created. */
  documents: number;
  /** (event, document) contributions skipped because the watermark already covered them. */
  skipped: number;
}

/** The version condition failed: another writer changed the document. The batch must be retried. */
export class RollupConflictError extends Error {
  constructor(detail: string) {
    super(`rollup watermark conflict: ${detail}`);
    this.name = 'RollupConflictError';
  }
}

/** Packed bytes remembered per partition at most; past it the partition's memory starts over. */
const MAX_REMEMBERED_BYTES = 16 * 1024 * 1024;

/** What this instance knows of a stored bucket document. */
interface KnownBucket {
  v: number;
  /** This partition's watermark in it, if it has one. */
  wm: number | undefined;
  slots: Uint8Array;
}

interface PartitionMemory {
  buckets: Map<string, KnownBucket>;
  bytes: number;
}

interface StoredBucket extends Document {
  _id: string;
  v?: number;
  wm?: Record<string, number>;
  s?: unknown;
}

export type { RollupKind };

@Injectable()
export class RollupRepository implements OnModuleInit {
  private readonly logger = new Logger(RollupRepository.name);

  /** `${kind}:${partition}` → what this instance knows of the bucket documents it wrote or read. */
  private readonly memory = new Map<string, PartitionMemory>();

  constructor(private readonly mongo: MongoConnection) {}

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
   * Forgets the remembered bucket documents (of one kind): call when partitions may have changed
   * owner (the consumer joined its group again), or when documents changed behind the
   * processor's back. The next batches read them from the database again.
   */
  forgetWatermarks(kind?: RollupKind): void {
    for (const key of [...this.memory.keys()]) {
      if (kind === undefined || key.startsWith(`${kind}:`)) this.memory.delete(key);
    }
  }

  applyTokens(
    partition: number,
    batchLastOffset: number,
    events: OwnedEvent<TokenUsageRecord>[],
  ): Promise<RollupOutcome> {
    return this.apply('tokens', partition, batchLastOffset, events, tokenBucketIds, (e, into, accept) =>
      accumulateTokenRollups([e], into, accept),
    );
  }

  applyGpu(partition: number, batchLastOffset: number, events: OwnedEvent<GpuSample>[]): Promise<RollupOutcome> {
    return this.apply('gpu', partition, batchLastOffset, events, gpuBucketIds, (e, into, accept) =>
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
    const collection = this.mongo.collection<StoredBucket>(ROLLUP_COLLECTIONS[kind]);
    const field = watermarkField(partition);
    const ids = [...new Set(events.flatMap((e) => idsOf(e.event)))];

    // Captured once: a forget() while this batch runs leaves what it learns out of the new memory.
    const memoryKey = `${kind}:${partition}`;
    let memory = this.memory.get(memoryKey);
    if (memory === undefined || memory.bytes > MAX_REMEMBERED_BYTES) {
      memory = { buckets: new Map(), bytes: 0 };
      this.memory.set(memoryKey, memory);
    }
    const current = new Map<string, KnownBucket | undefined>();
    const unknown: string[] = [];
    for (const id of ids) {
      const known = memory.buckets.get(id);
      if (known === undefined) unknown.push(id);
      else current.set(id, known);
    }
    for (const doc of await this.mongo.findByIds<StoredBucket>(ROLLUP_COLLECTIONS[kind], unknown, {
      v: 1,
      [`wm.${field}`]: 1,
      s: 1,
    })) {
      const known: KnownBucket = {
        v: typeof doc.v === 'number' ? doc.v : 0,
        wm: typeof doc.wm?.[field] === 'number' ? doc.wm[field] : undefined,
        slots: doc.s === undefined ? new Uint8Array() : binaryBytes(doc.s),
      };
      current.set(doc._id, known);
    }

    const deltas = new Map<string, RollupDelta>();
    let skipped = 0;
    for (const { offset, event } of events) {
      accumulate(event, deltas, (id) => {
        const wm = current.get(id)?.wm;
        if (wm !== undefined && offset <= wm) {
          skipped += 1;
          return false;
        }
        return true;
      });
    }
    if (deltas.size === 0) return { documents: 0, skipped };

    // Per bucket document: its slots after this batch.
    const schema = SLOT_SCHEMAS[kind];
    const changed = new Map<string, { identity: RollupDelta['identity']; deltas: RollupDelta[] }>();
    for (const d of deltas.values()) {
      const entry = changed.get(d.bucket);
      if (entry === undefined) changed.set(d.bucket, { identity: d.identity, deltas: [d] });
      else entry.deltas.push(d);
    }
    const written = new Map<string, KnownBucket>();
    const ops: AnyBulkWriteOperation<StoredBucket>[] = [];
    for (const [id, { identity, deltas: slotDeltas }] of changed) {
      const known = current.get(id);
      const slots = decodeSlots(schema, known?.slots ?? new Uint8Array());
      for (const d of slotDeltas) {
        let slot = slots.get(d.slot);
        if (slot === undefined) {
          slot = emptySlot();
          slots.set(d.slot, slot);
        }
        applySlotChange(slot, d);
      }
      const packed = encodeSlots(schema, slots);
      const v = (known?.v ?? 0) + 1;
      written.set(id, { v, wm: batchLastOffset, slots: packed });
      const update: Document = {
        $setOnInsert: identity,
        $set: { s: packed, v, [`wm.${field}`]: batchLastOffset },
      };
      ops.push({ updateOne: { ...this.target(id, known?.v), update } });
    }

    // Bounded commands, one at a time where the dialect says so (libs/storage).
    try {
      await this.mongo.updateCommands(ops, (chunk) => this.write(collection, chunk));
    } catch (error) {
      // Some chunks may have been written: what is stored is no longer known.
      if (this.memory.get(memoryKey) === memory) this.memory.delete(memoryKey);
      throw error;
    }
    for (const [id, known] of written) {
      memory.bytes += known.slots.byteLength - (memory.buckets.get(id)?.slots.byteLength ?? 0);
      memory.buckets.set(id, known);
    }
    // Documents read but not written this time are remembered as read.
    for (const id of unknown) {
      const known = current.get(id);
      if (known !== undefined && !written.has(id)) {
        memory.bytes += known.slots.byteLength;
        memory.buckets.set(id, known);
      }
    }
    return { documents: ops.length, skipped };
  }

  /**
   * Compare-and-set dialect: the update is conditioned on the version it was computed from, so a
   * zombie writer (a consumer that lost the partition mid-batch) or a second writer (a
   * repartitioned topic) fails instead of overwriting. The point-read dialect: servers that read
   * only by _id without a full table scan (and apply updates without a lock anyway), so exclusion
   * rests on one writer per partition (docs/ARCHITECTURE.md, libs/storage).
   */
  private target(id: string, version: number | undefined): { filter: Document; upsert: boolean } {
    if (!this.mongo.dialect.compareAndSetWrites) return { filter: { _id: id }, upsert: true };
    return version === undefined
      ? { filter: { _id: id, v: { $exists: false } }, upsert: true }
      : { filter: { _id: id, v: version }, upsert: false };
  }

  private async write(collection: Collection<StoredBucket>, ops: AnyBulkWriteOperation<StoredBucket>[]): Promise<void> {
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
