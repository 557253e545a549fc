/**
 * The simulator's seeded randomness: xoshiro128** (Blackman & Vigna), 2^128 − 1 period, so
 * distinct seeds never share a stream in practice. One generator per (seed, stream): the
 * simulator draws its fleet, token events and GPU readings from separate streams, so that e.g.
 * asking for GPU samples never changes the token events.
 */

/** The simulator's independent streams. */
export const RNG_STREAM = { fleet: 1, tokens: 2, gpus: 3, calibration: 4 } as const;

export class Xoshiro128 {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(seed: number, stream: number) {
    // splitmix32 spreads (seed, stream) over the 128-bit state; the state must not be all zero.
    let x = Math.imul(Math.floor(seed / 2 ** 32), 0x9e3779b9) ^ (seed >>> 0) ^ Math.imul(stream + 1, 0x85ebca6b);
    const next = (): number => {
      x = (x + 0x9e3779b9) | 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
      z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
      return (z ^ (z >>> 15)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next() | 1;
  }

  /** A uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform in [0, 1). */
  uniform(): number {
    return this.nextUint32() / 2 ** 32;
  }

  /** Standard normal (Box–Muller; 1 − u keeps the logarithm finite). */
  normal(): number {
    const u = 1 - this.uniform();
    const v = this.uniform();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  exponential(mean: number): number {
    return -Math.log(1 - this.uniform()) * mean;
  }

  /** Index into `cumulative` (a running sum ending at the total) chosen in proportion to the weights. */
  weighted(cumulative: readonly number[]): number {
    const total = cumulative[cumulative.length - 1] ?? 0;
    const r = this.uniform() * total;
    for (let i = 0; i < cumulative.length; i += 1) if (r < (cumulative[i] ?? 0)) return i;
    return cumulative.length - 1;
  }

  /** A random UUID (version 4 layout) made from the stream: deterministic, yet unique in practice. */
  uuid(): string {
    const hex = (n: number): string => n.toString(16).padStart(8, '0');
    const a = hex(this.nextUint32());
    const b = hex(((this.nextUint32() & 0xffff0fff) | 0x00004000) >>> 0);
    const c = hex(((this.nextUint32() & 0x3fffffff) | 0x80000000) >>> 0);
    const d = hex(this.nextUint32());
    return `${a}-${b.slice(0, 4)}-${b.slice(4)}-${c.slice(0, 4)}-${c.slice(4)}${d}`;
  }

  /** A multiplicative log-normal jitter around 1. */
  jitter(sigma: number): number {
    return Math.exp(sigma * this.normal());
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** Running sums of `weights`, the form `Xoshiro128.weighted` picks from. */
export function cumulativeSums(weights: readonly number[]): number[] {
  let running = 0;
  return weights.map((weight) => (running += weight));
}
