// `npm run rollups -- rebuild`: recomputes the rollup bucket documents of a time range from the
// stored raw events (docs/adr/0003-bucketed-rollups.md; README "Rebuilding rollups"). For after an
// incident, and to move data written by the earlier layout (`token_rollups`, `gpu_rollups`, not
// read any more) into the bucket documents.
//
// The range is aligned outward to whole UTC days (the coarsest slot) and rebuilt one day at a
// time, which bounds memory. For each day and kind it reads the day's raw events (rollup-range
// reads that never full-scan: raw-range.reader.ts), adds them up with the processor's own
// arithmetic (accumulateTokenRollups / accumulateGpuRollups + applySlotChange), and rewrites every
// bucket document the day touches: the slots of that day are replaced by the recomputed ones
// (a slot without raw events is removed), every other slot stays exactly as stored (a month
// document keeps the days whose raw events are past retention). Each rewritten document keeps
// the exactness rules of docs/ARCHITECTURE.md:
//   - watermarks: `wm.pN = max(stored wm.pN, last offset of partition N among the included raw
//     events)`, so a processor that later replays those messages skips them for this document;
//     other partitions' watermarks stay;
//   - `v` = stored v + 1 (1 for a new document), conditioned on the stored v where the dialect
//     writes compare-and-set;
//   - the series registry lists every rebuilt series (idempotent $min/$max, before the rollups).
// Processors must be stopped while it runs: they keep the documents they wrote in memory and would
// overwrite the rebuilt ones (rollups-cli.ts checks their consumer groups).
//
// Uncommitted batches: a processor killed mid-batch (not SIGTERM) leaves the batch uncommitted with
// possibly only some of its raw events stored and some of its documents written. No watermark is
// exact then: one at or past an offset of the batch whose event is not stored yet would make the
// redelivered batch skip that event (undercount); one below the batch would count its stored events
// twice. So, given the processor groups' committed offsets (CommittedOffsets), a pre-pass over the
// whole range, before anything is written (dry runs too), refuses when a raw event it reads has
// `src.o` ≥ its partition's committed offset, or a document it would rewrite has `wm.p<N>` ≥ it (no
// committed offset: 0). Raw events without `src` cannot be checked and are counted.
import type { GpuSample } from '@tokenmeter/contracts';
import {
  accumulateGpuRollups,
  accumulateTokenRollups,
  applySlotChange,
  binaryBytes,
  containerStartMs,
  decodeSlots,
  emptySlot,
  encodeSlots,
  gpuBucketIds,
  gpuDocumentToSample,
  type GpuSampleDocument,
  gpuRollupId,
  gpuSeriesId,
  type MongoConnection,
  RESOLUTION_MS,
  type Resolution,
  ROLLUP_COLLECTIONS,
  type RollupDelta,
  type RollupKind,
  type RollupSlots,
  SERIES_COLLECTIONS,
  SLOT_SCHEMAS,
  type SlotChange,
  tokenBucketIds,
  tokenDocumentToEvent,
  type TokenEventDocument,
  tokenIntervalDocumentToInterval,
  type TokenIntervalDocument,
  tokenRollupId,
  tokenSeriesId,
  type TokenUsageRecord,
  type Watermarks,
  watermarkField,
} from '@tokenmeter/storage';
import { type AnyBulkWriteOperation, type Document, MongoBulkWriteError } from 'mongodb';
import { SeriesRegistryRepository } from '../storage/series-registry.repository';
import type { CommittedOffsets, GroupCommits } from './committed-offsets';
import { RawRangeReader, type StoredRawDocument } from './raw-range.reader';

export const DAY_MS = 86_400_000;
/** The longest range one run rebuilds (aligned). */
export const MAX_REBUILD_DAYS = 400;

export interface TimeRange {
  fromMs: number;
  toMs: number;
}

/** The range widened to whole UTC days: the coarsest slot, so no slot is rebuilt from part of its events. */
export function alignToDays(range: TimeRange): TimeRange {
  return { fromMs: Math.floor(range.fromMs / DAY_MS) * DAY_MS, toMs: Math.ceil(range.toMs / DAY_MS) * DAY_MS };
}

/** Day starts of an aligned range, ascending. */
export function daysOf(aligned: TimeRange): number[] {
  const days: number[] = [];
  for (let d = aligned.fromMs; d < aligned.toMs; d += DAY_MS) days.push(d);
  return days;
}

/** Start of slot `index` of the container of `resolution` that starts at `containerMs`. */
export function slotStartMs(resolution: Resolution, containerMs: number, index: number): number {
  return containerMs + index * RESOLUTION_MS[resolution];
}

/**
 * The slots of a bucket document after a rebuild of `range`: the stored slots whose bucket lies
 * outside the range, exactly as stored, and inside it only what the raw events add up to.
 */
export function rebuildSlots(
  kind: RollupKind,
  stored: Uint8Array,
  bucket: { resolution: Resolution; containerMs: number },
  range: TimeRange,
  changes: readonly (SlotChange & { slot: number })[],
): RollupSlots {
  const inRange = (index: number): boolean => {
    const startMs = slotStartMs(bucket.resolution, bucket.containerMs, index);
    return startMs >= range.fromMs && startMs < range.toMs;
  };
  const slots = decodeSlots(SLOT_SCHEMAS[kind], stored, (index) => !inRange(index));
  for (const change of changes) {
    if (!inRange(change.slot)) throw new Error(`slot ${change.slot} of a rebuild lies outside its range`);
    let slot = slots.get(change.slot);
    if (slot === undefined) {
      slot = emptySlot();
      slots.set(change.slot, slot);
    }
    applySlotChange(slot, change);
  }
  return slots;
}

/** The last offset per partition (`p<N>` → offset) of the raw events a document includes. */
export type IncludedOffsets = Map<number, number>;

/** `wm.pN = max(stored, included)` per partition; partitions only stored keep their watermark. */
export function mergeWatermarks(stored: Watermarks | undefined, included: IncludedOffsets | undefined): Watermarks {
  const merged: Watermarks = { ...(stored ?? {}) };
  for (const [partition, offset] of included ?? []) {
    const field = watermarkField(partition);
    const current = merged[field];
    merged[field] = typeof current === 'number' && current > offset ? current : offset;
  }
  return merged;
}

function sameWatermarks(a: Watermarks | undefined, b: Watermarks): boolean {
  const left = a ?? {};
  const keys = new Set([...Object.keys(left), ...Object.keys(b)]);
  for (const key of keys) if (left[key] !== b[key]) return false;
  return true;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b));
}

/** A stored bucket document, as far as a rebuild reads it. */
interface StoredBucket extends Document {
  _id: string;
  resolution: Resolution;
  start: Date;
  v?: number;
  wm?: Watermarks;
  s?: unknown;
}

/** A series registry document, as far as a rebuild reads it. */
export interface RegistrySeries extends Document {
  _id: string;
  firstHour: Date;
  lastHour: Date;
  tenant?: string;
  model?: string;
  node?: string;
  gpuIndex?: number;
}

/** A bucket document changed while the rebuild ran (compare-and-set dialects only). */
export class RollupRebuildConflictError extends Error {
  constructor(detail: string) {
    super(
      `rollup rebuild conflict: ${detail}; another writer changed bucket documents while the rebuild ran. ` +
        'Stop every processor and run the rebuild again.',
    );
    this.name = 'RollupRebuildConflictError';
  }
}

/** A raw event or a watermark at or past its partition's committed offset: a batch stored in part, not committed. */
export interface UncommittedFinding {
  /** `raw event <eventId>` or `bucket document <id>`. */
  what: string;
  topic: string;
  groupId: string;
  partition: number;
  /** The group's committed offset of the partition (0 when it has none). */
  committed: number;
  /** The event's `src.o`, or the document's `wm.p<partition>`. */
  offset: number;
}

/** Refuses a rebuild (before anything is written) that would make a watermark inexact; --force does not override it. */
export class UncommittedBatchError extends Error {
  constructor(readonly finding: UncommittedFinding) {
    const f = finding;
    const where = f.what.startsWith('raw event')
      ? `src offset ${f.offset}`
      : `watermark wm.p${f.partition} = ${f.offset}`;
    super(
      `uncommitted batch found on topic ${f.topic} partition ${f.partition}: ${f.what} has ${where}, ` +
        `at or past the committed offset ${f.committed} of consumer group ${f.groupId}. A processor stopped ` +
        'without SIGTERM left a batch stored in part and not committed, and no rebuilt watermark would be exact ' +
        'for it. Nothing was written. Start the processors, let them catch up, stop them with SIGTERM (which ' +
        'commits each stored batch), then run the rebuild again. --force does not override this check.',
    );
    this.name = 'UncommittedBatchError';
  }
}

const committedOf = (commits: GroupCommits, partition: number): number => commits.offsets.get(partition) ?? 0;

/** The first raw document stored by an uncommitted message; documents without `src` are not checked. */
export function uncommittedEvent(
  docs: readonly StoredRawDocument[],
  commits: GroupCommits,
): UncommittedFinding | undefined {
  for (const doc of docs) {
    if (doc.src === undefined) continue;
    const committed = committedOf(commits, doc.src.p);
    if (doc.src.o >= committed) {
      const { topic, groupId } = commits;
      return { what: `raw event ${doc._id}`, topic, groupId, partition: doc.src.p, committed, offset: doc.src.o };
    }
  }
  return undefined;
}

const WATERMARK_FIELD = /^p(\d+)$/;

/** The first document whose watermark of some partition reaches that partition's committed offset. */
export function uncommittedWatermark(
  docs: readonly { _id: string; wm?: Watermarks }[],
  commits: GroupCommits,
): UncommittedFinding | undefined {
  for (const doc of docs) {
    for (const [field, offset] of Object.entries(doc.wm ?? {})) {
      const match = WATERMARK_FIELD.exec(field);
      if (match === null || typeof offset !== 'number') continue;
      const partition = Number(match[1]);
      const committed = committedOf(commits, partition);
      if (offset >= committed) {
        const { topic, groupId } = commits;
        return { what: `bucket document ${doc._id}`, topic, groupId, partition, committed, offset };
      }
    }
  }
  return undefined;
}

export interface RebuildOptions {
  kinds: readonly RollupKind[];
  /** Compute and report, write nothing (neither rollups nor the series registry). */
  dryRun: boolean;
  /**
   * The processor groups' committed offsets. Given, the rebuild refuses (UncommittedBatchError,
   * before writing anything) what an uncommitted batch left; absent, it cannot tell and trusts
   * that every processor was stopped with SIGTERM.
   */
  committed?: CommittedOffsets;
}

export interface DayReport {
  dayMs: number;
  kind: RollupKind;
  events: number;
  /** Bucket documents written (or that a dry run would write). */
  documents: number;
  /** Bucket documents the day touches that already hold exactly the rebuilt slots and watermarks. */
  unchanged: number;
  /** Raw events without `src`: their offsets can neither raise a watermark nor be checked against a commit. */
  withoutSource: number;
  durationMs: number;
}

export interface RebuildSummary {
  range: TimeRange;
  events: number;
  documents: number;
  unchanged: number;
  withoutSource: number;
  durationMs: number;
}

/** The raw collections and converters of one rollup kind. */
const SOURCES: Record<
  RollupKind,
  { raw: readonly ('tokens' | 'tokenIntervals' | 'gpu')[]; toRecord: (kind: string, doc: StoredRawDocument) => unknown }
> = {
  tokens: {
    raw: ['tokens', 'tokenIntervals'],
    toRecord: (raw, doc) =>
      raw === 'tokens'
        ? tokenDocumentToEvent(doc as unknown as TokenEventDocument)
        : tokenIntervalDocumentToInterval(doc as unknown as TokenIntervalDocument),
  },
  gpu: { raw: ['gpu'], toRecord: (_raw, doc) => gpuDocumentToSample(doc as unknown as GpuSampleDocument) },
};

export class RollupRebuild {
  private readonly raw: RawRangeReader;
  private readonly registry: SeriesRegistryRepository;

  constructor(
    private readonly mongo: MongoConnection,
    private readonly clock: { nowMs(): number } = { nowMs: () => Date.now() },
  ) {
    this.raw = new RawRangeReader(mongo);
    this.registry = new SeriesRegistryRepository(mongo);
  }

  /** Rebuilds the aligned range day by day; `onDay` hears of each (kind, day) when it is done. */
  async rebuild(range: TimeRange, options: RebuildOptions, onDay: (day: DayReport) => void): Promise<RebuildSummary> {
    const aligned = alignToDays(range);
    const startedMs = this.clock.nowMs();
    const summary: RebuildSummary = {
      range: aligned,
      events: 0,
      documents: 0,
      unchanged: 0,
      withoutSource: 0,
      durationMs: 0,
    };
    const registries = new Map<RollupKind, RegistrySeries[]>();
    for (const kind of options.kinds) registries.set(kind, await this.listedSeries(kind, aligned));
    if (options.committed !== undefined) {
      for (const kind of options.kinds) {
        await this.refuseUncommitted(kind, aligned, registries.get(kind) ?? [], await options.committed.fetch(kind));
      }
    }
    for (const dayMs of daysOf(aligned)) {
      for (const kind of options.kinds) {
        const report = await this.rebuildDay(kind, dayMs, registries.get(kind) ?? [], options.dryRun);
        summary.events += report.events;
        summary.documents += report.documents;
        summary.unchanged += report.unchanged;
        summary.withoutSource += report.withoutSource;
        onDay(report);
      }
    }
    summary.durationMs = this.clock.nowMs() - startedMs;
    return summary;
  }

  /** The registered series with data in the range: their stored documents may hold slots to remove. */
  private async listedSeries(kind: RollupKind, range: TimeRange): Promise<RegistrySeries[]> {
    // One small document per series; the filter is applied here, not by the server (a point-read
    // server would scan for it anyway, and the collection is read once).
    const all = await this.mongo.collection<RegistrySeries>(SERIES_COLLECTIONS[kind]).find({}).toArray();
    return all.filter((s) => overlaps(s, range));
  }

  /**
   * The pre-pass: day by day (memory bounded by a day), the raw events the rebuild will read and
   * the watermarks of every document it may rewrite, against the committed offsets. Throws
   * UncommittedBatchError on the first finding; the rebuild has written nothing yet.
   */
  private async refuseUncommitted(
    kind: RollupKind,
    aligned: TimeRange,
    registered: readonly RegistrySeries[],
    commits: GroupCommits,
  ): Promise<void> {
    for (const dayMs of daysOf(aligned)) {
      const day: TimeRange = { fromMs: dayMs, toMs: dayMs + DAY_MS };
      const ids = new Set(registered.flatMap((s) => bucketIdsOf(kind, s, day)));
      for await (const { docs, records } of this.readDay(kind, day)) {
        const finding = uncommittedEvent(docs, commits);
        if (finding !== undefined) throw new UncommittedBatchError(finding);
        for (const record of records) for (const id of bucketIdsOfRecord(kind, record)) ids.add(id);
      }
      const docs = await this.mongo.findByIds<StoredBucket>(ROLLUP_COLLECTIONS[kind], [...ids], { wm: 1 });
      const finding = uncommittedWatermark(docs, commits);
      if (finding !== undefined) throw new UncommittedBatchError(finding);
    }
  }

  /** A day's raw events of `kind`, in chunks, with the records the rollup arithmetic takes. */
  private async *readDay(
    kind: RollupKind,
    day: TimeRange,
  ): AsyncGenerator<{ docs: StoredRawDocument[]; records: (TokenUsageRecord | GpuSample)[] }> {
    for (const raw of SOURCES[kind].raw) {
      for await (const docs of this.raw.read(raw, day.fromMs, day.toMs)) {
        yield { docs, records: docs.map((d) => SOURCES[kind].toRecord(raw, d) as TokenUsageRecord | GpuSample) };
      }
    }
  }

  private async rebuildDay(
    kind: RollupKind,
    dayMs: number,
    registered: readonly RegistrySeries[],
    dryRun: boolean,
  ): Promise<DayReport> {
    const startedMs = this.clock.nowMs();
    const day: TimeRange = { fromMs: dayMs, toMs: dayMs + DAY_MS };
    const deltas = new Map<string, RollupDelta>();
    const offsets = new Map<string, IncludedOffsets>();
    let events = 0;
    let withoutSource = 0;
    for await (const { docs, records } of this.readDay(kind, day)) {
      // The registry first, as the processor does: a listed series without data reads as zeros.
      if (!dryRun) {
        if (kind === 'tokens') await this.registry.recordTokens(records as TokenUsageRecord[]);
        else await this.registry.recordGpu(records as GpuSample[]);
      }
      if (kind === 'tokens') accumulateTokenRollups(records as TokenUsageRecord[], deltas);
      else accumulateGpuRollups(records as GpuSample[], deltas);
      docs.forEach((doc, i) => {
        if (doc.src === undefined) {
          withoutSource += 1;
          return;
        }
        for (const id of bucketIdsOfRecord(kind, records[i] as TokenUsageRecord | GpuSample)) {
          raiseOffset(offsets, id, doc.src.p, doc.src.o);
        }
      });
      events += docs.length;
    }

    const byBucket = new Map<string, { identity: RollupDelta['identity']; changes: RollupDelta[] }>();
    for (const d of deltas.values()) {
      const entry = byBucket.get(d.bucket);
      if (entry === undefined) byBucket.set(d.bucket, { identity: d.identity, changes: [d] });
      else entry.changes.push(d);
    }
    const ids = new Set([...byBucket.keys(), ...registered.flatMap((s) => bucketIdsOf(kind, s, day))]);
    const stored = new Map(
      (await this.mongo.findByIds<StoredBucket>(ROLLUP_COLLECTIONS[kind], [...ids])).map((d) => [d._id, d]),
    );

    const ops: AnyBulkWriteOperation<StoredBucket>[] = [];
    let unchanged = 0;
    for (const id of ids) {
      const doc = stored.get(id);
      const built = byBucket.get(id);
      if (doc === undefined && built === undefined) continue;
      const bucket =
        doc === undefined
          ? {
              resolution: built?.identity.resolution as Resolution,
              containerMs: (built?.identity.start as Date).getTime(),
            }
          : { resolution: doc.resolution, containerMs: doc.start.getTime() };
      const storedBytes = doc?.s === undefined ? new Uint8Array() : binaryBytes(doc.s);
      const packed = encodeSlots(
        SLOT_SCHEMAS[kind],
        rebuildSlots(kind, storedBytes, bucket, day, built?.changes ?? []),
      );
      const wm = mergeWatermarks(doc?.wm, offsets.get(id));
      if (doc !== undefined && sameBytes(storedBytes, packed) && sameWatermarks(doc.wm, wm)) {
        unchanged += 1;
        continue;
      }
      const set: Document = { s: packed, v: (doc?.v ?? 0) + 1 };
      for (const [field, offset] of Object.entries(wm)) set[`wm.${field}`] = offset;
      const update: Document = built === undefined ? { $set: set } : { $set: set, $setOnInsert: built.identity };
      ops.push({ updateOne: { ...this.target(id, doc), update } });
    }
    if (!dryRun) await this.write(kind, ops);
    return {
      dayMs,
      kind,
      events,
      documents: ops.length,
      unchanged,
      withoutSource,
      durationMs: this.clock.nowMs() - startedMs,
    };
  }

  /**
   * By `_id` where the dialect writes so; conditioned on the stored version where it writes
   * compare-and-set (a processor still running fails the rebuild instead of being overwritten).
   */
  private target(id: string, doc: StoredBucket | undefined): { filter: Document; upsert: boolean } {
    if (!this.mongo.dialect.compareAndSetWrites) return { filter: { _id: id }, upsert: true };
    if (doc === undefined) return { filter: { _id: id, v: { $exists: false } }, upsert: true };
    return { filter: { _id: id, v: typeof doc.v === 'number' ? doc.v : { $exists: false } }, upsert: false };
  }

  private async write(kind: RollupKind, ops: AnyBulkWriteOperation<StoredBucket>[]): Promise<void> {
    const collection = this.mongo.collection<StoredBucket>(ROLLUP_COLLECTIONS[kind]);
    // Bounded commands, as every update path: the point-read dialect's server deadlocks on large ones.
    await this.mongo.updateCommands(ops, async (chunk) => {
      let applied: number;
      try {
        const result = await collection.bulkWrite(chunk, { ordered: false });
        applied = result.matchedCount + result.upsertedCount;
      } catch (error) {
        if (
          error instanceof MongoBulkWriteError &&
          ([] as { code: number }[]).concat(error.writeErrors).every((w) => w.code === 11000)
        ) {
          throw new RollupRebuildConflictError(`a ${kind} bucket document was created concurrently`);
        }
        throw error;
      }
      if (applied !== chunk.length) {
        throw new RollupRebuildConflictError(`${chunk.length - applied} ${kind} bucket documents changed since read`);
      }
    });
  }
}

function overlaps(series: { firstHour: Date; lastHour: Date }, range: TimeRange): boolean {
  return series.firstHour.getTime() < range.toMs && series.lastHour.getTime() + RESOLUTION_MS['1h'] > range.fromMs;
}

function bucketIdsOfRecord(kind: RollupKind, record: TokenUsageRecord | GpuSample): string[] {
  return kind === 'tokens' ? tokenBucketIds(record as TokenUsageRecord) : gpuBucketIds(record as GpuSample);
}

function raiseOffset(into: Map<string, IncludedOffsets>, bucketId: string, partition: number, offset: number): void {
  let offsets = into.get(bucketId);
  if (offsets === undefined) {
    offsets = new Map();
    into.set(bucketId, offsets);
  }
  const current = offsets.get(partition);
  if (current === undefined || offset > current) offsets.set(partition, offset);
}

/**
 * The bucket documents of a registered series that can hold slots of `day`: the hour documents
 * of its hours with data that day, the week and the month document of the day.
 */
export function bucketIdsOf(kind: RollupKind, series: RegistrySeries, day: TimeRange): string[] {
  const idOf = (resolution: Resolution, containerMs: number): string =>
    kind === 'tokens'
      ? tokenRollupId(resolution, series.tenant ?? '', series.model ?? '', series.node ?? '', containerMs)
      : gpuRollupId(resolution, series.node ?? '', series.gpuIndex ?? 0, containerMs);
  const expected =
    kind === 'tokens'
      ? tokenSeriesId(series.tenant ?? '', series.model ?? '', series.node ?? '')
      : gpuSeriesId(series.node ?? '', series.gpuIndex ?? 0);
  // A registry document whose identity fields do not name it is skipped, never guessed at.
  if (expected !== series._id || !overlaps(series, day)) return [];
  const ids: string[] = [];
  const firstHour = Math.max(day.fromMs, series.firstHour.getTime());
  const endHour = Math.min(day.toMs, series.lastHour.getTime() + RESOLUTION_MS['1h']);
  for (let h = firstHour; h < endHour; h += RESOLUTION_MS['1h']) ids.push(idOf('1m', h));
  ids.push(idOf('1h', containerStartMs('1h', day.fromMs)), idOf('1d', containerStartMs('1d', day.fromMs)));
  return ids;
}
