import { buildGpuSample, buildTokenUsageEvent, buildTokenUsageInterval } from '@tokenmeter/contracts/testing/factories';
import { histogramFromBuckets, histogramPercentile } from './histogram';
import {
  accumulateGpuRollups,
  accumulateTokenRollups,
  gpuRollupId,
  gpuUtilizationSamples,
  tokenRollupId,
} from './rollup-documents';

const NOW = Date.parse('2026-11-25T12:00:30.000Z');

describe('histogramFromBuckets', () => {
  it('places each source bucket at its midpoint and keeps the total', () => {
    const folded = histogramFromBuckets([100, 400], [2, 3, 1]);
    expect(folded.total).toBe(6);
    expect(folded.minMs).toBe(0);
    expect(folded.maxMs).toBe(400);
    const median = histogramPercentile(folded.counts, 0.5);
    // The 3rd and 4th observations are in (100, 400]: the estimate is near their midpoint, 200.
    expect(median).toBeGreaterThan(190);
    expect(median).toBeLessThan(210);
    // Counts in the first bucket sit at half its bound.
    const p10 = histogramPercentile(folded.counts, 0.1) ?? Number.NaN;
    expect(Math.abs(p10 - 50) / 50).toBeLessThan(0.05);
  });

  it('is empty for empty counts', () => {
    expect(histogramFromBuckets([1, 2], [0, 0, 0])).toEqual({ counts: {}, total: 0 });
  });
});

describe('accumulateTokenRollups with scraped intervals', () => {
  it('adds an interval as its counters and histograms to the same documents as requests', () => {
    const time = new Date(NOW - 20_000).toISOString();
    const request = buildTokenUsageEvent({ time, ttftMs: 120, durationMs: 900 }, { nowMs: NOW });
    const interval = buildTokenUsageInterval({ time }, { nowMs: NOW });
    const deltas = accumulateTokenRollups([request, interval]);
    const minuteId = tokenRollupId('1m', 'acme', request.model, request.node, Date.parse('2026-11-25T12:00:00.000Z'));
    const minute = deltas.get(minuteId);
    // One slot per tier (1m, 1h, 1d); the minute slot lives in its hour's bucket document.
    expect(deltas.size).toBe(3);
    expect(minute?.bucket).toBe(
      tokenRollupId('1m', 'acme', request.model, request.node, Date.parse('2026-11-25T12:00:00.000Z')),
    );
    expect(minute?.slot).toBe(0);
    expect(minute?.counts).toMatchObject({
      requests: 1 + 12,
      errors: 0,
      inputTokens: request.inputTokens + 6_144,
      outputTokens: request.outputTokens + 1_536,
      ttftCount: 1 + 12,
    });
    expect(minute?.sums).toMatchObject({ durationMsSum: 900 + 19_800, ttftMsSum: 120 + 1_020 });
    const durationCounts = Object.entries(minute?.counts ?? {})
      .filter(([k]) => k.startsWith('durationH.'))
      .reduce((sum, [, v]) => sum + v, 0);
    expect(durationCounts).toBe(1 + 12);
    expect(minute?.max).toMatchObject({ durationMsMax: 5_000 });
  });
});

describe('accumulateGpuRollups with samples without utilisation', () => {
  const minuteId = gpuRollupId('1m', 'gpu-node-1', 0, Date.parse('2026-11-25T12:00:00.000Z'));

  it('counts such a sample in samples and memory/power, apart from the utilisation sum and max', () => {
    const time = new Date(NOW - 20_000).toISOString();
    const measured = buildGpuSample({ time, utilizationPct: 40, powerW: 300 }, { nowMs: NOW });
    const { utilizationPct: _none, ...unmeasured } = buildGpuSample({ time, powerW: 200 }, { nowMs: NOW });
    const minute = accumulateGpuRollups([measured, unmeasured, { ...measured, utilizationPct: 60 }]).get(minuteId);
    expect(minute?.counts).toEqual({ samples: 3, samplesWithoutUtilization: 1, energySamples: 3 });
    expect(minute?.sums).toMatchObject({ utilizationPctSum: 100, powerWSum: 800 });
    expect(minute?.max).toMatchObject({ utilizationPctMax: 60, powerWMax: 300 });
  });

  it('leaves the maximum out when no sample of the bucket has a utilisation', () => {
    const { utilizationPct: _none, ...unmeasured } = buildGpuSample({ time: new Date(NOW).toISOString() });
    const minute = accumulateGpuRollups([unmeasured]).get(minuteId);
    expect(minute?.counts).toMatchObject({ samples: 1, samplesWithoutUtilization: 1 });
    expect(minute?.sums).toMatchObject({ utilizationPctSum: 0 });
    expect(minute?.max).not.toHaveProperty('utilizationPctMax');
  });
});

describe('gpuUtilizationSamples', () => {
  it('is samples minus those without a utilisation', () => {
    expect(gpuUtilizationSamples({ samples: 5, samplesWithoutUtilization: 2 })).toBe(3);
  });

  it('takes a document written before utilisation was optional (no count) as all measured', () => {
    expect(gpuUtilizationSamples({ samples: 5 })).toBe(5);
  });
});
