// Rollups (SPEC §6), stored as bucket documents (docs/adr/0001-bucketed-rollups.md): one
// document per series and container span holds that span's slots, packed into one binary field
// (rollup-slots.ts):
//   1m slots in an hour document (60), 1h slots in a week document (168, weeks start Monday
//   00:00 UTC), 1d slots in a month document (UTC calendar month).
// Written only by the processor, one series per Kafka partition (the message key is the series
// key), read by the query API. See docs/ARCHITECTURE.md for why they stay exact.
import type { GpuSample, LatencyHistogram, TokenUsageEvent, TokenUsageInterval } from '@tokenmeter/contracts';
import { bucketKey, type HistogramCounts, histogramBucket, histogramFromBuckets } from './histogram';
import type { IndexDefinition } from './raw-documents';
import { GPU_SLOT_SCHEMA, type RollupSlot, type SlotChange, type SlotSchema, TOKEN_SLOT_SCHEMA } from './rollup-slots';

/** The bucket documents. The per-bucket collections of earlier versions are rebuilt from raw events. */
export const ROLLUP_COLLECTIONS = { tokens: 'token_rollup_buckets', gpu: 'gpu_rollup_buckets' } as const;
export type RollupKind = keyof typeof ROLLUP_COLLECTIONS;
export const SLOT_SCHEMAS: Record<RollupKind, SlotSchema> = { tokens: TOKEN_SLOT_SCHEMA, gpu: GPU_SLOT_SCHEMA };

export type Resolution = '1m' | '1h' | '1d';
export const RESOLUTIONS: readonly Resolution[] = ['1m', '1h', '1d'];
export const RESOLUTION_MS: Record<Resolution, number> = { '1m': 60_000, '1h': 3_600_000, '1d': 86_400_000 };

/** Epoch milliseconds are UTC, so flooring to the bucket size aligns to UTC boundaries. */
export function bucketStartMs(timeMs: number, resolution: Resolution): number {
  const size = RESOLUTION_MS[resolution];
  return Math.floor(timeMs / size) * size;
}

const HOUR_MS = 3_600_000;
const WEEK_MS = 7 * 86_400_000;
/** 1970-01-05, the first Monday of the epoch: weeks start on Monday 00:00 UTC (ISO 8601). */
const FIRST_MONDAY_MS = 4 * 86_400_000;

/** Start of the container (bucket document span) that holds `timeMs` at `resolution`. */
export function containerStartMs(resolution: Resolution, timeMs: number): number {
  switch (resolution) {
    case '1m':
      return Math.floor(timeMs / HOUR_MS) * HOUR_MS;
    case '1h':
      return Math.floor((timeMs - FIRST_MONDAY_MS) / WEEK_MS) * WEEK_MS + FIRST_MONDAY_MS;
    case '1d': {
      const d = new Date(timeMs);
      return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
    }
  }
}

/** End (exclusive) of the container that starts at `startMs`. */
export function containerEndMs(resolution: Resolution, startMs: number): number {
  switch (resolution) {
    case '1m':
      return startMs + HOUR_MS;
    case '1h':
      return startMs + WEEK_MS;
    case '1d': {
      const d = new Date(startMs);
      return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
    }
  }
}

/** Starts of the containers that overlap [fromMs, toMs), ascending. */
export function containerStarts(resolution: Resolution, fromMs: number, toMs: number): number[] {
  const out: number[] = [];
  if (fromMs >= toMs) return out;
  for (let t = containerStartMs(resolution, fromMs); t < toMs; t = containerEndMs(resolution, t)) out.push(t);
  return out;
}

/** The slot of a bucket within its container. */
export function slotIndex(resolution: Resolution, bucketMs: number): number {
  return (bucketMs - containerStartMs(resolution, bucketMs)) / RESOLUTION_MS[resolution];
}

/**
 * Per-partition watermark: `wm.p<partition>` is the last Kafka offset whose events are
 * included in the document. Replayed messages at or below it are skipped for this document.
 */
export type Watermarks = Record<string, number>;

export function watermarkField(partition: number): string {
  return `p${partition}`;
}

/**
 * A stored bucket document: the slots of one series over one container span, the watermarks of
 * every partition that wrote it, and a version moved by every write (the compare-and-set key).
 */
interface RollupBucketBase {
  /** JSON ['t' | 'g', resolution, ...series, containerStartMs]: computable by any reader. */
  _id: string;
  resolution: Resolution;
  start: Date;
  /** Exclusive; retention deletes a document once its end is past the tier's retention. */
  end: Date;
  wm: Watermarks;
  v: number;
  /** The slots, packed (rollup-slots.ts); the driver returns it as a BSON Binary. */
  s: Uint8Array;
}

export interface TokenRollupBucket extends RollupBucketBase {
  tenant: string;
  model: string;
  node: string;
}

export interface GpuRollupBucket extends RollupBucketBase {
  node: string;
  gpuIndex: number;
}

/** One rollup bucket as the query API reads it: a slot of a bucket document, with its series. */
interface RollupBase {
  /** JSON ['t' | 'g', resolution, ...series, bucketStartMs]: unique per bucket. */
  _id: string;
  resolution: Resolution;
  bucketStart: Date;
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

/** The change one batch makes to one slot of one bucket document. */
export interface RollupDelta extends SlotChange {
  /** The slot's own id (tokenRollupId / gpuRollupId of its bucket start). */
  _id: string;
  /** The bucket document that holds the slot, and the slot's index in it. */
  bucket: string;
  slot: number;
  /** Identity fields of the bucket document, written when it is created. */
  identity: Record<string, string | number | Date>;
}

/** The bucket documents an event contributes to, one per resolution. */
export function tokenBucketIds(e: Pick<TokenUsageEvent, 'tenant' | 'model' | 'node' | 'time'>): string[] {
  const timeMs = Date.parse(e.time);
  return RESOLUTIONS.map((r) => tokenRollupId(r, e.tenant, e.model, e.node, containerStartMs(r, timeMs)));
}

export function gpuBucketIds(s: Pick<GpuSample, 'node' | 'gpuIndex' | 'time'>): string[] {
  const timeMs = Date.parse(s.time);
  return RESOLUTIONS.map((r) => gpuRollupId(r, s.node, s.gpuIndex, containerStartMs(r, timeMs)));
}

/** The id of a bucket (bucketMs = its start) or of a bucket document (bucketMs = its container's start). */
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

/** Decides per bucket document whether an event contributes (the watermark check). */
export type AcceptRollup = (bucketDocumentId: string) => boolean;

const ACCEPT_ALL: AcceptRollup = () => true;

function deltaFor(
  deltas: Map<string, RollupDelta>,
  id: string,
  at: { bucket: string; slot: number },
  identity: () => RollupDelta['identity'],
): RollupDelta {
  let delta = deltas.get(id);
  if (delta === undefined) {
    delta = { _id: id, ...at, identity: identity(), counts: {}, sums: {}, min: {}, max: {} };
    deltas.set(id, delta);
  }
  return delta;
}

function bucketIdentity(resolution: Resolution, containerMs: number): Record<string, string | Date> {
  return {
    resolution,
    start: new Date(containerMs),
    end: new Date(containerEndMs(resolution, containerMs)),
  };
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
      const containerMs = containerStartMs(resolution, timeMs);
      const bucket = tokenRollupId(resolution, e.tenant, e.model, e.node, containerMs);
      if (!accept(bucket)) continue;
      const id = tokenRollupId(resolution, e.tenant, e.model, e.node, bucketMs);
      const slot = (bucketMs - containerMs) / RESOLUTION_MS[resolution];
      const d = deltaFor(into, id, { bucket, slot }, () => ({
        ...bucketIdentity(resolution, containerMs),
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
      const containerMs = containerStartMs(resolution, timeMs);
      const bucket = gpuRollupId(resolution, s.node, s.gpuIndex, containerMs);
      if (!accept(bucket)) continue;
      const id = gpuRollupId(resolution, s.node, s.gpuIndex, bucketMs);
      const slot = (bucketMs - containerMs) / RESOLUTION_MS[resolution];
      const d = deltaFor(into, id, { bucket, slot }, () => ({
        ...bucketIdentity(resolution, containerMs),
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

/**
 * Range reads (servers that use secondary indexes, i.e. MongoDB): one resolution, the containers
 * that start in a range. FerretDB reads bucket documents by `_id` only (storage dialect).
 */
export const ROLLUP_INDEXES: Record<RollupKind, IndexDefinition[]> = {
  tokens: [
    {
      keys: { resolution: 1, start: 1 },
      name: 'resolution_start',
      serves: 'GET /v1/tokens/series, /totals, /efficiency on MongoDB: one tier over a time range',
    },
    {
      keys: { resolution: 1, end: 1 },
      name: 'resolution_end',
      serves: 'retention deletes (documents whose end is past the tier retention)',
    },
  ],
  gpu: [
    {
      keys: { resolution: 1, node: 1, gpuIndex: 1, start: 1 },
      name: 'resolution_gpu_start',
      serves: 'GET /v1/gpus/series?node&gpuIndex on MongoDB',
    },
    {
      keys: { resolution: 1, start: 1 },
      name: 'resolution_start',
      serves: 'GET /v1/gpus/series, /efficiency on MongoDB over all GPUs',
    },
    {
      keys: { resolution: 1, end: 1 },
      name: 'resolution_end',
      serves: 'retention deletes',
    },
  ],
};

/** A slot of a token bucket document as the record the query API aggregates. */
export function tokenSlotRecord(
  doc: Omit<TokenRollupBucket, 's' | 'wm' | 'v'>,
  index: number,
  slot: RollupSlot,
): TokenRollupDocument {
  const bucketMs = doc.start.getTime() + index * RESOLUTION_MS[doc.resolution];
  const v = slot.values;
  const record: TokenRollupDocument = {
    _id: tokenRollupId(doc.resolution, doc.tenant, doc.model, doc.node, bucketMs),
    resolution: doc.resolution,
    bucketStart: new Date(bucketMs),
    tenant: doc.tenant,
    model: doc.model,
    node: doc.node,
    requests: v.requests ?? 0,
    errors: v.errors ?? 0,
    inputTokens: v.inputTokens ?? 0,
    outputTokens: v.outputTokens ?? 0,
    cachedInputTokens: v.cachedInputTokens ?? 0,
    durationMsSum: v.durationMsSum ?? 0,
    ttftCount: v.ttftCount ?? 0,
  };
  // Optional fields stay absent when the slot has none (assigned, not spread: this runs per slot).
  if (v.durationMsMin !== undefined) record.durationMsMin = v.durationMsMin;
  if (v.durationMsMax !== undefined) record.durationMsMax = v.durationMsMax;
  if (slot.histograms.durationH !== undefined) record.durationH = slot.histograms.durationH;
  if (v.ttftMsSum !== undefined) record.ttftMsSum = v.ttftMsSum;
  if (v.ttftMsMin !== undefined) record.ttftMsMin = v.ttftMsMin;
  if (v.ttftMsMax !== undefined) record.ttftMsMax = v.ttftMsMax;
  if (slot.histograms.ttftH !== undefined) record.ttftH = slot.histograms.ttftH;
  return record;
}

export function gpuSlotRecord(
  doc: Omit<GpuRollupBucket, 's' | 'wm' | 'v'>,
  index: number,
  slot: RollupSlot,
): GpuRollupDocument {
  const bucketMs = doc.start.getTime() + index * RESOLUTION_MS[doc.resolution];
  const v = slot.values;
  const record: GpuRollupDocument = {
    _id: gpuRollupId(doc.resolution, doc.node, doc.gpuIndex, bucketMs),
    resolution: doc.resolution,
    bucketStart: new Date(bucketMs),
    node: doc.node,
    gpuIndex: doc.gpuIndex,
    samples: v.samples ?? 0,
    samplesWithoutUtilization: v.samplesWithoutUtilization ?? 0,
    utilizationPctSum: v.utilizationPctSum ?? 0,
    memoryUsedMiBSum: v.memoryUsedMiBSum ?? 0,
    memoryUsedMiBMax: v.memoryUsedMiBMax ?? 0,
    powerWSum: v.powerWSum ?? 0,
    powerWMax: v.powerWMax ?? 0,
    temperatureCMax: v.temperatureCMax ?? 0,
    energySamples: v.energySamples ?? 0,
  };
  if (v.utilizationPctMax !== undefined) record.utilizationPctMax = v.utilizationPctMax;
  if (v.energyJMin !== undefined) record.energyJMin = v.energyJMin;
  if (v.energyJMax !== undefined) record.energyJMax = v.energyJMax;
  return record;
}
