// Series, totals, GPU inventory and efficiency from the rollups (SPEC §7). Reads go through
// RollupReader; everything here is arithmetic on the documents it returns.
import { Injectable } from '@nestjs/common';
import {
  bucketStartMs,
  type GpuRollupDocument,
  type GpuSeriesDocument,
  RESOLUTION_MS,
  type TokenRollupDocument,
} from '@tokenmeter/storage';
import { type GpuSeriesFilter, RollupReader, type RollupPiece, type TokenSeriesFilter } from '../storage/rollup.reader';
import { energyPerDocument, GpuAccumulator, round, TokenAccumulator } from './aggregates';
import type {
  EfficiencyPoint,
  EfficiencyResponse,
  GpuInventoryResponse,
  GpuSeriesResponse,
  Step,
  TokenKey,
  TokenSeriesResponse,
  TokenTotalsResponse,
} from '@tokenmeter/contracts/query-api';
import { gridBucket, type TimeGrid } from './time-grid';

export const TOKEN_GROUP_FIELDS = ['model', 'tenant', 'node'] as const;
export type TokenGroupField = (typeof TOKEN_GROUP_FIELDS)[number];

@Injectable()
export class SeriesService {
  constructor(private readonly reader: RollupReader) {}

  async tokenSeries(
    grid: TimeGrid,
    filter: TokenSeriesFilter,
    groupBy: readonly TokenGroupField[],
  ): Promise<TokenSeriesResponse> {
    const docs = await this.tokenDocs(grid, filter);
    const groups = new Map<string, { key: TokenKey; buckets: Map<number, TokenAccumulator> }>();
    if (groupBy.length === 0) groups.set('{}', { key: {}, buckets: new Map() });
    for (const doc of docs) {
      const key = keyOf(doc, groupBy);
      const group = getOrCreate(groups, JSON.stringify(key), () => ({
        key,
        buckets: new Map<number, TokenAccumulator>(),
      }));
      const t = gridBucket(grid, doc.bucketStart.getTime());
      getOrCreate(group.buckets, t, () => new TokenAccumulator()).add(doc);
    }
    const empty = new TokenAccumulator();
    return {
      ...gridHeader(grid),
      series: sortByKey([...groups.values()]).map(({ key, buckets }) => ({
        key,
        points: gridTimes(grid).map((t) => (buckets.get(t) ?? empty).point(t, grid.stepMs)),
      })),
    };
  }

  /**
   * Totals over [fromMs, toMs), aligned outward to whole minutes, from the coarsest buckets that
   * tile it: whole UTC days from the 1d buckets, the partial days from 1h buckets, the partial
   * hours at either end from 1m buckets (`coveringPieces`).
   */
  async tokenTotals(
    range: { fromMs: number; toMs: number },
    filter: TokenSeriesFilter,
    groupBy: readonly TokenGroupField[],
  ): Promise<TokenTotalsResponse> {
    const { fromMs, toMs } = toWholeMinutes(range);
    const series = await this.reader.tokenSeries(filter, fromMs, toMs);
    const docs = await this.reader.tokenRollupsCovering(series, coveringPieces(fromMs, toMs));
    const rows = new Map<string, { key: TokenKey; acc: TokenAccumulator }>();
    if (groupBy.length === 0) rows.set('{}', { key: {}, acc: new TokenAccumulator() });
    for (const doc of docs) {
      const key = keyOf(doc, groupBy);
      getOrCreate(rows, JSON.stringify(key), () => ({ key, acc: new TokenAccumulator() })).acc.add(doc);
    }
    return {
      from: new Date(fromMs).toISOString(),
      to: new Date(toMs).toISOString(),
      rows: sortByKey([...rows.values()]).map(({ key, acc }) => ({ key, ...acc.counts })),
    };
  }

  async gpuSeries(grid: TimeGrid, filter: GpuSeriesFilter): Promise<GpuSeriesResponse> {
    const perGpu = await this.gpuDocsWithEnergy(grid, filter);
    const resolutionMs = RESOLUTION_MS[grid.resolution];
    const series = [...perGpu.values()].map(({ gpu, docs, energy }) => {
      const buckets = new Map<number, GpuAccumulator>();
      for (const doc of docs) {
        const start = doc.bucketStart.getTime();
        if (start < grid.fromMs) continue;
        getOrCreate(buckets, gridBucket(grid, start), () => new GpuAccumulator()).add(
          doc,
          energy.get(doc._id),
          resolutionMs,
        );
      }
      const empty = new GpuAccumulator();
      return {
        key: { node: gpu.node, gpuIndex: gpu.gpuIndex },
        points: gridTimes(grid).map((t) => (buckets.get(t) ?? empty).point(t)),
      };
    });
    return { ...gridHeader(grid), series: series.filter((s) => s.points.some((p) => p.samples > 0)) };
  }

  async gpuInventory(filter: GpuSeriesFilter): Promise<GpuInventoryResponse> {
    const gpus = await this.reader.gpuSeries(filter);
    const items = gpus
      .sort((a, b) => (a.node === b.node ? a.gpuIndex - b.gpuIndex : a.node < b.node ? -1 : 1))
      .map((g) => ({
        node: g.node,
        gpuIndex: g.gpuIndex,
        ...(g.latest?.gpuUuid === undefined ? {} : { gpuUuid: g.latest.gpuUuid }),
        ...(g.latest?.gpuModel === undefined ? {} : { gpuModel: g.latest.gpuModel }),
        lastSeen: g.lastSeen.toISOString(),
        latest: g.latest === undefined ? null : { ...g.latest },
      }));
    return { items };
  }

  /**
   * Per node and model: the node's energy and busy GPU-seconds in each bucket, split over the
   * models it served by their share of its tokens in that bucket.
   */
  async efficiency(grid: TimeGrid, filter: { node?: string; model?: string }): Promise<EfficiencyResponse> {
    // Every model of the node counts towards the shares, so the model filter applies afterwards.
    const nodeFilter = filter.node === undefined ? {} : { node: filter.node };
    const [tokenDocs, perGpu] = await Promise.all([
      this.tokenDocs(grid, nodeFilter),
      this.gpuDocsWithEnergy(grid, nodeFilter),
    ]);
    const tokens = new Map<string, Map<number, number>>(); // JSON [node, model] -> t -> tokens
    const nodeTokens = new Map<string, Map<number, number>>(); // node -> t -> tokens
    for (const doc of tokenDocs) {
      const t = gridBucket(grid, doc.bucketStart.getTime());
      const n = Number(doc.inputTokens) + Number(doc.outputTokens);
      addTo(tokens, JSON.stringify([doc.node, doc.model]), t, n);
      addTo(nodeTokens, doc.node, t, n);
    }
    const energy = new Map<string, Map<number, number>>(); // node -> t -> joules
    const busy = new Map<string, Map<number, number>>(); // node -> t -> GPU-seconds
    const resolutionMs = RESOLUTION_MS[grid.resolution];
    for (const { docs, energy: perDoc } of perGpu.values()) {
      for (const doc of docs) {
        const start = doc.bucketStart.getTime();
        if (start < grid.fromMs) continue;
        const t = gridBucket(grid, start);
        const acc = new GpuAccumulator();
        acc.add(doc, perDoc.get(doc._id), resolutionMs);
        // A GPU without a utilisation reading in the bucket adds no busy seconds (unknown, not 0).
        if (acc.utilizationMeasured) addTo(busy, doc.node, t, acc.busySeconds);
        if (acc.energyJ !== undefined) addTo(energy, doc.node, t, acc.energyJ);
      }
    }
    const series = [...tokens.entries()]
      .map(([id, byTime]) => {
        const [node, model] = JSON.parse(id) as [string, string];
        return { key: { node, model }, byTime };
      })
      .filter(({ key }) => filter.model === undefined || key.model === filter.model)
      .sort((a, b) => compareKeys(a.key, b.key))
      .map(({ key, byTime }) => ({
        key,
        points: gridTimes(grid).map((t): EfficiencyPoint => {
          const n = byTime.get(t) ?? 0;
          const all = nodeTokens.get(key.node)?.get(t) ?? 0;
          const share = all > 0 ? n / all : 0;
          const joules = energy.get(key.node)?.get(t);
          const seconds = busy.get(key.node)?.get(t);
          const energyJ = joules === undefined ? null : joules * share;
          const gpuSeconds = seconds === undefined ? null : seconds * share;
          return {
            t: new Date(t).toISOString(),
            tokens: n,
            energyJ: energyJ === null ? null : round(energyJ),
            gpuSeconds: gpuSeconds === null ? null : round(gpuSeconds),
            tokensPerJoule: energyJ !== null && energyJ > 0 ? round(n / energyJ) : null,
            gpuSecondsPer1kTokens: gpuSeconds !== null && n > 0 ? round(gpuSeconds / (n / 1_000)) : null,
          };
        }),
      }));
    return { ...gridHeader(grid), series };
  }

  private async tokenDocs(grid: TimeGrid, filter: TokenSeriesFilter): Promise<TokenRollupDocument[]> {
    const series = await this.reader.tokenSeries(filter, grid.fromMs, grid.toMs);
    return this.reader.tokenRollups(series, grid.resolution, grid.fromMs, grid.toMs);
  }

  /**
   * Each GPU's rollups over the grid plus the bucket just before it (the energy counter's
   * previous reading), in time order, with the energy of each document.
   */
  private async gpuDocsWithEnergy(
    grid: TimeGrid,
    filter: GpuSeriesFilter,
  ): Promise<Map<string, { gpu: GpuSeriesDocument; docs: GpuRollupDocument[]; energy: Map<string, number> }>> {
    const resolutionMs = RESOLUTION_MS[grid.resolution];
    const readFrom = bucketStartMs(grid.fromMs, grid.resolution) - resolutionMs;
    const gpus = await this.reader.gpuSeries(filter, readFrom, grid.toMs);
    const docs = await this.reader.gpuRollups(gpus, grid.resolution, readFrom, grid.toMs);
    const out = new Map<string, { gpu: GpuSeriesDocument; docs: GpuRollupDocument[]; energy: Map<string, number> }>();
    for (const gpu of gpus) out.set(JSON.stringify([gpu.node, gpu.gpuIndex]), { gpu, docs: [], energy: new Map() });
    for (const doc of docs) out.get(JSON.stringify([doc.node, doc.gpuIndex]))?.docs.push(doc);
    for (const entry of out.values()) {
      entry.docs.sort((a, b) => a.bucketStart.getTime() - b.bucketStart.getTime());
      entry.energy = energyPerDocument(entry.docs, resolutionMs);
    }
    return new Map([...out.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }
}

/** A totals range aligned outward to whole minutes (the finest rollup buckets). */
export function toWholeMinutes(range: { fromMs: number; toMs: number }): { fromMs: number; toMs: number } {
  return { fromMs: Math.floor(range.fromMs / 60_000) * 60_000, toMs: Math.ceil(range.toMs / 60_000) * 60_000 };
}

/**
 * Pieces of [fromMs, toMs) (whole minutes) at the coarsest resolution that tiles each: minutes up
 * to the first whole hour, hours up to the first whole day, days, then hours and minutes to the end.
 */
export function coveringPieces(fromMs: number, toMs: number): RollupPiece[] {
  const up = (t: number, size: number) => Math.ceil(t / size) * size;
  const down = (t: number, size: number) => Math.floor(t / size) * size;
  const hour = RESOLUTION_MS['1h'];
  const day = RESOLUTION_MS['1d'];
  const h1 = up(fromMs, hour);
  const h2 = down(toMs, hour);
  if (h1 >= h2) return [{ resolution: '1m', fromMs, toMs }];
  const d1 = up(h1, day);
  const d2 = down(h2, day);
  const middle: RollupPiece[] =
    d1 >= d2
      ? [{ resolution: '1h', fromMs: h1, toMs: h2 }]
      : [
          { resolution: '1h', fromMs: h1, toMs: d1 },
          { resolution: '1d', fromMs: d1, toMs: d2 },
          { resolution: '1h', fromMs: d2, toMs: h2 },
        ];
  return [
    { resolution: '1m' as const, fromMs, toMs: h1 },
    ...middle,
    { resolution: '1m' as const, fromMs: h2, toMs },
  ].filter((p) => p.fromMs < p.toMs);
}

export function keyOf(doc: TokenRollupDocument, groupBy: readonly TokenGroupField[]): TokenKey {
  const key: TokenKey = {};
  for (const field of groupBy) key[field] = doc[field];
  return key;
}

function compareKeys(a: Record<string, unknown>, b: Record<string, unknown>): number {
  const x = JSON.stringify(a);
  const y = JSON.stringify(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

export function sortByKey<T extends { key: TokenKey }>(items: T[]): T[] {
  return items.sort((a, b) => compareKeys(a.key, b.key));
}

export function gridTimes(grid: TimeGrid): number[] {
  return Array.from({ length: grid.points }, (_, i) => grid.fromMs + i * grid.stepMs);
}

export function gridHeader(grid: TimeGrid): { from: string; to: string; step: Step } {
  return { from: new Date(grid.fromMs).toISOString(), to: new Date(grid.toMs).toISOString(), step: grid.step };
}

export function getOrCreate<K, V>(map: Map<K, V>, key: K, create: () => V): V {
  let value = map.get(key);
  if (value === undefined) {
    value = create();
    map.set(key, value);
  }
  return value;
}

function addTo(map: Map<string, Map<number, number>>, key: string, t: number, value: number): void {
  const inner = getOrCreate(map, key, () => new Map<number, number>());
  inner.set(t, (inner.get(t) ?? 0) + value);
}
