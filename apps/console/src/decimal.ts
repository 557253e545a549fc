/**
 * Exact arithmetic on the API's decimal money strings (`12.345678`): they are never turned into
 * binary floating point, so a column sum equals the sum of what the rows show.
 */

const DECIMAL = /^(\d+)(?:\.(\d+))?$/;

interface Scaled {
  readonly units: bigint;
  readonly scale: number;
}

function parse(value: string): Scaled | undefined {
  const match = DECIMAL.exec(value);
  if (match === null) return undefined;
  const fraction = match[2] ?? '';
  return { units: BigInt(`${match[1]}${fraction}`), scale: fraction.length };
}

function rescale(value: Scaled, scale: number): bigint {
  return value.units * 10n ** BigInt(scale - value.scale);
}

/** Negative, zero or positive like a sort comparator; malformed strings sort first. */
export function compareDecimal(a: string, b: string): number {
  const left = parse(a);
  const right = parse(b);
  if (left === undefined || right === undefined) return (left === undefined ? 0 : 1) - (right === undefined ? 0 : 1);
  const scale = Math.max(left.scale, right.scale);
  const difference = rescale(left, scale) - rescale(right, scale);
  return difference === 0n ? 0 : difference < 0n ? -1 : 1;
}

/** The exact sum, with as many fractional digits as the most precise term; undefined if one is malformed. */
export function sumDecimals(values: readonly string[]): string | undefined {
  const parsed = values.map(parse);
  if (parsed.some((value) => value === undefined)) return undefined;
  const terms = parsed as Scaled[];
  const scale = Math.max(0, ...terms.map((term) => term.scale));
  const total = terms.reduce((sum, term) => sum + rescale(term, scale), 0n);
  if (scale === 0) return total.toString();
  const digits = total.toString().padStart(scale + 1, '0');
  return `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
}
