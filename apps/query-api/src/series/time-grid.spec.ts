import { problemOf } from '@tokenmeter/telemetry/testing';
import { defaultStep, formatDuration, gridBucket, MAX_POINTS_PER_SERIES, planGrid } from './time-grid';

const T0 = Date.parse('2026-11-25T00:00:00Z');
const MINUTE = 60_000;
const HOUR = 3_600_000;

describe('planGrid', () => {
  it('aligns the range outward to UTC step boundaries and picks the rollup resolution', () => {
    const grid = planGrid({ fromMs: T0 + 7 * MINUTE + 5_000, toMs: T0 + 2 * HOUR + 1 }, '15m');
    expect(grid).toEqual({
      fromMs: T0,
      toMs: T0 + 2 * HOUR + 15 * MINUTE,
      step: '15m',
      stepMs: 15 * MINUTE,
      points: 9,
      resolution: '1m',
    });
    expect(planGrid({ fromMs: T0 + 5 * HOUR, toMs: T0 + 30 * HOUR }, '1d')).toMatchObject({
      fromMs: T0,
      toMs: T0 + 48 * HOUR,
      points: 2,
      resolution: '1d',
    });
    expect(planGrid({ fromMs: T0 + 5 * HOUR, toMs: T0 + 7 * HOUR }, '6h')).toMatchObject({ fromMs: T0, points: 2 });
  });

  it('refuses more than 10,000 points per series and says how to narrow the query', () => {
    const problem = problemOf(() => planGrid({ fromMs: T0, toMs: T0 + 8 * 24 * HOUR }, '1m'));
    expect(problem.httpStatus).toBe(400);
    expect(problem.extras.errors).toEqual([
      {
        name: 'step',
        message:
          'the range holds 11520 points of 1m per series, more than 10000: narrow from/to to at most 6d22h40m ' +
          'or use step=5m or coarser',
      },
    ]);
    expect(planGrid({ fromMs: T0, toMs: T0 + MAX_POINTS_PER_SERIES * MINUTE }, '1m').points).toBe(10_000);
  });

  it('defaults to the finest step with at most 1,440 points', () => {
    expect(defaultStep({ fromMs: T0, toMs: T0 + 24 * HOUR })).toBe('1m');
    expect(defaultStep({ fromMs: T0, toMs: T0 + 2 * 24 * HOUR })).toBe('5m');
    expect(defaultStep({ fromMs: T0, toMs: T0 + 400 * 24 * HOUR })).toBe('1d');
    expect(planGrid({ fromMs: T0, toMs: T0 + 30 * 24 * HOUR }, undefined).step).toBe('1h');
  });

  it('places times in their bucket and formats durations', () => {
    const grid = planGrid({ fromMs: T0, toMs: T0 + HOUR }, '5m');
    expect(gridBucket(grid, T0 + 9 * MINUTE + 59_999)).toBe(T0 + 5 * MINUTE);
    expect(formatDuration(10_000 * MINUTE)).toBe('6d22h40m');
    expect(formatDuration(0)).toBe('0m');
  });
});
