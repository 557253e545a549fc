import { buildGpuSample, buildTokenUsageEvent } from '@tokenmeter/contracts/testing/factories';
import {
  accumulateGpuRollups,
  accumulateTokenRollups,
  applySlotChange,
  emptySlot,
  exactPercentile,
  type GpuRollupBucket,
  type GpuRollupDocument,
  gpuSlotRecord,
  HISTOGRAM_MAX_RELATIVE_ERROR,
  type RollupDelta,
  type TokenRollupBucket,
  type TokenRollupDocument,
  tokenSlotRecord,
} from '@tokenmeter/storage';
import { energyPerDocument, GpuAccumulator, TokenAccumulator } from './aggregates';

const T0 = Date.parse('2026-11-25T10:00:00Z');

/** The record the query API reads for the slot a delta writes (as the processor stores it). */
function asDocument<D>(delta: RollupDelta): D {
  const slot = emptySlot();
  applySlotChange(slot, delta);
  const bucket = delta.identity as unknown as TokenRollupBucket & GpuRollupBucket;
  return (
    'gpuIndex' in bucket ? gpuSlotRecord(bucket, delta.slot, slot) : tokenSlotRecord(bucket, delta.slot, slot)
  ) as D;
}

describe('TokenAccumulator', () => {
  it('adds counts and gives percentiles within the histogram error of the exact ones', () => {
    const durations = Array.from({ length: 200 }, (_, i) => 20 + i * i * 0.7);
    const events = durations.map((durationMs, i) =>
      buildTokenUsageEvent(
        {
          time: new Date(T0 + (i % 3) * 60_000).toISOString(),
          durationMs,
          ttftMs: i % 4 === 0 ? undefined : durationMs / 3,
          inputTokens: i,
          outputTokens: 2 * i,
          cachedInputTokens: i % 2,
          status: i % 10 === 0 ? 'error' : 'ok',
        },
        { nowMs: T0 + 10 * 60_000 },
      ),
    );
    const acc = new TokenAccumulator();
    for (const delta of accumulateTokenRollups(events).values()) {
      const doc = asDocument<TokenRollupDocument>(delta);
      if (doc.resolution === '1m') acc.add(doc);
    }
    const point = acc.point(T0, 300_000);
    expect(point).toMatchObject({
      requests: 200,
      errors: 20,
      inputTokens: 19_900,
      outputTokens: 39_800,
      cachedInputTokens: 100,
    });
    expect(point.tokensPerSecond).toBeCloseTo(39_800 / 300, 9);
    const ttfts = events.flatMap((e) => (e.ttftMs === undefined ? [] : [e.ttftMs]));
    for (const [q, name] of [
      [0.5, 'p50'],
      [0.95, 'p95'],
      [0.99, 'p99'],
    ] as const) {
      const exactDuration = exactPercentile(durations, q) as number;
      const exactTtft = exactPercentile(ttfts, q) as number;
      expect(Math.abs((point.durationMs[name] as number) - exactDuration)).toBeLessThanOrEqual(
        HISTOGRAM_MAX_RELATIVE_ERROR * exactDuration,
      );
      expect(Math.abs((point.ttftMs[name] as number) - exactTtft)).toBeLessThanOrEqual(
        HISTOGRAM_MAX_RELATIVE_ERROR * exactTtft,
      );
    }
  });

  it('gives zeros and null percentiles for an empty bucket', () => {
    expect(new TokenAccumulator().point(T0, 60_000)).toEqual({
      t: new Date(T0).toISOString(),
      requests: 0,
      errors: 0,
      inputTokens: 0,
      outputTokens: 0,
      cachedInputTokens: 0,
      tokensPerSecond: 0,
      ttftMs: { p50: null, p95: null, p99: null },
      durationMs: { p50: null, p95: null, p99: null },
    });
  });
});

describe('energyPerDocument', () => {
  function minuteDocs(readings: (number[] | null)[]): GpuRollupDocument[] {
    const samples = readings.flatMap((values, minute) =>
      (values ?? []).map((energyJ, i) =>
        buildGpuSample(
          { time: new Date(T0 + minute * 60_000 + i * 1_000).toISOString(), energyJ },
          { nowMs: T0 + 3_600_000 },
        ),
      ),
    );
    return [...accumulateGpuRollups(samples).values()]
      .map((d) => asDocument<GpuRollupDocument>(d))
      .filter((d) => d.resolution === '1m')
      .sort((a, b) => a.bucketStart.getTime() - b.bucketStart.getTime());
  }

  it('counts the rise since the previous bucket once, and the rise within a bucket after a gap or a reset', () => {
    const docs = minuteDocs([[100, 110], [130, 150], null, [400, 420], [5, 25]]);
    const energy = [...energyPerDocument(docs, 60_000).values()];
    // minute 0: within (10); minute 1: 150 - 110 (40); minute 3 after a gap: within (20);
    // minute 4 after a counter reset: within (20).
    expect(energy).toEqual([10, 40, 20, 20]);
    const acc = new GpuAccumulator();
    docs.forEach((d) => acc.add(d, energyPerDocument(docs, 60_000).get(d._id), 60_000));
    expect(acc.energyJ).toBe(90);
    expect(acc.point(T0).samples).toBe(8);
  });
});

describe('GpuAccumulator utilisation', () => {
  function minuteDoc(utilizations: (number | undefined)[], minute = 0): GpuRollupDocument {
    const samples = utilizations.map((utilizationPct, i) => {
      const { utilizationPct: _default, ...rest } = buildGpuSample(
        { time: new Date(T0 + minute * 60_000 + i * 1_000).toISOString(), powerW: 100 * (i + 1) },
        { nowMs: T0 + 3_600_000 },
      );
      return utilizationPct === undefined ? rest : { ...rest, utilizationPct };
    });
    const minuteDelta = [...accumulateGpuRollups(samples).values()].find((d) => d.identity['resolution'] === '1m');
    return asDocument<GpuRollupDocument>(minuteDelta as RollupDelta);
  }

  it('averages utilisation over the samples that carry it, and everything else over all samples', () => {
    const acc = new GpuAccumulator();
    acc.add(minuteDoc([30, undefined, 60, undefined]), undefined, 60_000);
    const point = acc.point(T0);
    expect(point.samples).toBe(4);
    expect(point.utilizationPct).toEqual({ avg: 45, max: 60 });
    expect(point.powerW).toEqual({ avg: 250, max: 400 });
    // The mean of the measured samples (45 %) over the whole minute.
    expect(acc.busySeconds).toBeCloseTo(27, 9);
    expect(acc.utilizationMeasured).toBe(true);
  });

  it('gives a null utilisation and no busy seconds when no sample has one, but keeps the rest', () => {
    const acc = new GpuAccumulator();
    acc.add(minuteDoc([undefined, undefined]), undefined, 60_000);
    const point = acc.point(T0);
    expect(point.samples).toBe(2);
    expect(point.utilizationPct).toEqual({ avg: null, max: null });
    expect(point.memoryUsedMiB.avg).not.toBeNull();
    expect(acc.busySeconds).toBe(0);
    expect(acc.utilizationMeasured).toBe(false);
  });

  it('reads a document written before utilisation was optional as having it on every sample', () => {
    const { samplesWithoutUtilization, ...old } = minuteDoc([20, 40]);
    expect(samplesWithoutUtilization).toBe(0);
    const acc = new GpuAccumulator();
    acc.add(old, undefined, 60_000);
    expect(acc.point(T0).utilizationPct).toEqual({ avg: 30, max: 40 });
    expect(acc.busySeconds).toBeCloseTo(18, 9);
  });

  it('merges buckets with and without utilisation readings by sample count', () => {
    const acc = new GpuAccumulator();
    acc.add(minuteDoc([10, 20, 30], 0), undefined, 60_000);
    acc.add(minuteDoc([undefined, 70], 1), undefined, 60_000);
    acc.add(minuteDoc([undefined], 2), undefined, 60_000);
    const point = acc.point(T0);
    expect(point.samples).toBe(6);
    expect(point.utilizationPct).toEqual({ avg: 32.5, max: 70 });
    // 20 % of minute 0 and 70 % of minute 1; minute 2 adds nothing.
    expect(acc.busySeconds).toBeCloseTo(12 + 42, 9);
  });
});
