import type { GpuPoint, GpuSeriesResponse, Percentiles, TokenPoint, TokenSeriesResponse } from './api-types';
import { alignSeries, gpuData, hasTokenTraffic, latencyData, requestsData, tokensPerSecondData } from './chart-data';

const T0 = '2026-12-07T10:00:00.000Z';
const T1 = '2026-12-07T10:01:00.000Z';
const NO_PERCENTILES: Percentiles = { p50: null, p95: null, p99: null };

function tokenPoint(t: string, overrides: Partial<TokenPoint> = {}): TokenPoint {
  return {
    t,
    requests: 0,
    errors: 0,
    inputTokens: 0,
    outputTokens: 0,
    cachedInputTokens: 0,
    tokensPerSecond: 0,
    ttftMs: NO_PERCENTILES,
    durationMs: NO_PERCENTILES,
    ...overrides,
  };
}

function tokenSeries(...series: { model?: string; points: TokenPoint[] }[]): TokenSeriesResponse {
  return {
    from: T0,
    to: T1,
    step: '1m',
    series: series.map(({ model, points }) => ({ key: model === undefined ? {} : { model }, points })),
  };
}

function gpuPoint(t: string, overrides: Partial<GpuPoint> = {}): GpuPoint {
  return {
    t,
    samples: 1,
    utilizationPct: { avg: 50, max: 60 },
    memoryUsedMiB: { avg: 1000, max: 1200 },
    powerW: { avg: 300, max: 350 },
    temperatureC: { max: 70 },
    ...overrides,
  };
}

describe('alignSeries', () => {
  it('puts every series on one time axis in seconds, null where one has no point', () => {
    const data = alignSeries([
      { label: 'a', points: [{ t: T1, y: 2 }] },
      {
        label: 'b',
        points: [
          { t: T0, y: 1 },
          { t: T1, y: null },
        ],
      },
    ]);
    expect(data).toEqual({
      labels: ['a', 'b'],
      x: [Date.parse(T0) / 1000, Date.parse(T1) / 1000],
      ys: [
        [null, 2],
        [1, null],
      ],
    });
  });
});

describe('token charts', () => {
  it('plots tokens per second per model, sorted by label', () => {
    const data = tokensPerSecondData(
      tokenSeries(
        { model: 'zeta', points: [tokenPoint(T0, { tokensPerSecond: 5 })] },
        { model: 'alpha', points: [tokenPoint(T0, { tokensPerSecond: 7.5 })] },
      ),
    );
    expect(data.labels).toEqual(['alpha', 'zeta']);
    expect(data.ys).toEqual([[7.5], [5]]);
  });

  it('plots requests and errors of the ungrouped series', () => {
    const data = requestsData(tokenSeries({ points: [tokenPoint(T0, { requests: 9, errors: 2 })] }));
    expect(data.labels).toEqual(['requests', 'errors']);
    expect(data.ys).toEqual([[9], [2]]);
  });

  it('plots six latency percentiles with gaps for empty buckets', () => {
    const data = latencyData(
      tokenSeries({
        points: [
          tokenPoint(T0, { ttftMs: { p50: 1, p95: 2, p99: 3 }, durationMs: { p50: 4, p95: 5, p99: 6 } }),
          tokenPoint(T1),
        ],
      }),
    );
    expect(data.labels).toEqual(['ttft p50', 'ttft p95', 'ttft p99', 'duration p50', 'duration p95', 'duration p99']);
    expect(data.ys.map((ys) => ys[0])).toEqual([1, 2, 3, 4, 5, 6]);
    expect(data.ys.every((ys) => ys[1] === null)).toBe(true);
  });

  it('counts only buckets with requests as traffic', () => {
    expect(hasTokenTraffic(tokenSeries({ points: [tokenPoint(T0), tokenPoint(T1)] }))).toBe(false);
    expect(hasTokenTraffic(tokenSeries({ points: [tokenPoint(T0, { requests: 1 })] }))).toBe(true);
    expect(hasTokenTraffic(tokenSeries())).toBe(false);
  });
});

describe('gpuData', () => {
  const response: GpuSeriesResponse = {
    from: T0,
    to: T1,
    step: '1m',
    series: [
      { key: { node: 'n2', gpuIndex: 0 }, points: [gpuPoint(T0)] },
      { key: { node: 'n1', gpuIndex: 10 }, points: [gpuPoint(T0, { temperatureC: { max: 81 } })] },
      { key: { node: 'n1', gpuIndex: 2 }, points: [gpuPoint(T0, { utilizationPct: { avg: null, max: null } })] },
    ],
  };

  it('labels series node/gpuIndex, ordered by node then index number', () => {
    expect(gpuData(response, 'gpu-utilization').labels).toEqual(['n1/2', 'n1/10', 'n2/0']);
  });

  it('plots the field of each panel', () => {
    expect(gpuData(response, 'gpu-utilization').ys).toEqual([[null], [50], [50]]);
    expect(gpuData(response, 'gpu-temperature').ys).toEqual([[70], [81], [70]]);
    expect(gpuData(response, 'gpu-power').ys[0]).toEqual([300]);
    expect(gpuData(response, 'gpu-memory').ys[0]).toEqual([1000]);
  });
});
