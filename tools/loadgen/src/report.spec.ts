import { formatSummary } from './report';
import { emptyCounts, latencySummary } from './tally';

describe('reports', () => {
  it('summarises a run in a few human-readable lines', () => {
    const text = formatSummary({
      elapsedMs: 10_000,
      tokens: { ...emptyCounts(), sent: 100, accepted: 90, unavailable: 10, requests: 5 },
      gpus: emptyCounts(),
      achievedRatePerSecond: 10,
      latencyMs: latencySummary([5, 10, 20, 400]),
      target: 'http://127.0.0.1:3001',
      seed: 9,
      ratePerSecond: 10,
      durationSeconds: 10,
      startedAt: '2026-03-10T12:00:00.000Z',
      behindSchedule: 0,
      statusCounts: { '202': 4, '503': 1 },
      aborted: false,
      ok: false,
    });
    expect(text).toContain('unavailable (503) 10');
    expect(text).toContain('202×4 503×1');
    expect(text).toContain('p50 10 ms  p99 400 ms');
    expect(text).toContain('10 sent events were not accepted');
  });
});
