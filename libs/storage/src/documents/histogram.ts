// Fixed log-scale latency histograms (SPEC §6): the same bucket boundaries everywhere, so
// histograms of any set of rollups can be merged by adding counts, and p50/p95/p99 of any
// range come from the merged counts.
//
// Bucket 0 holds values below MIN_MS; bucket i ≥ 1 holds [MIN_MS·G^(i-1), MIN_MS·G^i).
// A percentile is estimated as the geometric midpoint of the bucket holding its rank, so
// for values ≥ MIN_MS the estimate is within √G − 1 ≈ 4.88% of the exact nearest-rank
// percentile (documented in docs/ARCHITECTURE.md). Below MIN_MS the absolute error is < MIN_MS.

export const HISTOGRAM_GROWTH = 1.1;
export const HISTOGRAM_MIN_MS = 0.01;
/** Covers MIN_MS up to the contract's 86,400,000 ms maximum. */
export const HISTOGRAM_BUCKETS =
  1 + Math.ceil(Math.log(86_400_000 / HISTOGRAM_MIN_MS) / Math.log(HISTOGRAM_GROWTH)) + 1;
export const HISTOGRAM_MAX_RELATIVE_ERROR = Math.sqrt(HISTOGRAM_GROWTH) - 1;

const LOG_GROWTH = Math.log(HISTOGRAM_GROWTH);

/** Sparse counts: bucket index (as a string key `b<i>`) → count. */
export type HistogramCounts = Record<string, number>;

export function histogramBucket(valueMs: number): number {
  if (!(valueMs >= HISTOGRAM_MIN_MS)) return 0;
  let i = 1 + Math.floor(Math.log(valueMs / HISTOGRAM_MIN_MS) / LOG_GROWTH);
  // Floating-point log can land one bucket off at exact boundaries; correct it.
  if (valueMs < bucketLowerBound(i)) i -= 1;
  else if (valueMs >= bucketLowerBound(i + 1)) i += 1;
  return Math.min(i, HISTOGRAM_BUCKETS - 1);
}

export function bucketKey(index: number): string {
  return `b${index}`;
}

export function bucketLowerBound(index: number): number {
  return index <= 0 ? 0 : HISTOGRAM_MIN_MS * HISTOGRAM_GROWTH ** (index - 1);
}

export function bucketUpperBound(index: number): number {
  return HISTOGRAM_MIN_MS * HISTOGRAM_GROWTH ** index;
}

/** The representative value of a bucket: its geometric midpoint (0 for the underflow bucket). */
export function bucketEstimate(index: number): number {
  return index <= 0 ? 0 : Math.sqrt(bucketLowerBound(index) * bucketUpperBound(index));
}

export function mergeHistograms(into: HistogramCounts, from: HistogramCounts | undefined): HistogramCounts {
  if (from === undefined) return into;
  // for…in, not Object.entries: the query API merges thousands of these per request.
  for (const key in from) into[key] = (into[key] ?? 0) + (from[key] as number);
  return into;
}

/**
 * Nearest-rank percentile (q in (0, 1]) of the merged histogram, clamped to the observed
 * [min, max] when given. Null when the histogram is empty.
 */
export function histogramPercentile(
  counts: HistogramCounts,
  q: number,
  bounds?: { min: number; max: number },
): number | null {
  return histogramPercentiles(counts, [q], bounds)[0] ?? null;
}

/** `histogramPercentile` for several q at once (one sort of the buckets). */
export function histogramPercentiles(
  counts: HistogramCounts,
  qs: readonly number[],
  bounds?: { min: number; max: number },
): (number | null)[] {
  const entries = Object.entries(counts)
    .map(([key, count]) => [Number(key.slice(1)), count] as const)
    .filter(([, count]) => count > 0)
    .sort((a, b) => a[0] - b[0]);
  const total = entries.reduce((sum, [, count]) => sum + count, 0);
  return qs.map((q) => {
    if (total === 0) return null;
    const rank = Math.max(1, Math.ceil(q * total));
    let seen = 0;
    for (const [index, count] of entries) {
      seen += count;
      if (seen >= rank) {
        const estimate = bucketEstimate(index);
        return bounds === undefined ? estimate : Math.min(bounds.max, Math.max(bounds.min, estimate));
      }
    }
    return null;
  });
}

/** The exact nearest-rank percentile of raw values, the reference the estimate is held to. */
export function exactPercentile(values: readonly number[], q: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1] ?? null;
}

/**
 * Folds a Prometheus-style histogram (non-cumulative counts per upper bound, the last count
 * above the last bound: tokens-interval.v1) into our fixed buckets. The observations of one
 * source bucket are placed at its geometric midpoint (half its bound for the first bucket,
 * the last bound for the overflow bucket), so percentiles over scraped intervals are only as
 * fine as the source's buckets (docs/ARCHITECTURE.md "Interval aggregates").
 * Returns the counts and the range the observations may span, for min/max.
 */
export function histogramFromBuckets(
  boundsMs: readonly number[],
  counts: readonly number[],
): { counts: HistogramCounts; total: number; minMs?: number; maxMs?: number } {
  const into: HistogramCounts = {};
  let total = 0;
  let minMs: number | undefined;
  let maxMs: number | undefined;
  counts.forEach((count, i) => {
    if (!(count > 0)) return;
    const upper = boundsMs[i];
    const lower = i === 0 ? 0 : (boundsMs[i - 1] ?? 0);
    const representative = upper === undefined ? lower : lower > 0 ? Math.sqrt(lower * upper) : upper / 2;
    const key = bucketKey(histogramBucket(representative));
    into[key] = (into[key] ?? 0) + count;
    total += count;
    minMs ??= lower;
    maxMs = upper ?? lower;
  });
  return { counts: into, total, ...(minMs === undefined ? {} : { minMs }), ...(maxMs === undefined ? {} : { maxMs }) };
}
