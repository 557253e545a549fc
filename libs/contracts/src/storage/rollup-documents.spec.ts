import { buildTokenUsageEvent, buildTokenUsageInterval } from '../testing/factories';
import { histogramFromBuckets, histogramPercentile } from './histogram';
import { accumulateTokenRollups, tokenRollupId } from './rollup-documents';

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
    expect(deltas.size).toBe(2);
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
