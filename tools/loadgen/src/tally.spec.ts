import { latencySummary } from './tally';

describe('latencySummary', () => {
  it('computes nearest-rank percentiles', () => {
    const latencies = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(latencySummary(latencies)).toEqual({ p50: 50, p99: 99, max: 100 });
    expect(latencySummary([])).toBeNull();
  });
});
