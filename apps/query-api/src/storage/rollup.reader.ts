// Reads of the series registry and the rollup bucket documents (written by the processor).
//
// Two methods return the same documents; the storage dialect's `rollupReads` picks one
// (libs/storage, chosen once at connect):
// - `range`: one indexed query per tier and time range (the `resolution_start` indexes), the
//   right plan on MongoDB;
// - `point`: the registry lists the series, the `_id`s of their bucket documents are computed
//   for every container of the range, and each is read by `_id` — the point-read dialect, for
//   servers that serve only `{_id}` filters without a full collection scan.
// Tests force each dialect on one server to run both. Either way the bucket documents are
// unpacked into one record per bucket in the range.
import { Injectable } from '@nestjs/common';
import {
  binaryBytes,
  containerStarts,
  decodeSlots,
  type GpuRollupBucket,
  type GpuRollupDocument,
  gpuRollupId,
  type GpuSeriesDocument,
  gpuSlotRecord,
  MongoConnection,
  type Resolution,
  RESOLUTION_MS,
  ROLLUP_COLLECTIONS,
  type RollupSlot,
  SERIES_COLLECTIONS,
  SLOT_SCHEMAS,
  type TokenRollupBucket,
  type TokenRollupDocument,
  tokenRollupId,
  type TokenSeriesDocument,
  tokenSlotRecord,
} from '@tokenmeter/storage';
import type { Document, Filter } from 'mongodb';

export interface TokenSeriesFilter {
  tenant?: string;
  model?: string;
  node?: string;
  /** Tenant scope of the API key (undefined = every tenant). */
  tenantIn?: readonly string[];
}

export interface GpuSeriesFilter {
  node?: string;
  gpuIndex?: number;
}

const NO_WATERMARKS = { wm: 0 } as const;

@Injectable()
export class RollupReader {
  constructor(private readonly mongo: MongoConnection) {}

  /** Token series with data overlapping [fromMs, toMs) (hour granularity). */
  async tokenSeries(filter: TokenSeriesFilter, fromMs: number, toMs: number): Promise<TokenSeriesDocument[]> {
    const query: Document = overlapping(fromMs, toMs);
    if (filter.tenant !== undefined) query.tenant = filter.tenant;
    if (filter.model !== undefined) query.model = filter.model;
    if (filter.node !== undefined) query.node = filter.node;
    const docs = await this.mongo
      .collection<TokenSeriesDocument>(SERIES_COLLECTIONS.tokens)
      .find(query as Filter<TokenSeriesDocument>)
      .toArray();
    const scope = filter.tenantIn === undefined ? undefined : new Set(filter.tenantIn);
    return docs.filter((d) => scope === undefined || scope.has(d.tenant));
  }

  async gpuSeries(filter: GpuSeriesFilter, fromMs?: number, toMs?: number): Promise<GpuSeriesDocument[]> {
    const query: Document = fromMs === undefined || toMs === undefined ? {} : overlapping(fromMs, toMs);
    if (filter.node !== undefined) query.node = filter.node;
    if (filter.gpuIndex !== undefined) query.gpuIndex = filter.gpuIndex;
    return this.mongo
      .collection<GpuSeriesDocument>(SERIES_COLLECTIONS.gpu)
      .find(query as Filter<GpuSeriesDocument>)
      .toArray();
  }

  /** The token rollups of `series` at `resolution` with bucketStart in [fromMs, toMs). */
  tokenRollups(
    series: readonly TokenSeriesDocument[],
    resolution: Resolution,
    fromMs: number,
    toMs: number,
  ): Promise<TokenRollupDocument[]> {
    return this.tokenRollupsCovering(series, [{ resolution, fromMs, toMs }]);
  }

  /**
   * The token rollups of `series` over several (resolution, range) pieces — e.g. minutes, hours
   * and days that together cover a range — with every bucket document read once.
   */
  async tokenRollupsCovering(
    series: readonly TokenSeriesDocument[],
    pieces: readonly RollupPiece[],
  ): Promise<TokenRollupDocument[]> {
    const wanted = pieces.filter((p) => p.fromMs < p.toMs);
    if (series.length === 0 || wanted.length === 0) return [];
    const docs =
      this.mongo.dialect.rollupReads === 'point'
        ? await this.mongo.findByIds<TokenRollupBucket>(
            ROLLUP_COLLECTIONS.tokens,
            wanted.flatMap((p) =>
              series.flatMap((s) =>
                seriesContainers(s, p).map((t) => tokenRollupId(p.resolution, s.tenant, s.model, s.node, t)),
              ),
            ),
            NO_WATERMARKS,
          )
        : await this.rangeQuery<TokenRollupBucket>(ROLLUP_COLLECTIONS.tokens, wanted, {
            ...sameValue('tenant', series, (s) => s.tenant),
            ...sameValue('model', series, (s) => s.model),
            ...sameValue('node', series, (s) => s.node),
          });
    const inSeries = new Set(series.map((s) => JSON.stringify([s.tenant, s.model, s.node])));
    const out: TokenRollupDocument[] = [];
    for (const doc of docs) {
      if (!inSeries.has(JSON.stringify([doc.tenant, doc.model, doc.node]))) continue;
      forEachSlotIn(doc, wanted, 'tokens', (index, slot) => out.push(tokenSlotRecord(doc, index, slot)));
    }
    return out;
  }

  async gpuRollups(
    series: readonly GpuSeriesDocument[],
    resolution: Resolution,
    fromMs: number,
    toMs: number,
  ): Promise<GpuRollupDocument[]> {
    const wanted = [{ resolution, fromMs, toMs }];
    if (series.length === 0 || fromMs >= toMs) return [];
    const docs =
      this.mongo.dialect.rollupReads === 'point'
        ? await this.mongo.findByIds<GpuRollupBucket>(
            ROLLUP_COLLECTIONS.gpu,
            series.flatMap((s) =>
              seriesContainers(s, wanted[0] as RollupPiece).map((t) => gpuRollupId(resolution, s.node, s.gpuIndex, t)),
            ),
            NO_WATERMARKS,
          )
        : await this.rangeQuery<GpuRollupBucket>(ROLLUP_COLLECTIONS.gpu, wanted, {
            ...sameValue('node', series, (s) => s.node),
            ...sameValue('gpuIndex', series, (s) => s.gpuIndex),
          });
    const inSeries = new Set(series.map((s) => JSON.stringify([s.node, s.gpuIndex])));
    const out: GpuRollupDocument[] = [];
    for (const doc of docs) {
      if (!inSeries.has(JSON.stringify([doc.node, doc.gpuIndex]))) continue;
      forEachSlotIn(doc, wanted, 'gpu', (index, slot) => out.push(gpuSlotRecord(doc, index, slot)));
    }
    return out;
  }

  /** The bucket documents of each piece's tier whose containers start in the piece's range. */
  private async rangeQuery<T extends Document>(
    collection: string,
    pieces: readonly RollupPiece[],
    equals: Document,
  ): Promise<T[]> {
    const byId = new Map<string, T>();
    for (const p of pieces) {
      const starts = containerStarts(p.resolution, p.fromMs, p.toMs);
      const docs = (await this.mongo
        .collection<T>(collection)
        .find(
          {
            resolution: p.resolution,
            start: { $gte: new Date(starts[0] ?? p.fromMs), $lt: new Date(p.toMs) },
            ...equals,
          } as unknown as Filter<T>,
          { projection: NO_WATERMARKS },
        )
        .toArray()) as T[];
      for (const doc of docs) byId.set(String(doc._id), doc);
    }
    return [...byId.values()];
  }
}

/** One tier over one time range. */
export interface RollupPiece {
  resolution: Resolution;
  fromMs: number;
  toMs: number;
}

/** Starts of the containers of `piece` in which the series has data (its registry hours). */
function seriesContainers(series: { firstHour: Date; lastHour: Date }, piece: RollupPiece): number[] {
  const from = Math.max(piece.fromMs, series.firstHour.getTime());
  const to = Math.min(piece.toMs, series.lastHour.getTime() + 3_600_000);
  return containerStarts(piece.resolution, from, to);
}

/** Calls `emit` for each slot of `doc` whose bucket lies in a piece of the document's tier. */
function forEachSlotIn(
  doc: (TokenRollupBucket | GpuRollupBucket) & Document,
  pieces: readonly RollupPiece[],
  kind: 'tokens' | 'gpu',
  emit: (index: number, slot: RollupSlot) => void,
): void {
  const ranges = pieces.filter((p) => p.resolution === doc.resolution);
  if (ranges.length === 0 || doc.s === undefined) return;
  const size = RESOLUTION_MS[doc.resolution];
  const start = doc.start.getTime();
  const inRange = (index: number) => {
    const bucketMs = start + index * size;
    return ranges.some((p) => bucketMs >= p.fromMs && bucketMs < p.toMs);
  };
  for (const [index, slot] of decodeSlots(SLOT_SCHEMAS[kind], binaryBytes(doc.s), inRange)) emit(index, slot);
}

/** Registry documents whose hours [firstHour, lastHour + 1h) overlap [fromMs, toMs). */
function overlapping(fromMs: number, toMs: number): Document {
  return { firstHour: { $lt: new Date(toMs) }, lastHour: { $gte: new Date(fromMs - 3_600_000 + 1) } };
}

/** An equality filter on `field` when every series has the same value (narrows the index scan). */
function sameValue<S>(field: string, series: readonly S[], value: (s: S) => string | number): Document {
  const values = new Set(series.map(value));
  return values.size === 1 ? { [field]: [...values][0] } : {};
}
