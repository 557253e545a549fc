// Reads of the series registry and the rollups (written by the processor).
//
// Two strategies return the same documents:
// - `range`: one indexed query per resolution and time range (the `resolution_bucket`
//   indexes), the right plan on MongoDB;
// - `point`: the registry lists the series, their rollup `_id`s are computed for every bucket
//   of the range, and each is read by `_id` — FerretDB 1.24 serves only `{_id}` filters
//   without a full collection scan (scripts/dev/README.md).
// `auto` picks `point` on FerretDB and `range` on MongoDB; tests run both on FerretDB.
import { Injectable } from '@nestjs/common';
import {
  type GpuRollupDocument,
  gpuRollupId,
  type GpuSeriesDocument,
  RESOLUTION_MS,
  type Resolution,
  ROLLUP_COLLECTIONS,
  SERIES_COLLECTIONS,
  seriesBucketStarts,
  type TokenRollupDocument,
  tokenRollupId,
  type TokenSeriesDocument,
} from '@tokenmeter/contracts/storage';
import { MongoConnection } from '@tokenmeter/telemetry';
import type { Document, Filter } from 'mongodb';
import { QueryApiConfig } from '../config';

export type RollupReadStrategy = 'auto' | 'point' | 'range';

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
  private readonly strategy: 'point' | 'range';

  constructor(
    private readonly mongo: MongoConnection,
    config: QueryApiConfig,
  ) {
    const configured = config.query.rollupReads;
    this.strategy = configured === 'auto' ? (mongo.serverKind === 'ferretdb' ? 'point' : 'range') : configured;
  }

  get readStrategy(): 'point' | 'range' {
    return this.strategy;
  }

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
  async tokenRollups(
    series: readonly TokenSeriesDocument[],
    resolution: Resolution,
    fromMs: number,
    toMs: number,
  ): Promise<TokenRollupDocument[]> {
    if (series.length === 0 || fromMs >= toMs) return [];
    const size = RESOLUTION_MS[resolution];
    if (this.strategy === 'point') {
      const ids = series.flatMap((s) =>
        seriesBucketStarts(s, fromMs, toMs, size).map((t) => tokenRollupId(resolution, s.tenant, s.model, s.node, t)),
      );
      return this.mongo.findByIds<TokenRollupDocument>(ROLLUP_COLLECTIONS.tokens, ids, NO_WATERMARKS);
    }
    const wanted = new Set(series.map((s) => JSON.stringify([s.tenant, s.model, s.node])));
    const docs = await this.rangeQuery<TokenRollupDocument>(ROLLUP_COLLECTIONS.tokens, resolution, fromMs, toMs, {
      ...sameValue('tenant', series, (s) => s.tenant),
      ...sameValue('model', series, (s) => s.model),
      ...sameValue('node', series, (s) => s.node),
    });
    return docs.filter((d) => wanted.has(JSON.stringify([d.tenant, d.model, d.node])));
  }

  async gpuRollups(
    series: readonly GpuSeriesDocument[],
    resolution: Resolution,
    fromMs: number,
    toMs: number,
  ): Promise<GpuRollupDocument[]> {
    if (series.length === 0 || fromMs >= toMs) return [];
    const size = RESOLUTION_MS[resolution];
    if (this.strategy === 'point') {
      const ids = series.flatMap((s) =>
        seriesBucketStarts(s, fromMs, toMs, size).map((t) => gpuRollupId(resolution, s.node, s.gpuIndex, t)),
      );
      return this.mongo.findByIds<GpuRollupDocument>(ROLLUP_COLLECTIONS.gpu, ids, NO_WATERMARKS);
    }
    const wanted = new Set(series.map((s) => JSON.stringify([s.node, s.gpuIndex])));
    const docs = await this.rangeQuery<GpuRollupDocument>(ROLLUP_COLLECTIONS.gpu, resolution, fromMs, toMs, {
      ...sameValue('node', series, (s) => s.node),
      ...sameValue('gpuIndex', series, (s) => s.gpuIndex),
    });
    return docs.filter((d) => wanted.has(JSON.stringify([d.node, d.gpuIndex])));
  }

  private rangeQuery<T extends Document>(
    collection: string,
    resolution: Resolution,
    fromMs: number,
    toMs: number,
    equals: Document,
  ): Promise<T[]> {
    return this.mongo
      .collection<T>(collection)
      .find(
        { resolution, bucketStart: { $gte: new Date(fromMs), $lt: new Date(toMs) }, ...equals } as unknown as Filter<T>,
        { projection: NO_WATERMARKS },
      )
      .toArray() as Promise<T[]>;
  }
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
