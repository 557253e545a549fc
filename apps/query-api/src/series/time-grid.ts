// The time grid of a series query (SPEC §7): `step` is one of 1m 5m 15m 1h 6h 1d, buckets are
// aligned to UTC step boundaries, and a query covers at most 10,000 points per series.
import type { Resolution } from '@tokenmeter/storage';
import { invalidParams } from '../params/query-params';

import { type Step, STEPS } from '@tokenmeter/contracts/query-api';

export const STEP_MS: Record<Step, number> = {
  '1m': 60_000,
  '5m': 300_000,
  '15m': 900_000,
  '1h': 3_600_000,
  '6h': 21_600_000,
  '1d': 86_400_000,
};

export const MAX_POINTS_PER_SERIES = 10_000;
/** Without `step`, the finest step that gives at most this many points. */
export const DEFAULT_MAX_POINTS = 1_440;

export interface TimeGrid {
  /** Aligned down / up to the step: [fromMs, toMs) holds `points` whole buckets. */
  fromMs: number;
  toMs: number;
  step: Step;
  stepMs: number;
  points: number;
  /** The rollup resolution read: 1h buckets serve steps of an hour or more, 1d buckets steps of a day. */
  resolution: Resolution;
}

export function planGrid(range: { fromMs: number; toMs: number }, step: Step | undefined): TimeGrid {
  const chosen = step ?? defaultStep(range);
  const stepMs = STEP_MS[chosen];
  const fromMs = Math.floor(range.fromMs / stepMs) * stepMs;
  const toMs = Math.ceil(range.toMs / stepMs) * stepMs;
  const points = (toMs - fromMs) / stepMs;
  if (points > MAX_POINTS_PER_SERIES) {
    const coarser = STEPS.find((s) => (toMs - fromMs) / STEP_MS[s] <= MAX_POINTS_PER_SERIES);
    throw invalidParams([
      {
        name: step === undefined ? 'from' : 'step',
        message:
          `the range holds ${points} points of ${chosen} per series, more than ${MAX_POINTS_PER_SERIES}: ` +
          `narrow from/to to at most ${formatDuration(MAX_POINTS_PER_SERIES * stepMs)}` +
          (coarser === undefined ? '' : ` or use step=${coarser} or coarser`),
      },
    ]);
  }
  return {
    fromMs,
    toMs,
    step: chosen,
    stepMs,
    points,
    resolution: stepMs >= STEP_MS['1d'] ? '1d' : stepMs >= STEP_MS['1h'] ? '1h' : '1m',
  };
}

export function defaultStep(range: { fromMs: number; toMs: number }): Step {
  return STEPS.find((s) => (range.toMs - range.fromMs) / STEP_MS[s] <= DEFAULT_MAX_POINTS) ?? '1d';
}

/** Bucket start of `timeMs` on the grid. */
export function gridBucket(grid: TimeGrid, timeMs: number): number {
  return grid.fromMs + Math.floor((timeMs - grid.fromMs) / grid.stepMs) * grid.stepMs;
}

export function formatDuration(ms: number): string {
  const minutes = Math.floor(ms / 60_000);
  const days = Math.floor(minutes / 1_440);
  const hours = Math.floor((minutes % 1_440) / 60);
  const rest = minutes % 60;
  return [days > 0 ? `${days}d` : '', hours > 0 ? `${hours}h` : '', rest > 0 ? `${rest}m` : ''].join('') || '0m';
}
