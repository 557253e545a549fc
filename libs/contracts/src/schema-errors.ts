/**
 * Explains why a value failed the compiled TypeBox check: walks the same schema and returns every
 * violation with its JSONPath and a human message.
 *
 * Why not TypeBox's own `Errors()`: it stops at the first bad key of a record (so a message with
 * three bad attribute keys would report one), and its messages quote raw regexes. This walker
 * only understands the small set of schema kinds the contracts use; `assertExplainable` runs at
 * module load so a contract that grows an unsupported kind fails at import, not in production.
 * Consistency with the compiled check is property-tested in schema-errors.spec.ts.
 */
import { KindGuard, RecordPattern, RecordValue } from '@sinclair/typebox';
import type { TSchema } from '@sinclair/typebox';

import { childPath, indexPath } from './json-path';
import { patternMessage } from './fields';
import type { FieldError } from './validation-result';

/** Keys that MongoDB would read as operators or as dotted paths (SPEC §3). */
export function isForbiddenKey(key: string): boolean {
  return key.startsWith('$') || key.includes('.');
}

export const FORBIDDEN_KEY_MESSAGE =
  'forbidden key: keys must not start with "$" or contain "." (MongoDB operator injection)';
export const UNKNOWN_FIELD_MESSAGE = 'unknown field';

export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  switch (typeof value) {
    case 'number':
      return Number.isFinite(value) ? 'a number' : String(value);
    case 'string':
      return 'a string';
    case 'boolean':
      return 'a boolean';
    case 'object': {
      // Name class instances (Date, Map, Buffer...) so "expected a JSON object" is not answered
      // with "got an object".
      const proto: unknown = Object.getPrototypeOf(value);
      if (proto === Object.prototype || proto === null) return 'an object';
      const name: unknown = (value as { constructor?: { name?: unknown } }).constructor?.name;
      return typeof name === 'string' && name !== '' ? `an instance of ${name}` : 'an object';
    }
    case 'undefined':
      return 'undefined';
    case 'bigint':
      return 'a bigint';
    default:
      return `a ${typeof value}`;
  }
}

// Patterns are compiled on first use and kept: this module only runs on the failure path, but a
// flood of invalid events should not recompile the same regexes for every message.
const regexCache = new Map<string, RegExp>();
function regexFor(pattern: string): RegExp {
  let regex = regexCache.get(pattern);
  if (regex === undefined) {
    regex = new RegExp(pattern);
    regexCache.set(pattern, regex);
  }
  return regex;
}

function isObjectLike(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function rangeMessage(value: number, minimum: number | undefined, maximum: number | undefined): string | undefined {
  const below = minimum !== undefined && value < minimum;
  const above = maximum !== undefined && value > maximum;
  if (!below && !above) return undefined;
  if (minimum !== undefined && maximum !== undefined) return `must be between ${minimum} and ${maximum}, got ${value}`;
  return below ? `must be >= ${minimum}, got ${value}` : `must be <= ${maximum}, got ${value}`;
}

/** Appends every violation of `schema` by `value` (found at `path`) to `errors`. */
export function collectSchemaErrors(schema: TSchema, value: unknown, path: string, errors: FieldError[]): void {
  if (KindGuard.IsObject(schema)) {
    if (!isObjectLike(value)) {
      errors.push({ path, message: `expected an object, got ${describeValue(value)}` });
      return;
    }
    const required = new Set(schema.required ?? []);
    for (const [key, propertySchema] of Object.entries(schema.properties)) {
      const propertyValue = value[key];
      if (propertyValue === undefined) {
        // An optional key present with the value `undefined` is accepted, like the compiled check.
        if (required.has(key)) errors.push({ path: childPath(path, key), message: 'is required' });
        continue;
      }
      collectSchemaErrors(propertySchema, propertyValue, childPath(path, key), errors);
    }
    if (schema.additionalProperties === false) {
      for (const key of Object.getOwnPropertyNames(value)) {
        if (Object.hasOwn(schema.properties, key)) continue;
        errors.push({
          path: childPath(path, key),
          message: isForbiddenKey(key) ? FORBIDDEN_KEY_MESSAGE : UNKNOWN_FIELD_MESSAGE,
        });
      }
    }
    return;
  }

  if (KindGuard.IsRecord(schema)) {
    if (!isObjectLike(value)) {
      errors.push({ path, message: `expected an object, got ${describeValue(value)}` });
      return;
    }
    const count = Object.getOwnPropertyNames(value).length;
    if (schema.maxProperties !== undefined && count > schema.maxProperties) {
      errors.push({ path, message: `must have at most ${schema.maxProperties} entries, got ${count}` });
    }
    const keyPattern = RecordPattern(schema);
    const keyRegex = regexFor(keyPattern);
    const valueSchema = RecordValue(schema);
    for (const [key, entryValue] of Object.entries(value)) {
      const entryPath = childPath(path, key);
      if (!keyRegex.test(key)) {
        errors.push({
          path: entryPath,
          message: isForbiddenKey(key) ? FORBIDDEN_KEY_MESSAGE : patternMessage(keyPattern),
        });
        continue;
      }
      collectSchemaErrors(valueSchema, entryValue, entryPath, errors);
    }
    return;
  }

  if (KindGuard.IsArray(schema)) {
    if (!Array.isArray(value)) {
      errors.push({ path, message: `expected an array, got ${describeValue(value)}` });
      return;
    }
    if (schema.minItems !== undefined && value.length < schema.minItems) {
      errors.push({ path, message: `must have at least ${schema.minItems} entries, got ${value.length}` });
    }
    if (schema.maxItems !== undefined && value.length > schema.maxItems) {
      errors.push({ path, message: `must have at most ${schema.maxItems} entries, got ${value.length}` });
      // Do not explain every element of an oversized array: the count is the problem.
      return;
    }
    value.forEach((item: unknown, i) => collectSchemaErrors(schema.items, item, indexPath(path, i), errors));
    return;
  }

  if (KindGuard.IsString(schema)) {
    if (typeof value !== 'string') {
      errors.push({ path, message: `expected a string, got ${describeValue(value)}` });
      return;
    }
    if (schema.minLength !== undefined && value.length < schema.minLength) {
      errors.push({
        path,
        message: value.length === 0 ? 'must not be empty' : `must be at least ${schema.minLength} characters long`,
      });
    }
    if (schema.maxLength !== undefined && value.length > schema.maxLength) {
      errors.push({ path, message: `must be at most ${schema.maxLength} characters long, got ${value.length}` });
    }
    if (schema.pattern !== undefined && !regexFor(schema.pattern).test(value)) {
      errors.push({ path, message: patternMessage(schema.pattern) });
    }
    return;
  }

  if (KindGuard.IsNumber(schema) || KindGuard.IsInteger(schema)) {
    const integer = KindGuard.IsInteger(schema);
    if (typeof value !== 'number') {
      // Numeric strings such as "12" are rejected on purpose: contracts carry JSON numbers only.
      errors.push({ path, message: `expected ${integer ? 'an integer' : 'a number'}, got ${describeValue(value)}` });
      return;
    }
    if (!Number.isFinite(value)) {
      errors.push({ path, message: `must be a finite number, got ${value}` });
      return;
    }
    if (integer && !Number.isInteger(value)) errors.push({ path, message: `must be an integer, got ${value}` });
    const outOfRange = rangeMessage(value, schema.minimum, schema.maximum);
    if (outOfRange !== undefined) errors.push({ path, message: outOfRange });
    return;
  }

  if (KindGuard.IsUnion(schema) && schema.anyOf.every(KindGuard.IsLiteral)) {
    const allowed = schema.anyOf.flatMap((variant) => (KindGuard.IsLiteral(variant) ? [variant.const] : []));
    if (!allowed.some((literal) => literal === value)) {
      errors.push({ path, message: `must be one of ${allowed.map((literal) => JSON.stringify(literal)).join(', ')}` });
    }
    return;
  }

  throw new Error(`collectSchemaErrors: unsupported schema kind at ${path}`);
}

/**
 * Throws unless `collectSchemaErrors` understands every node of `schema`. Called once per contract
 * at module load.
 */
export function assertExplainable(schema: TSchema, path = '$'): void {
  if (KindGuard.IsObject(schema)) {
    for (const [key, propertySchema] of Object.entries(schema.properties)) {
      assertExplainable(propertySchema, childPath(path, key));
    }
    return;
  }
  if (KindGuard.IsRecord(schema)) {
    assertExplainable(RecordValue(schema), `${path}[*]`);
    return;
  }
  if (KindGuard.IsArray(schema)) {
    assertExplainable(schema.items, `${path}[*]`);
    return;
  }
  if (KindGuard.IsString(schema) || KindGuard.IsNumber(schema) || KindGuard.IsInteger(schema)) return;
  if (KindGuard.IsUnion(schema) && schema.anyOf.every(KindGuard.IsLiteral)) return;
  throw new Error(`contract schema uses a kind the error explainer does not support at ${path}`);
}
