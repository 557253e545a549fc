// Rounding and bounds shared by the request and GPU-reading models.

export function clamp(x: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, x));
}

/** Rounded to one decimal. */
export function round1(x: number): number {
  return Math.round(x * 10) / 10;
}
