// GPU-priced cost (README "Costs"): what each node's GPUs cost in a bucket — every GPU that reported
// a sample is charged the bucket's length at its GPU-hour price, plus its energy at the energy
// price — attributed to the tenants and models the node served by their share of its tokens
// (input + output) in that bucket, the attribution /v1/efficiency uses. Buckets are hours, and
// minutes at a range's partial hours, so the figures do not depend on how a range is cut into
// days. The cost of a bucket in which the node served no tokens is unattributed (idle).
//
// Exact arithmetic: a node's cost in a bucket is an integer over D = 3.6e9 pico-units (a GPU-hour
// price in micro-units × 1e6 × the bucket's milliseconds × 1,000 / D; energy in whole millijoules ×
// a kWh price in micro-units × 1e6 / D, 1 kWh being 3.6e9 mJ); a group's share n / N of it is
// rounded half-up to a whole pico-unit once per bucket; every sum after that is an exact integer.
import type { GpuRollupDocument, GpuSeriesDocument, TokenRollupDocument } from '@tokenmeter/storage';
import { RESOLUTION_MS } from '@tokenmeter/storage';
import { energyPerDocument } from '../series/aggregates';
import type { TokenKey } from '@tokenmeter/contracts/query-api';
import { getOrCreate, keyOf, type TokenGroupField } from '../series/series.service';
import type { RollupPiece, RollupReader, TokenSeriesFilter } from '../storage/rollup.reader';
import { tokenCount } from './money';
import type { PriceCatalog } from './price-catalog';

const D = 3_600_000_000n;
const PICOS_PER_MICRO = 1_000_000n;

/** One group's attributed share of one node's bucket. */
export interface Attributed {
  bucketStartMs: number;
  key: TokenKey;
  tokens: bigint;
  gpuPicos: bigint;
  energyPicos: bigint;
}

export interface Attribution {
  shares: Attributed[];
  /** Cost of buckets in which a node served no tokens, in pico-units, by bucket start. */
  idle: { bucketStartMs: number; gpuPicos: bigint; energyPicos: bigint }[];
  /** Minutes of GPUs that reported samples while no GPU price was in force for them. */
  unpricedGpuMinutes: number;
}

/** The attribution buckets of [fromMs, toMs) (whole minutes): minutes up to the first hour, hours, minutes. */
export function attributionPieces(fromMs: number, toMs: number): RollupPiece[] {
  const hour = RESOLUTION_MS['1h'];
  const h1 = Math.ceil(fromMs / hour) * hour;
  const h2 = Math.floor(toMs / hour) * hour;
  if (h1 >= h2) return [{ resolution: '1m', fromMs, toMs }];
  return [
    { resolution: '1m' as const, fromMs, toMs: h1 },
    { resolution: '1h' as const, fromMs: h1, toMs: h2 },
    { resolution: '1m' as const, fromMs: h2, toMs },
  ].filter((p) => p.fromMs < p.toMs);
}

/** A node's cost in one bucket, as numerators over D. */
interface NodeBucket {
  node: string;
  bucketStartMs: number;
  gpu: bigint;
  energy: bigint;
}

/**
 * Attributes the GPU cost of `pieces` to groups. Shares are computed over every token of a node,
 * whatever `filter` says; `filter` (tenant, model, the key's tenant scope) only chooses which
 * groups are returned.
 */
export async function attributeGpuCost(
  reader: RollupReader,
  catalog: PriceCatalog,
  pieces: readonly RollupPiece[],
  filter: TokenSeriesFilter,
  groupBy: readonly TokenGroupField[],
): Promise<Attribution> {
  const fromMs = Math.min(...pieces.map((p) => p.fromMs));
  const toMs = Math.max(...pieces.map((p) => p.toMs));
  const nodeOnly = filter.node === undefined ? {} : { node: filter.node };
  const [series, gpus] = await Promise.all([
    reader.tokenSeries(nodeOnly, fromMs, toMs),
    reader.gpuSeries(nodeOnly, fromMs - RESOLUTION_MS['1h'], toMs),
  ]);
  const [tokenDocs, nodeBuckets] = await Promise.all([
    reader.tokenRollupsCovering(series, pieces),
    nodeCosts(reader, catalog, gpus, pieces),
  ]);

  // Tokens per node and bucket: all of them (the denominator), and per returned group.
  const totals = new Map<string, bigint>();
  const groups = new Map<string, Map<string, { key: TokenKey; tokens: bigint }>>();
  for (const doc of tokenDocs) {
    const at = bucketId(doc.node, doc.bucketStart.getTime());
    const n = tokenCount(doc.inputTokens) + tokenCount(doc.outputTokens);
    totals.set(at, (totals.get(at) ?? 0n) + n);
    if (!wanted(doc, filter)) continue;
    const key = keyOf(doc, groupBy);
    const byKey = getOrCreate(groups, at, () => new Map<string, { key: TokenKey; tokens: bigint }>());
    getOrCreate(byKey, JSON.stringify(key), () => ({ key, tokens: 0n })).tokens += n;
  }

  const shares: Attributed[] = [];
  const idle: Attribution['idle'] = [];
  const costs = new Map(nodeBuckets.buckets.map((b) => [bucketId(b.node, b.bucketStartMs), b]));
  for (const [at, byKey] of groups) {
    const [, bucketStartMs] = JSON.parse(at) as [string, number];
    const cost = costs.get(at);
    const all = totals.get(at) ?? 0n;
    for (const { key, tokens } of byKey.values()) {
      shares.push({
        bucketStartMs,
        key,
        tokens,
        gpuPicos: cost === undefined || all === 0n ? 0n : share(cost.gpu, tokens, all),
        energyPicos: cost === undefined || all === 0n ? 0n : share(cost.energy, tokens, all),
      });
    }
  }
  for (const [at, cost] of costs) {
    if ((totals.get(at) ?? 0n) > 0n) continue;
    idle.push({
      bucketStartMs: cost.bucketStartMs,
      gpuPicos: share(cost.gpu, 1n, 1n),
      energyPicos: share(cost.energy, 1n, 1n),
    });
  }
  return { shares, idle, unpricedGpuMinutes: nodeBuckets.unpricedGpuMinutes };
}

/** numerator / D × n / total, rounded half-up to a whole pico-unit. */
function share(numerator: bigint, n: bigint, total: bigint): bigint {
  const den = D * total;
  return (2n * numerator * n + den) / (2n * den);
}

function bucketId(node: string, bucketStartMs: number): string {
  return JSON.stringify([node, bucketStartMs]);
}

function wanted(doc: TokenRollupDocument, filter: TokenSeriesFilter): boolean {
  if (filter.tenant !== undefined && doc.tenant !== filter.tenant) return false;
  if (filter.model !== undefined && doc.model !== filter.model) return false;
  return filter.tenantIn === undefined || filter.tenantIn.includes(doc.tenant);
}

/** Each node's GPU cost per bucket of `pieces`. */
async function nodeCosts(
  reader: RollupReader,
  catalog: PriceCatalog,
  gpus: readonly GpuSeriesDocument[],
  pieces: readonly RollupPiece[],
): Promise<{ buckets: NodeBucket[]; unpricedGpuMinutes: number }> {
  const buckets = new Map<string, NodeBucket>();
  let unpricedMs = 0;
  const identity = new Map(
    gpus.map((g) => [
      JSON.stringify([g.node, g.gpuIndex]),
      { node: g.node, ...(g.latest?.gpuModel === undefined ? {} : { gpuModel: g.latest.gpuModel }) },
    ]),
  );
  for (const piece of pieces) {
    const resolutionMs = RESOLUTION_MS[piece.resolution];
    // One bucket before the piece: the energy counter's previous reading.
    const docs = await reader.gpuRollups(gpus, piece.resolution, piece.fromMs - resolutionMs, piece.toMs);
    for (const perGpu of byGpu(docs).values()) {
      const energy = energyPerDocument(perGpu, resolutionMs);
      for (const doc of perGpu) {
        const startMs = doc.bucketStart.getTime();
        if (startMs < piece.fromMs || Number(doc.samples) === 0) continue;
        const gpu = identity.get(JSON.stringify([doc.node, doc.gpuIndex])) ?? { node: doc.node };
        const bucket = getOrCreate(buckets, bucketId(doc.node, startMs), () => ({
          node: doc.node,
          bucketStartMs: startMs,
          gpu: 0n,
          energy: 0n,
        }));
        const price = catalog.gpuPrice(gpu, startMs);
        if (price === undefined) unpricedMs += resolutionMs;
        else bucket.gpu += price.perGpuHour * PICOS_PER_MICRO * BigInt(resolutionMs) * 1_000n;
        const joules = energy.get(doc._id);
        const kWh = catalog.energyPrice(startMs);
        if (joules !== undefined && kWh !== undefined) {
          bucket.energy += BigInt(Math.round(joules * 1_000)) * kWh.perKWh * PICOS_PER_MICRO;
        }
      }
    }
  }
  return { buckets: [...buckets.values()], unpricedGpuMinutes: Math.round(unpricedMs / 60_000) };
}

/** Documents per GPU, each GPU's in time order. */
function byGpu(docs: readonly GpuRollupDocument[]): Map<string, GpuRollupDocument[]> {
  const out = new Map<string, GpuRollupDocument[]>();
  for (const doc of docs) getOrCreate(out, JSON.stringify([doc.node, doc.gpuIndex]), () => []).push(doc);
  for (const list of out.values()) list.sort((a, b) => a.bucketStart.getTime() - b.bucketStart.getTime());
  return out;
}
