/**
 * The fleet's daily load curve: `1 + amplitude · cos(2π(h − peakHourUtc)/24)` for the UTC hour
 * h. It averages to 1 over a day (so a rate multiplied by it keeps its daily mean), peaks at
 * (1 + amplitude) in the afternoon and bottoms out at night UTC; amplitude 0 gives a flat rate.
 */

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

export interface LoadCurve {
  /** 0..1. */
  readonly diurnalAmplitude: number;
  /** UTC hour (0..24) of the daily peak. */
  readonly peakHourUtc: number;
}

/** The load factor at `timeMs`: averages to 1 over a UTC day. */
export function diurnalFactor(curve: LoadCurve, timeMs: number): number {
  const hour = (((timeMs % DAY_MS) + DAY_MS) % DAY_MS) / HOUR_MS;
  return 1 + curve.diurnalAmplitude * Math.cos((2 * Math.PI * (hour - curve.peakHourUtc)) / 24);
}
