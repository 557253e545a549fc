import fc from 'fast-check';
import {
  bucketLowerBound,
  bucketUpperBound,
  exactPercentile,
  HISTOGRAM_BUCKETS,
  HISTOGRAM_MAX_RELATIVE_ERROR,
  HISTOGRAM_MIN_MS,
  bucketKey,
  histogramBucket,
  histogramPercentile,
  mergeHistograms,
  type HistogramCounts,
} from './histogram';

function histogramOf(values: readonly number[]): HistogramCounts {
  const counts: HistogramCounts = {};
  for (const v of values) {
    const key = bucketKey(histogramBucket(v));
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

const latency = fc.double({ min: HISTOGRAM_MIN_MS, max: 86_400_000, noNaN: true });

describe('log histogram', () => {
  it('puts every value inside its bucket bounds', () => {
    fc.assert(
      fc.property(latency, (v) => {
        const i = histogramBucket(v);
        expect(i).toBeGreaterThan(0);
        expect(i).toBeLessThan(HISTOGRAM_BUCKETS);
        expect(v).toBeGreaterThanOrEqual(bucketLowerBound(i));
        expect(v).toBeLessThan(bucketUpperBound(i));
      }),
    );
    expect(histogramBucket(0)).toBe(0);
    expect(histogramBucket(86_400_000)).toBeLessThan(HISTOGRAM_BUCKETS);
  });

  it('estimates p50/p95/p99 within the documented relative error of the exact percentile', () => {
    expect(HISTOGRAM_MAX_RELATIVE_ERROR).toBeLessThan(0.05);
    fc.assert(
      fc.property(
        fc.array(latency, { minLength: 1, maxLength: 300 }),
        fc.constantFrom(0.5, 0.95, 0.99),
        (values, q) => {
          const exact = exactPercentile(values, q) ?? Number.NaN;
          const estimate = histogramPercentile(histogramOf(values), q) ?? Number.NaN;
          expect(Math.abs(estimate - exact) / exact).toBeLessThanOrEqual(HISTOGRAM_MAX_RELATIVE_ERROR + 1e-12);
        },
      ),
    );
  });

  it('merges by adding counts, the same as one histogram of all values', () => {
    fc.assert(
      fc.property(fc.array(latency), fc.array(latency), (a, b) => {
        expect(mergeHistograms(histogramOf(a), histogramOf(b))).toEqual(histogramOf([...a, ...b]));
      }),
    );
  });

  it('clamps estimates to the observed range and is null when empty', () => {
    expect(histogramPercentile({}, 0.5)).toBeNull();
    expect(histogramPercentile(histogramOf([100]), 0.99, { min: 100, max: 100 })).toBe(100);
  });
});
