// Merging rollup documents into the numbers the API returns (SPEC §7, README "Query API").
// Averages are sums over counts; percentiles come from merged fixed-bucket histograms (within
// HISTOGRAM_MAX_RELATIVE_ERROR of the exact value); energy comes from the cumulative counter.
import {
  type GpuRollupDocument,
  gpuUtilizationSamples,
  type HistogramCounts,
  histogramPercentiles,
  mergeHistograms,
  type TokenRollupDocument,
} from '@tokenmeter/storage';
import type { GpuPoint, Percentiles, TokenCounts, TokenPoint } from '@tokenmeter/contracts/query-api';

export class TokenAccumulator {
  readonly counts: TokenCounts = { requests: 0, errors: 0, inputTokens: 0, outputTokens: 0, cachedInputTokens: 0 };
  private readonly duration = new HistogramAccumulator();
  private readonly ttft = new HistogramAccumulator();

  add(doc: TokenRollupDocument): void {
    this.counts.requests += Number(doc.requests);
    this.counts.errors += Number(doc.errors);
    this.counts.inputTokens += Number(doc.inputTokens);
    this.counts.outputTokens += Number(doc.outputTokens);
    this.counts.cachedInputTokens += Number(doc.cachedInputTokens ?? 0);
    this.duration.add(doc.durationH, doc.durationMsMin, doc.durationMsMax);
    if (Number(doc.ttftCount) > 0) this.ttft.add(doc.ttftH, doc.ttftMsMin, doc.ttftMsMax);
  }

  point(tMs: number, stepMs: number): TokenPoint {
    return {
      t: new Date(tMs).toISOString(),
      ...this.counts,
      tokensPerSecond: this.counts.outputTokens / (stepMs / 1_000),
      ttftMs: this.ttft.percentiles(),
      durationMs: this.duration.percentiles(),
    };
  }
}

class HistogramAccumulator {
  private readonly counts: HistogramCounts = {};
  private min = Number.POSITIVE_INFINITY;
  private max = Number.NEGATIVE_INFINITY;

  add(counts: HistogramCounts | undefined, min: number | undefined, max: number | undefined): void {
    if (counts === undefined) return;
    mergeHistograms(this.counts, counts);
    if (min !== undefined) this.min = Math.min(this.min, min);
    if (max !== undefined) this.max = Math.max(this.max, max);
  }

  percentiles(): Percentiles {
    const bounds =
      Number.isFinite(this.min) && Number.isFinite(this.max) ? { min: this.min, max: this.max } : undefined;
    const [p50, p95, p99] = histogramPercentiles(this.counts, [0.5, 0.95, 0.99], bounds).map(round);
    return { p50: p50 ?? null, p95: p95 ?? null, p99: p99 ?? null };
  }
}

export class GpuAccumulator {
  samples = 0;
  /** Samples that carried a utilisation (it is optional): what its average divides by. */
  private utilizationSamples = 0;
  private utilizationSum = 0;
  private utilizationMax = Number.NEGATIVE_INFINITY;
  private memorySum = 0;
  private memoryMax = Number.NEGATIVE_INFINITY;
  private powerSum = 0;
  private powerMax = Number.NEGATIVE_INFINITY;
  private temperatureMax = Number.NEGATIVE_INFINITY;
  energyJ: number | undefined;
  /**
   * Busy GPU-seconds: mean utilization (0-1) of the samples that have one times the length of
   * each rollup bucket. A bucket without any utilisation reading adds none (unknown, not idle).
   */
  busySeconds = 0;

  add(doc: GpuRollupDocument, energyJ: number | undefined, resolutionMs: number): void {
    const samples = Number(doc.samples);
    if (samples === 0) return;
    this.samples += samples;
    const utilizationSamples = gpuUtilizationSamples(doc);
    if (utilizationSamples > 0) {
      this.utilizationSamples += utilizationSamples;
      this.utilizationSum += doc.utilizationPctSum;
      if (doc.utilizationPctMax !== undefined)
        this.utilizationMax = Math.max(this.utilizationMax, doc.utilizationPctMax);
      this.busySeconds += (doc.utilizationPctSum / utilizationSamples / 100) * (resolutionMs / 1_000);
    }
    this.memorySum += doc.memoryUsedMiBSum;
    this.memoryMax = Math.max(this.memoryMax, doc.memoryUsedMiBMax);
    this.powerSum += doc.powerWSum;
    this.powerMax = Math.max(this.powerMax, doc.powerWMax);
    this.temperatureMax = Math.max(this.temperatureMax, doc.temperatureCMax);
    if (energyJ !== undefined) this.energyJ = (this.energyJ ?? 0) + energyJ;
  }

  /** Whether any sample added carried a utilisation: else `busySeconds` is unknown, not 0. */
  get utilizationMeasured(): boolean {
    return this.utilizationSamples > 0;
  }

  point(tMs: number): GpuPoint {
    const n = this.samples;
    const avg = (sum: number) => (n === 0 ? null : round(sum / n));
    const max = (m: number) => (n === 0 ? null : m);
    const u = this.utilizationSamples;
    const energyJ = this.energyJ;
    return {
      t: new Date(tMs).toISOString(),
      samples: n,
      utilizationPct: {
        avg: u === 0 ? null : round(this.utilizationSum / u),
        max: u === 0 ? null : this.utilizationMax,
      },
      memoryUsedMiB: { avg: avg(this.memorySum), max: max(this.memoryMax) },
      powerW: { avg: avg(this.powerSum), max: max(this.powerMax) },
      temperatureC: { max: max(this.temperatureMax) },
      ...(energyJ === undefined ? {} : { energyJ: round(energyJ) }),
    };
  }
}

/**
 * Energy per rollup document of ONE GPU, from the cumulative counter: the rise of the counter's
 * maximum since the immediately preceding bucket when that bucket has it (so the energy between
 * two buckets' samples is counted once, in the later bucket), else the rise within the bucket.
 * A counter that went down (driver reload) restarts from the bucket's own range.
 * `docs` must be one GPU's documents of one resolution, in time order.
 */
export function energyPerDocument(docs: readonly GpuRollupDocument[], resolutionMs: number): Map<string, number> {
  const out = new Map<string, number>();
  let previous: GpuRollupDocument | undefined;
  for (const doc of docs) {
    if (doc.energyJMax !== undefined && doc.energyJMin !== undefined) {
      const adjacent =
        previous?.energyJMax !== undefined &&
        previous.bucketStart.getTime() + resolutionMs === doc.bucketStart.getTime() &&
        doc.energyJMax >= previous.energyJMax;
      out.set(doc._id, adjacent ? doc.energyJMax - (previous?.energyJMax ?? 0) : doc.energyJMax - doc.energyJMin);
    }
    previous = doc;
  }
  return out;
}

/** Twelve significant digits: the float noise of sums and quotients stays out of the responses. */
export function round(value: number): number;
export function round(value: number | null): number | null;
export function round(value: number | null): number | null {
  return value === null ? null : Number(value.toPrecision(12));
}
