/**
 * API responses turned into what a chart plots: one x axis (Unix seconds) shared by every series
 * and one y array per series, `null` where a series has no value (uPlot draws a gap).
 */
import type { EfficiencyResponse, GpuPoint, GpuSeriesResponse, TokenPoint, TokenSeriesResponse } from './api-types';

export interface ChartData {
  readonly labels: readonly string[];
  readonly x: readonly number[];
  readonly ys: readonly (readonly (number | null)[])[];
}

export interface LabelledPoints {
  readonly label: string;
  readonly points: readonly { readonly t: string; readonly y: number | null }[];
}

/** Series of the API share the time grid, but a union keeps the chart right if one ever does not. */
export function alignSeries(series: readonly LabelledPoints[]): ChartData {
  const seconds = new Set<number>();
  const byTime = series.map((one) => {
    const values = new Map<number, number | null>();
    for (const point of one.points) {
      const t = Date.parse(point.t) / 1000;
      seconds.add(t);
      values.set(t, point.y);
    }
    return values;
  });
  const x = [...seconds].sort((a, b) => a - b);
  return {
    labels: series.map((one) => one.label),
    x,
    ys: byTime.map((values) => x.map((t) => values.get(t) ?? null)),
  };
}

export function tokensPerSecondData(response: TokenSeriesResponse): ChartData {
  const series = [...response.series]
    .map((one) => ({
      label: one.key.model ?? 'all',
      points: one.points.map((p) => ({ t: p.t, y: p.tokensPerSecond })),
    }))
    .sort((a, b) => (a.label < b.label ? -1 : a.label > b.label ? 1 : 0));
  return alignSeries(series);
}

/** Without groupBy the API answers one series over everything that matches. */
function onlySeries(response: TokenSeriesResponse): readonly TokenPoint[] {
  return response.series[0]?.points ?? [];
}

export function requestsData(response: TokenSeriesResponse): ChartData {
  const points = onlySeries(response);
  return alignSeries([
    { label: 'requests', points: points.map((p) => ({ t: p.t, y: p.requests })) },
    { label: 'errors', points: points.map((p) => ({ t: p.t, y: p.errors })) },
  ]);
}

const PERCENTILES = ['p50', 'p95', 'p99'] as const;

export function latencyData(response: TokenSeriesResponse): ChartData {
  const points = onlySeries(response);
  return alignSeries(
    (['ttftMs', 'durationMs'] as const).flatMap((metric) =>
      PERCENTILES.map((percentile) => ({
        label: `${metric === 'ttftMs' ? 'ttft' : 'duration'} ${percentile}`,
        points: points.map((p) => ({ t: p.t, y: p[metric][percentile] })),
      })),
    ),
  );
}

export const GPU_METRICS = {
  'gpu-utilization': (p: GpuPoint) => p.utilizationPct.avg,
  'gpu-memory': (p: GpuPoint) => p.memoryUsedMiB.avg,
  'gpu-power': (p: GpuPoint) => p.powerW.avg,
  'gpu-temperature': (p: GpuPoint) => p.temperatureC.max,
} as const;
export type GpuPanelName = keyof typeof GPU_METRICS;

export function gpuData(response: GpuSeriesResponse, panel: GpuPanelName): ChartData {
  const series = [...response.series]
    .sort((a, b) => (a.key.node === b.key.node ? a.key.gpuIndex - b.key.gpuIndex : a.key.node < b.key.node ? -1 : 1))
    .map((one) => ({
      label: `${one.key.node}/${one.key.gpuIndex}`,
      points: one.points.map((p) => ({ t: p.t, y: GPU_METRICS[panel](p) })),
    }));
  return alignSeries(series);
}

export function efficiencyData(response: EfficiencyResponse): ChartData {
  const series = response.series
    .map((one) => ({
      label: `${one.key.node}/${one.key.model}`,
      points: one.points.map((p) => ({ t: p.t, y: p.tokensPerJoule })),
    }))
    .sort((a, b) => (a.label < b.label ? -1 : a.label > b.label ? 1 : 0));
  return alignSeries(series);
}

/** "No data in this range": the API sends empty buckets as zeros, so zeros alone are no data. */
export function hasTokenTraffic(response: TokenSeriesResponse): boolean {
  return response.series.some((one) => one.points.some((p) => p.requests > 0));
}
