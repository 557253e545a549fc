// Token-priced costs from the rollups (README "Costs"): the tokens of each rollup bucket times the
// price of its model in force at the bucket's start. Prices start on whole UTC hours
// (price-catalog.ts) and ranges are split where a price starts, so no bucket read ever straddles
// a price change; every sum is an exact BigInt of pico-units (money.ts), rounded once per row or
// point.
import { Injectable } from '@nestjs/common';
import { type Resolution, type TokenRollupDocument } from '@tokenmeter/storage';
import {
  coveringPieces,
  getOrCreate,
  gridHeader,
  gridTimes,
  keyOf,
  sortByKey,
  toWholeMinutes,
  type TokenGroupField,
} from '../series/series.service';
import { gridBucket, type TimeGrid } from '../series/time-grid';
import { RollupReader, type TokenSeriesFilter } from '../storage/rollup.reader';
import type {
  CostFigures,
  GpuCostFigures,
  GpuCostSeriesResponse,
  GpuCostTotalsResponse,
  IdleCost,
  TokenCostSeriesResponse,
  TokenCostTotalsResponse,
  TokenKey,
} from '@tokenmeter/contracts/query-api';
import { attributeGpuCost, attributionPieces, type Attribution } from './gpu-attribution';
import { formatPicos, tokenCount } from './money';
import type { PriceCatalog } from './price-catalog';

const DAY_MS = 86_400_000;

/** Exact running sums of one GPU-priced row or point. */
class GpuCostAccumulator {
  tokens = 0n;
  gpu = 0n;
  energy = 0n;

  add(part: { tokens?: bigint; gpuPicos: bigint; energyPicos: bigint }): void {
    this.tokens += part.tokens ?? 0n;
    this.gpu += part.gpuPicos;
    this.energy += part.energyPicos;
  }

  figures(): GpuCostFigures {
    return { tokens: Number(this.tokens), ...this.idle() };
  }

  idle(): IdleCost {
    return {
      gpuCost: formatPicos(this.gpu),
      energyCost: formatPicos(this.energy),
      cost: formatPicos(this.gpu + this.energy),
    };
  }
}

/** Exact running sums of one row or point. */
export class CostAccumulator {
  private input = 0n;
  private cached = 0n;
  private output = 0n;
  private unpriced = 0n;
  private picos = 0n;

  add(doc: TokenRollupDocument, catalog: PriceCatalog): void {
    const input = tokenCount(doc.inputTokens);
    const cached = tokenCount(doc.cachedInputTokens);
    const output = tokenCount(doc.outputTokens);
    this.input += input;
    this.cached += cached;
    this.output += output;
    const price = catalog.tokenPrice(doc.model, doc.bucketStart.getTime());
    if (price === undefined) {
      this.unpriced += input + output;
      return;
    }
    // Cached prompt tokens are part of the input tokens, priced at their own rate.
    this.picos += (input - cached) * price.input + cached * price.cachedInput + output * price.output;
  }

  figures(): CostFigures {
    return {
      inputTokens: Number(this.input),
      cachedInputTokens: Number(this.cached),
      outputTokens: Number(this.output),
      unpricedTokens: Number(this.unpriced),
      cost: formatPicos(this.picos),
    };
  }
}

@Injectable()
export class CostService {
  constructor(private readonly reader: RollupReader) {}

  async totals(
    catalog: PriceCatalog,
    range: { fromMs: number; toMs: number },
    filter: TokenSeriesFilter,
    groupBy: readonly TokenGroupField[],
  ): Promise<TokenCostTotalsResponse> {
    const { fromMs, toMs } = toWholeMinutes(range);
    const series = await this.reader.tokenSeries(filter, fromMs, toMs);
    const pieces = splitAt(fromMs, toMs, catalog.priceChanges()).flatMap(([a, b]) => coveringPieces(a, b));
    const docs = await this.reader.tokenRollupsCovering(series, pieces);
    const rows = new Map<string, { key: TokenKey; acc: CostAccumulator }>();
    if (groupBy.length === 0) rows.set('{}', { key: {}, acc: new CostAccumulator() });
    for (const doc of docs) {
      const key = keyOf(doc, groupBy);
      getOrCreate(rows, JSON.stringify(key), () => ({ key, acc: new CostAccumulator() })).acc.add(doc, catalog);
    }
    return {
      from: new Date(fromMs).toISOString(),
      to: new Date(toMs).toISOString(),
      currency: catalog.currency,
      view: 'tokens',
      rows: sortByKey([...rows.values()]).map(({ key, acc }) => ({ key, ...acc.figures() })),
    };
  }

  /**
   * GPU-priced totals (gpu-attribution.ts): hours and the minutes of partial hours, attributed by
   * token share; `fleet` (an all-tenant key) also gets the idle cost and the unpriced GPU time.
   */
  async gpuTotals(
    catalog: PriceCatalog,
    range: { fromMs: number; toMs: number },
    filter: TokenSeriesFilter,
    groupBy: readonly TokenGroupField[],
    fleet: boolean,
  ): Promise<GpuCostTotalsResponse> {
    const { fromMs, toMs } = toWholeMinutes(range);
    const attribution = await attributeGpuCost(this.reader, catalog, attributionPieces(fromMs, toMs), filter, groupBy);
    const rows = new Map<string, { key: TokenKey; acc: GpuCostAccumulator }>();
    if (groupBy.length === 0) rows.set('{}', { key: {}, acc: new GpuCostAccumulator() });
    for (const part of attribution.shares) {
      getOrCreate(rows, JSON.stringify(part.key), () => ({ key: part.key, acc: new GpuCostAccumulator() })).acc.add(
        part,
      );
    }
    const idle = new GpuCostAccumulator();
    for (const part of attribution.idle) idle.add(part);
    return {
      from: new Date(fromMs).toISOString(),
      to: new Date(toMs).toISOString(),
      currency: catalog.currency,
      view: 'gpus',
      rows: sortByKey([...rows.values()]).map(({ key, acc }) => ({ key, ...acc.figures() })),
      ...(fleet ? { unattributed: idle.idle(), unpricedGpuMinutes: attribution.unpricedGpuMinutes } : {}),
    };
  }

  async gpuSeries(
    catalog: PriceCatalog,
    grid: TimeGrid,
    filter: TokenSeriesFilter,
    groupBy: readonly TokenGroupField[],
    fleet: boolean,
  ): Promise<GpuCostSeriesResponse> {
    // Hours for steps of an hour or more (days too: attribution is hourly), minutes below.
    const resolution: Resolution = grid.resolution === '1m' ? '1m' : '1h';
    const attribution: Attribution = await attributeGpuCost(
      this.reader,
      catalog,
      [{ resolution, fromMs: grid.fromMs, toMs: grid.toMs }],
      filter,
      groupBy,
    );
    const groups = new Map<string, { key: TokenKey; points: Map<number, GpuCostAccumulator> }>();
    if (groupBy.length === 0) groups.set('{}', { key: {}, points: new Map<number, GpuCostAccumulator>() });
    for (const part of attribution.shares) {
      const group = getOrCreate(groups, JSON.stringify(part.key), () => ({
        key: part.key,
        points: new Map<number, GpuCostAccumulator>(),
      }));
      getOrCreate(group.points, gridBucket(grid, part.bucketStartMs), () => new GpuCostAccumulator()).add(part);
    }
    const idle = new Map<number, GpuCostAccumulator>();
    for (const part of attribution.idle) {
      getOrCreate(idle, gridBucket(grid, part.bucketStartMs), () => new GpuCostAccumulator()).add(part);
    }
    const empty = new GpuCostAccumulator();
    const times = gridTimes(grid);
    return {
      ...gridHeader(grid),
      currency: catalog.currency,
      view: 'gpus',
      series: sortByKey([...groups.values()]).map(({ key, points }) => ({
        key,
        points: times.map((t) => ({ t: new Date(t).toISOString(), ...(points.get(t) ?? empty).figures() })),
      })),
      ...(fleet
        ? {
            unattributed: times.map((t) => ({ t: new Date(t).toISOString(), ...(idle.get(t) ?? empty).idle() })),
            unpricedGpuMinutes: attribution.unpricedGpuMinutes,
          }
        : {}),
    };
  }

  async series(
    catalog: PriceCatalog,
    grid: TimeGrid,
    filter: TokenSeriesFilter,
    groupBy: readonly TokenGroupField[],
  ): Promise<TokenCostSeriesResponse> {
    const series = await this.reader.tokenSeries(filter, grid.fromMs, grid.toMs);
    const docs = await this.reader.tokenRollups(series, readResolution(grid, catalog), grid.fromMs, grid.toMs);
    const groups = new Map<string, { key: TokenKey; points: Map<number, CostAccumulator> }>();
    if (groupBy.length === 0) groups.set('{}', { key: {}, points: new Map() });
    for (const doc of docs) {
      const key = keyOf(doc, groupBy);
      const group = getOrCreate(groups, JSON.stringify(key), () => ({
        key,
        points: new Map<number, CostAccumulator>(),
      }));
      const t = gridBucket(grid, doc.bucketStart.getTime());
      getOrCreate(group.points, t, () => new CostAccumulator()).add(doc, catalog);
    }
    const empty = new CostAccumulator().figures();
    const times = gridTimes(grid);
    return {
      ...gridHeader(grid),
      currency: catalog.currency,
      view: 'tokens',
      series: sortByKey([...groups.values()]).map(({ key, points }) => ({
        key,
        points: times.map((t) => ({ t: new Date(t).toISOString(), ...(points.get(t)?.figures() ?? empty) })),
      })),
    };
  }
}

/** [fromMs, toMs) cut at every instant of `cuts` strictly inside it. */
export function splitAt(fromMs: number, toMs: number, cuts: readonly number[]): [number, number][] {
  const inside = cuts.filter((c) => c > fromMs && c < toMs);
  const edges = [fromMs, ...inside, toMs];
  return edges.slice(1).map((end, i) => [edges[i] as number, end]);
}

/**
 * The rollups a cost series reads: the grid's own, except day buckets when a price starts inside
 * one of the grid's days (prices start on whole hours): then hours.
 */
export function readResolution(grid: TimeGrid, catalog: PriceCatalog): Resolution {
  if (grid.resolution !== '1d') return grid.resolution;
  const midDay = catalog.priceChanges().some((t) => t > grid.fromMs && t < grid.toMs && t % DAY_MS !== 0);
  return midDay ? '1h' : '1d';
}
