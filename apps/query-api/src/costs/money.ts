// Exact money arithmetic for costs: no binary floating point anywhere in a sum.
//
// A price in the catalog is a decimal string with at most 6 fractional digits, per million tokens;
// it is held as an integer count of micro-units (1e-6 of the currency) per million tokens. Tokens ×
// that is an integer count of pico-units (1e-12), so every sum is an exact BigInt, and a figure is
// rounded once, half-up, to micro-units when it is shown.

/** A decimal amount: up to 12 integer digits and 6 fractional ones, no sign, no exponent. */
const DECIMAL = /^(\d{1,12})(?:\.(\d{1,6}))?$/;

const MICROS_PER_UNIT = 1_000_000n;
const PICOS_PER_MICRO = 1_000_000n;

/** `"2.50"` → 2,500,000 micro-units; undefined when the text is not such a decimal. */
export function parseMicros(text: string): bigint | undefined {
  const match = DECIMAL.exec(text);
  if (match === null) return undefined;
  const [, whole = '0', fraction = ''] = match;
  return BigInt(whole) * MICROS_PER_UNIT + BigInt(fraction.padEnd(6, '0'));
}

/** An exact amount in pico-units, shown as a decimal with 6 fractional digits (half-up). */
export function formatPicos(picos: bigint): string {
  if (picos < 0n) throw new RangeError('a cost is never negative');
  const micros = (picos + PICOS_PER_MICRO / 2n) / PICOS_PER_MICRO;
  const whole = micros / MICROS_PER_UNIT;
  const fraction = (micros % MICROS_PER_UNIT).toString().padStart(6, '0');
  return `${whole}.${fraction}`;
}

/** A token count from a rollup document as an exact BigInt (counters are integers ≤ 2^53). */
export function tokenCount(value: unknown): bigint {
  const n = Number(value ?? 0);
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`not a token count: ${String(value)}`);
  return BigInt(n);
}
