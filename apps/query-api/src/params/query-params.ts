// Strict query-string parsing: every parameter is declared, every value checked, and one
// 400 names every bad parameter. Unknown names (including `model[$ne]`-style injection
// attempts) and repeated parameters are errors, never silently ignored.
import { ProblemException, type ProblemFieldError } from '@tokenmeter/telemetry';
import { CONTROL_CHARACTERS, MAX_STRING_PARAM_LENGTH } from '@tokenmeter/contracts/query-api/params';

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/i;

/** One query parameter: how it is parsed, and its description in the OpenAPI document. */
export type ParamSpec = { description?: string } & (
  | { kind: 'time' }
  | { kind: 'string'; maxLength?: number }
  | { kind: 'int'; min: number; max: number }
  | { kind: 'enum'; values: readonly string[] }
  /** A comma-separated set of distinct values from `values`. */
  | { kind: 'list'; values: readonly string[] }
  | { kind: 'cursor' }
);

export type ParamValue<S extends ParamSpec> = S extends { kind: 'time' }
  ? number
  : S extends { kind: 'int' }
    ? number
    : S extends { kind: 'enum'; values: readonly (infer V)[] }
      ? V
      : S extends { kind: 'list'; values: readonly (infer V)[] }
        ? V[]
        : string;

export type ParsedParams<T extends Record<string, ParamSpec>> = { [K in keyof T]?: ParamValue<T[K]> };

export function parseParams<T extends Record<string, ParamSpec>>(query: unknown, specs: T): ParsedParams<T> {
  const errors: ProblemFieldError[] = [];
  const out: Record<string, string | number | string[]> = {};
  const source = (typeof query === 'object' && query !== null ? query : {}) as Record<string, unknown>;
  for (const [name, raw] of Object.entries(source)) {
    // Own properties only: `constructor` or `__proto__` must not find Object.prototype members.
    const spec = Object.hasOwn(specs, name) ? specs[name] : undefined;
    const shownName = name.slice(0, 64);
    if (spec === undefined) {
      errors.push({ name: shownName, message: `unknown parameter; allowed: ${Object.keys(specs).join(', ')}` });
      continue;
    }
    if (typeof raw !== 'string') {
      errors.push({ name, message: 'must be given once, as a single value' });
      continue;
    }
    const result = parseOne(raw, spec);
    if (typeof result === 'object' && !Array.isArray(result)) errors.push({ name, message: result.error });
    else out[name] = result;
  }
  if (errors.length > 0) throw invalidParams(errors);
  return out as ParsedParams<T>;
}

function parseOne(raw: string, spec: ParamSpec): string | number | string[] | { error: string } {
  switch (spec.kind) {
    case 'time': {
      const ms = RFC3339.test(raw) ? Date.parse(raw) : Number.NaN;
      return Number.isFinite(ms) ? ms : { error: 'must be an RFC 3339 time with offset, e.g. 2026-11-25T12:00:00Z' };
    }
    case 'int': {
      const n = /^-?\d{1,16}$/.test(raw) ? Number(raw) : Number.NaN;
      return Number.isSafeInteger(n) && n >= spec.min && n <= spec.max
        ? n
        : { error: `must be an integer from ${spec.min} to ${spec.max}` };
    }
    case 'string': {
      const max = spec.maxLength ?? MAX_STRING_PARAM_LENGTH;
      if (raw.length === 0 || raw.length > max) return { error: `must be 1 to ${max} characters` };
      if (CONTROL_CHARACTERS.test(raw)) return { error: 'must not contain control characters' };
      return raw;
    }
    case 'enum':
      return spec.values.includes(raw) ? raw : { error: `must be one of ${spec.values.join(', ')}` };
    case 'list': {
      const items = raw.split(',');
      const valid = items.every((item) => spec.values.includes(item)) && new Set(items).size === items.length;
      return valid ? items : { error: `must be distinct values of ${spec.values.join(', ')}, separated by commas` };
    }
    case 'cursor':
      return raw.length > 0 && raw.length <= 1024 && /^[A-Za-z0-9_-]+$/.test(raw)
        ? raw
        : { error: 'is not a cursor returned by this API' };
  }
}

export function invalidParams(errors: ProblemFieldError[]): ProblemException {
  return new ProblemException(
    400,
    `Invalid query parameter${errors.length === 1 ? '' : 's'}: ${errors.map((e) => e.name).join(', ')}.`,
    {
      errors,
    },
  );
}

/** A time range [fromMs, toMs) with defaults: `to` = now, `from` = `to` - defaultRangeMs. */
export function resolveRange(
  p: { from?: number; to?: number },
  nowMs: number,
  defaultRangeMs: number,
): { fromMs: number; toMs: number } {
  const toMs = p.to ?? nowMs;
  const fromMs = p.from ?? toMs - defaultRangeMs;
  if (fromMs >= toMs) throw invalidParams([{ name: 'from', message: 'must be earlier than to' }]);
  return { fromMs, toMs };
}
