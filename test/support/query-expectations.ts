// What the query API must answer for a known dataset, computed from the raw events with plain
// code that shares nothing with the API's aggregation (issue 4: "values the test computes
// itself"). Percentiles are exact here; the API's are held to the documented histogram error.
import type { GpuSample, TokenUsageEvent } from '@tokenmeter/contracts';

const MINUTE = 60_000;

export function floorTo(ms: number, size: number): number {
  return Math.floor(ms / size) * size;
}

export function exactNearestRank(values: number[], q: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1] ?? null;
}

export interface ExpectedTokenBucket {
  requests: number;
  errors: number;
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens: number;
  ttft: number[];
  duration: number[];
}

function emptyTokenBucket(): ExpectedTokenBucket {
  return { requests: 0, errors: 0, inputTokens: 0, outputTokens: 0, cachedInputTokens: 0, ttft: [], duration: [] };
}

/** key (JSON of the groupBy fields in order) -> bucket start -> expected numbers. */
export function expectedTokenBuckets(
  events: readonly TokenUsageEvent[],
  opts: { fromMs: number; toMs: number; stepMs: number; groupBy: readonly ('model' | 'tenant' | 'node')[] },
): Map<string, Map<number, ExpectedTokenBucket>> {
  const out = new Map<string, Map<number, ExpectedTokenBucket>>();
  for (const e of events) {
    const t = Date.parse(e.time);
    if (t < opts.fromMs || t >= opts.toMs) continue;
    const key: Record<string, string> = {};
    for (const field of opts.groupBy) key[field] = e[field];
    const id = JSON.stringify(key);
    const buckets = out.get(id) ?? new Map<number, ExpectedTokenBucket>();
    out.set(id, buckets);
    const start = opts.fromMs + floorTo(t - opts.fromMs, opts.stepMs);
    const b = buckets.get(start) ?? emptyTokenBucket();
    buckets.set(start, b);
    b.requests += 1;
    b.errors += e.status === 'error' ? 1 : 0;
    b.inputTokens += e.inputTokens;
    b.outputTokens += e.outputTokens;
    b.cachedInputTokens += e.cachedInputTokens ?? 0;
    if (e.ttftMs !== undefined) b.ttft.push(e.ttftMs);
    b.duration.push(e.durationMs);
  }
  return out;
}

export interface ExpectedGpuBucket {
  samples: number;
  /** Of the samples that measured it (utilizationPct is optional). */
  utilization: number[];
  memory: number[];
  power: number[];
  temperature: number[];
  energyJ?: number;
  /**
   * Busy GPU-seconds: per minute with a utilisation reading, mean utilization / 100 x 60 s; a
   * minute without one adds nothing.
   */
  busySeconds: number;
}

/**
 * One GPU's samples per bucket. Energy: the counter's last value in the bucket minus its last
 * value before the bucket (the dataset samples every minute, so that one is in the minute just
 * before), or minus the bucket's first value when there is none — the documented rule.
 */
export function expectedGpuBuckets(
  samples: readonly GpuSample[],
  opts: { fromMs: number; toMs: number; stepMs: number },
): Map<number, ExpectedGpuBucket> {
  const sorted = [...samples].sort((a, b) => Date.parse(a.time) - Date.parse(b.time));
  const out = new Map<number, ExpectedGpuBucket>();
  const minutes = new Map<number, number[]>();
  let lastBefore: number | undefined;
  const firstIn = new Map<number, number>();
  const lastIn = new Map<number, number>();
  for (const s of sorted) {
    const t = Date.parse(s.time);
    if (t < opts.fromMs) {
      if (s.energyJ !== undefined) lastBefore = s.energyJ;
      continue;
    }
    if (t >= opts.toMs) continue;
    const start = opts.fromMs + floorTo(t - opts.fromMs, opts.stepMs);
    const b = out.get(start) ?? {
      samples: 0,
      utilization: [],
      memory: [],
      power: [],
      temperature: [],
      busySeconds: 0,
    };
    out.set(start, b);
    b.samples += 1;
    if (s.utilizationPct !== undefined) b.utilization.push(s.utilizationPct);
    b.memory.push(s.memoryUsedMiB);
    b.power.push(s.powerW);
    b.temperature.push(s.temperatureC);
    if (s.energyJ !== undefined) {
      if (!firstIn.has(start)) firstIn.set(start, s.energyJ);
      lastIn.set(start, s.energyJ);
    }
    if (s.utilizationPct !== undefined) {
      const minute = floorTo(t, MINUTE);
      const m = minutes.get(minute) ?? [];
      m.push(s.utilizationPct);
      minutes.set(minute, m);
    }
  }
  let previousLast = lastBefore;
  for (const start of [...out.keys()].sort((a, b) => a - b)) {
    const b = out.get(start) as ExpectedGpuBucket;
    const last = lastIn.get(start);
    if (last !== undefined) {
      b.energyJ = last - (previousLast ?? firstIn.get(start) ?? last);
      previousLast = last;
    }
  }
  for (const [minute, values] of minutes) {
    const start = opts.fromMs + floorTo(minute - opts.fromMs, opts.stepMs);
    const b = out.get(start);
    if (b !== undefined) b.busySeconds += (values.reduce((x, y) => x + y, 0) / values.length / 100) * 60;
  }
  return out;
}

export function mean(values: number[]): number | null {
  return values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length;
}

export function maxOf(values: number[]): number | null {
  return values.length === 0 ? null : Math.max(...values);
}

/** Equal up to float noise (the API rounds to 12 significant digits and sums in another order). */
export function close(actual: number | null | undefined, expected: number | null | undefined, rel = 1e-9): boolean {
  if (actual === null || actual === undefined || expected === null || expected === undefined) {
    return (actual ?? null) === (expected ?? null);
  }
  return Math.abs(actual - expected) <= rel * Math.max(1, Math.abs(expected));
}

/** The counters of one `/v1/tokens/totals` row. */
export interface ExpectedTotals {
  requests: number;
  errors: number;
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens: number;
}

/**
 * What `/v1/tokens/totals` must answer for `events` (already cut to the range and filters): one row
 * per distinct value of the `groupBy` fields, keyed by JSON of that key, computed from the events.
 */
export function expectedTokenTotals<F extends 'tenant' | 'model' | 'node'>(
  events: readonly Pick<TokenUsageEvent, F | 'status' | 'inputTokens' | 'outputTokens' | 'cachedInputTokens'>[],
  groupBy: readonly F[],
): Map<string, { key: Partial<Record<F, string>> } & ExpectedTotals> {
  const rows = new Map<string, { key: Partial<Record<F, string>> } & ExpectedTotals>();
  for (const e of events) {
    const key: Partial<Record<F, string>> = {};
    for (const field of groupBy) key[field] = e[field];
    const id = JSON.stringify(key);
    const row = rows.get(id) ?? { key, requests: 0, errors: 0, inputTokens: 0, outputTokens: 0, cachedInputTokens: 0 };
    row.requests += 1;
    row.errors += e.status === 'error' ? 1 : 0;
    row.inputTokens += e.inputTokens;
    row.outputTokens += e.outputTokens;
    row.cachedInputTokens += e.cachedInputTokens ?? 0;
    rows.set(id, row);
  }
  return rows;
}
