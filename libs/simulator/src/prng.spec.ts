import { cumulativeSums, Xoshiro128 } from './prng';

const draws = (rng: Xoshiro128, n: number): number[] => Array.from({ length: n }, () => rng.nextUint32());

describe('Xoshiro128', () => {
  it('repeats its sequence for the same seed and stream, and differs for another seed or stream', () => {
    const a = draws(new Xoshiro128(42, 1), 100);
    expect(draws(new Xoshiro128(42, 1), 100)).toEqual(a);
    expect(draws(new Xoshiro128(42, 2), 100)).not.toEqual(a);
    expect(draws(new Xoshiro128(43, 1), 100)).not.toEqual(a);
    // Seeds that differ only above 2^32 are different seeds too.
    expect(draws(new Xoshiro128(42 + 2 ** 32, 1), 100)).not.toEqual(a);
  });

  it('draws uniforms in [0, 1) with a mean near 1/2', () => {
    const rng = new Xoshiro128(7, 1);
    const u = Array.from({ length: 20_000 }, () => rng.uniform());
    expect(u.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(u.reduce((sum, x) => sum + x, 0) / u.length).toBeCloseTo(0.5, 1);
  });

  it('picks weighted indexes in proportion to the weights', () => {
    const rng = new Xoshiro128(3, 1);
    const cumulative = cumulativeSums([1, 3]);
    expect(cumulative).toEqual([1, 4]);
    const picks = Array.from({ length: 20_000 }, () => rng.weighted(cumulative));
    expect(picks.filter((i) => i === 1).length / picks.length).toBeCloseTo(0.75, 1);
  });

  it('makes version 4 UUIDs', () => {
    const rng = new Xoshiro128(9, 1);
    for (let i = 0; i < 100; i += 1) {
      expect(rng.uuid()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    }
  });
});
