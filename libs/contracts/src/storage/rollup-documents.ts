// Rollup documents (SPEC §6): per series and UTC-aligned bucket, at 1 minute and 1 hour.
// Written only by the processor, one series per Kafka partition (the message key is the
// series key), read by the query API. See docs/ARCHITECTURE.md for why they stay exact.
import type { GpuSample, LatencyHistogram, TokenUsageEvent, TokenUsageInterval } from '../index';
import { bucketKey, type HistogramCounts, histogramBucket, histogramFromBuckets } from './histogram';
import type { IndexDefinition } from './raw-documents';

export const ROLLUP_COLLECTIONS = { tokens: 'token_rollups', gpu: 'gpu_rollups' } as const;

export type Resolution = '1m' | '1h';
export const RESOLUTIONS: readonly Resolution[] = ['1m', '1h'];
export const RESOLUTION_MS: Record<Resolution, number> = { '1m': 60_000, '1h': 3_600_000 };

/** Epoch milliseconds are UTC, so flooring to the bucket size aligns to UTC boundaries. */
export function bucketStartMs(timeMs: number, resolution: Resolution): number {
  const size = RESOLUTION_MS[resolution];
  return Math.floor(timeMs / size) * size;
}

/**
 * Per-partition watermark: `wm.p<partition>` is the last Kafka offset whose events are
 * included in the document. Replayed messages at or below it are skipped for this document.
 */
export type Watermarks = Record<string, number>;

export function watermarkField(partition: number): string {
  return `p${partition}`;
}

interface RollupBase {
  _id: string;
  resolution: Resolution;
  bucketStart: Date;
  wm: Watermarks;
}

export interface TokenRollupDocument extends RollupBase {
  tenant: string;
  model: string;
  node: string;
  requests: number;
  errors: number;
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens: number;
  durationMsSum: number;
  /** Absent only in documents fed solely by scraped intervals without a latency histogram. */
  durationMsMin?: number;
  durationMsMax?: number;
  /** Histogram of durationMs: `b<bucket>` → count (see histogram.ts). */
  durationH?: HistogramCounts;
  /** Requests that reported ttftMs (ttftMs is optional). */
  ttftCount: number;
  ttftMsSum?: number;
  ttftMsMin?: number;
  ttftMsMax?: number;
  ttftH?: HistogramCounts;
}

export interface GpuRollupDocument extends RollupBase {
  node: string;
  gpuIndex: number;
  samples: number;
  /**
   * Samples without `utilizationPct` (not measured, e.g. a MIG GPU on nvidia-smi). Absent in
   * documents written before utilisation became optional, whose samples all had it: read it with
   * `gpuUtilizationSamples`, never directly.
   */
  samplesWithoutUtilization?: number;
  /** Over the samples that carried `utilizationPct` only. */
  utilizationPctSum: number;
  /** Absent when no sample of the bucket carried `utilizationPct`. */
  utilizationPctMax?: number;
  memoryUsedMiBSum: number;
  memoryUsedMiBMax: number;
  powerWSum: number;
  powerWMax: number;
  temperatureCMax: number;
  /** Samples that carried the cumulative energy counter, and its range in the bucket. */
  energySamples: number;
  energyJMin?: number;
  energyJMax?: number;
}

/**
 * How many of a GPU rollup document's samples carried `utilizationPct`: the count its
 * `utilizationPctSum` divides by.
 *
 * The document counts the samples WITHOUT it, not those with it, so that every document stays
 * exact across the upgrade that made utilisation optional: a document written before it lacks
 * the field, and all its samples had a utilisation (gpu.v1 required one), so absent = 0; a bucket
 * that older and newer processors both added to (the hour of the deployment, late or replayed
 * samples) is still right, because the older ones only ever added samples with a utilisation. A
 * count of the samples WITH a utilisation would start at the newer processor's first update and
 * miss the samples added before it.
 */
export function gpuUtilizationSamples(doc: Pick<GpuRollupDocument, 'samples' | 'samplesWithoutUtilization'>): number {
  return Number(doc.samples) - Number(doc.samplesWithoutUtilization ?? 0);
}

/** The change one batch makes to one rollup document, as update-operator payloads. */
export interface RollupDelta {
  _id: string;
  /** Identity fields, written when the document is created. */
  identity: Record<string, string | number | Date>;
  /** Integer counters: stored as 64-bit integers ($inc of int32 wraps on FerretDB). */
  counts: Record<string, number>;
  /** Floating-point sums. */
  sums: Record<string, number>;
  min: Record<string, number>;
  max: Record<string, number>;
}

/** The rollup documents an event contributes to, one per resolution. */
export function tokenRollupIds(e: Pick<TokenUsageEvent, 'tenant' | 'model' | 'node' | 'time'>): string[] {
  const timeMs = Date.parse(e.time);
  return RESOLUTIONS.map((r) => tokenRollupId(r, e.tenant, e.model, e.node, bucketStartMs(timeMs, r)));
}

export function gpuRollupIds(s: Pick<GpuSample, 'node' | 'gpuIndex' | 'time'>): string[] {
  const timeMs = Date.parse(s.time);
  return RESOLUTIONS.map((r) => gpuRollupId(r, s.node, s.gpuIndex, bucketStartMs(timeMs, r)));
}

export function tokenRollupId(
  resolution: Resolution,
  tenant: string,
  model: string,
  node: string,
  bucketMs: number,
): string {
  // JSON keeps the parts unambiguous whatever characters tenant/model/node contain.
  return JSON.stringify(['t', resolution, tenant, model, node, bucketMs]);
}

export function gpuRollupId(resolution: Resolution, node: string, gpuIndex: number, bucketMs: number): string {
  return JSON.stringify(['g', resolution, node, gpuIndex, bucketMs]);
}

/** Decides per rollup document whether an event contributes (the watermark check). */
export type AcceptRollup = (rollupId: string) => boolean;

const ACCEPT_ALL: AcceptRollup = () => true;

function deltaFor(deltas: Map<string, RollupDelta>, id: string, identity: () => RollupDelta['identity']): RollupDelta {
  let delta = deltas.get(id);
  if (delta === undefined) {
    delta = { _id: id, identity: identity(), counts: {}, sums: {}, min: {}, max: {} };
    deltas.set(id, delta);
  }
  return delta;
}

function add(target: Record<string, number>, field: string, value: number): void {
  target[field] = (target[field] ?? 0) + value;
}

function lower(target: Record<string, number>, field: string, value: number): void {
  const current = target[field];
  if (current === undefined || value < current) target[field] = value;
}

function raise(target: Record<string, number>, field: string, value: number): void {
  const current = target[field];
  if (current === undefined || value > current) target[field] = value;
}

/** Either token contract: both feed the same token rollup documents. */
export type TokenUsageRecord = TokenUsageEvent | TokenUsageInterval;

export function isTokenUsageInterval(record: TokenUsageRecord): record is TokenUsageInterval {
  return 'intervalMs' in record;
}

export function accumulateTokenRollups(
  events: Iterable<TokenUsageRecord>,
  into = new Map<string, RollupDelta>(),
  accept: AcceptRollup = ACCEPT_ALL,
): Map<string, RollupDelta> {
  for (const e of events) {
    const timeMs = Date.parse(e.time);
    for (const resolution of RESOLUTIONS) {
      const bucketMs = bucketStartMs(timeMs, resolution);
      const id = tokenRollupId(resolution, e.tenant, e.model, e.node, bucketMs);
      if (!accept(id)) continue;
      const d = deltaFor(into, id, () => ({
        resolution,
        bucketStart: new Date(bucketMs),
        tenant: e.tenant,
        model: e.model,
        node: e.node,
      }));
      if (isTokenUsageInterval(e)) {
        addInterval(d, e);
        continue;
      }
      add(d.counts, 'requests', 1);
      add(d.counts, 'errors', e.status === 'error' ? 1 : 0);
      add(d.counts, 'inputTokens', e.inputTokens);
      add(d.counts, 'outputTokens', e.outputTokens);
      add(d.counts, 'cachedInputTokens', e.cachedInputTokens ?? 0);
      add(d.sums, 'durationMsSum', e.durationMs);
      lower(d.min, 'durationMsMin', e.durationMs);
      raise(d.max, 'durationMsMax', e.durationMs);
      add(d.counts, `durationH.${bucketKey(histogramBucket(e.durationMs))}`, 1);
      if (e.ttftMs === undefined) {
        add(d.counts, 'ttftCount', 0);
      } else {
        add(d.counts, 'ttftCount', 1);
        add(d.sums, 'ttftMsSum', e.ttftMs);
        lower(d.min, 'ttftMsMin', e.ttftMs);
        raise(d.max, 'ttftMsMax', e.ttftMs);
        add(d.counts, `ttftH.${bucketKey(histogramBucket(e.ttftMs))}`, 1);
      }
    }
  }
  return into;
}

/**
 * A scraped interval adds its counters as they are, and its latency histograms bucket by
 * bucket. Its min/max are the bounds of the outermost non-empty source buckets.
 */
function addInterval(d: RollupDelta, e: TokenUsageInterval): void {
  add(d.counts, 'requests', e.requests);
  add(d.counts, 'errors', e.errors ?? 0);
  add(d.counts, 'inputTokens', e.inputTokens);
  add(d.counts, 'outputTokens', e.outputTokens);
  add(d.counts, 'cachedInputTokens', 0);
  add(d.sums, 'durationMsSum', e.durationMs?.sumMs ?? 0);
  addHistogram(d, 'durationH', 'durationMsMin', 'durationMsMax', e.durationMs);
  const ttft = addHistogram(d, 'ttftH', 'ttftMsMin', 'ttftMsMax', e.ttftMs);
  add(d.counts, 'ttftCount', ttft);
  if (ttft > 0) add(d.sums, 'ttftMsSum', e.ttftMs?.sumMs ?? 0);
}

function addHistogram(
  d: RollupDelta,
  field: 'durationH' | 'ttftH',
  minField: string,
  maxField: string,
  histogram: LatencyHistogram | undefined,
): number {
  if (histogram === undefined) return 0;
  const folded = histogramFromBuckets(histogram.boundsMs, histogram.counts);
  for (const [key, count] of Object.entries(folded.counts)) add(d.counts, `${field}.${key}`, count);
  if (folded.minMs !== undefined) lower(d.min, minField, folded.minMs);
  if (folded.maxMs !== undefined) raise(d.max, maxField, folded.maxMs);
  return folded.total;
}

export function accumulateGpuRollups(
  samples: Iterable<GpuSample>,
  into = new Map<string, RollupDelta>(),
  accept: AcceptRollup = ACCEPT_ALL,
): Map<string, RollupDelta> {
  for (const s of samples) {
    const timeMs = Date.parse(s.time);
    for (const resolution of RESOLUTIONS) {
      const bucketMs = bucketStartMs(timeMs, resolution);
      const id = gpuRollupId(resolution, s.node, s.gpuIndex, bucketMs);
      if (!accept(id)) continue;
      const d = deltaFor(into, id, () => ({
        resolution,
        bucketStart: new Date(bucketMs),
        node: s.node,
        gpuIndex: s.gpuIndex,
      }));
      add(d.counts, 'samples', 1);
      if (s.utilizationPct === undefined) {
        add(d.counts, 'samplesWithoutUtilization', 1);
        add(d.sums, 'utilizationPctSum', 0);
      } else {
        add(d.counts, 'samplesWithoutUtilization', 0);
        add(d.sums, 'utilizationPctSum', s.utilizationPct);
        raise(d.max, 'utilizationPctMax', s.utilizationPct);
      }
      add(d.sums, 'memoryUsedMiBSum', s.memoryUsedMiB);
      raise(d.max, 'memoryUsedMiBMax', s.memoryUsedMiB);
      add(d.sums, 'powerWSum', s.powerW);
      raise(d.max, 'powerWMax', s.powerW);
      raise(d.max, 'temperatureCMax', s.temperatureC);
      if (s.energyJ === undefined) {
        add(d.counts, 'energySamples', 0);
      } else {
        add(d.counts, 'energySamples', 1);
        lower(d.min, 'energyJMin', s.energyJ);
        raise(d.max, 'energyJMax', s.energyJ);
      }
    }
  }
  return into;
}

export const ROLLUP_INDEXES: Record<keyof typeof ROLLUP_COLLECTIONS, IndexDefinition[]> = {
  tokens: [
    {
      keys: { resolution: 1, bucketStart: 1 },
      name: 'resolution_bucket',
      serves: 'GET /v1/tokens/series and /totals: one resolution over a time range; retention deletes',
    },
  ],
  gpu: [
    {
      keys: { resolution: 1, node: 1, gpuIndex: 1, bucketStart: 1 },
      name: 'resolution_gpu_bucket',
      serves: 'GET /v1/gpus/series?node&gpuIndex over a time range',
    },
    {
      keys: { resolution: 1, bucketStart: 1 },
      name: 'resolution_bucket',
      serves: 'GET /v1/gpus/series over all GPUs; retention deletes',
    },
  ],
};
