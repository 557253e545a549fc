/**
 * Single-mutation invalid events: take a valid event and break exactly one thing. Each mutation
 * records the JSONPath the validator must blame, so property tests can check that the error
 * names the mutated field and nothing else. Useful to the apps as well (e.g. DLQ routing tests).
 *
 * The field list and bounds are read from the contract schema, so a new field is mutated without
 * touching this file; the bounds themselves are pinned by the example-based specs.
 */
import { KindGuard } from '@sinclair/typebox';
import fc from 'fast-check';
import type { Arbitrary } from 'fast-check';

import { EVENT_SCHEMAS } from '../event-schemas';
import type { SchemaName } from '../event-schemas';
import { ROOT_PATH, childPath } from '../json-path';
import { DEFAULT_MAX_EVENT_AGE_MS, MAX_FUTURE_SKEW_MS } from '../validation-result';
import { gpuSampleArbitrary, tokenUsageEventArbitrary } from './arbitraries';
import type { TimeWindow } from './arbitraries';

export interface Mutation {
  /** What was broken, for readable counterexamples. */
  kind: string;
  input: Record<string, unknown>;
  /** The only path the validator may report errors at. */
  path: string;
}

type Event = Record<string, unknown>;

interface StringField {
  key: string;
  maxLength: number;
}
interface NumberField {
  key: string;
  integer: boolean;
  minimum: number;
  maximum: number | undefined;
}

const YEAR_MS = 365 * 24 * 60 * 60 * 1000;

/** C0 and C1 control characters, the ones the contracts refuse. */
const controlCharArbitrary = fc
  .oneof(fc.integer({ min: 0x00, max: 0x1f }), fc.integer({ min: 0x7f, max: 0x9f }))
  .map((code) => String.fromCharCode(code));

/** Syntactically wrong or calendar-impossible times. */
const badTimeArbitrary = fc.oneof(
  fc.constantFrom(
    '2026-02-30T00:00:00Z',
    '2025-02-29T12:00:00Z',
    '2026-04-31T00:00:00Z',
    '2026-13-01T00:00:00Z',
    '2026-00-10T00:00:00Z',
    '2026-03-01T24:00:00Z',
    '2026-03-01T12:60:00Z',
    '2026-03-01T12:00:60Z',
    '2026-03-01T12:00:00+24:00',
    '2026-03-01T12:00:00+01:60',
    '2026-03-01T12:00:00',
    '2026-03-01',
    '2026-03-01 12:00:00Z',
    '2026-03-01T12:00:00.Z',
    '2026-3-1T12:00:00Z',
    '20260301T120000Z',
    '2026-03-01T12:00:00+0100',
    'yesterday',
    '',
    '１２０２６-03-01T12:00:00Z',
  ),
  fc.date({ noInvalidDate: true }).map((date) => date.toUTCString()),
);

function describeFields(schemaName: SchemaName): {
  strings: StringField[];
  numbers: NumberField[];
  records: string[];
  unions: string[];
  required: string[];
  known: Set<string>;
} {
  const schema = EVENT_SCHEMAS[schemaName];
  const strings: StringField[] = [];
  const numbers: NumberField[] = [];
  const records: string[] = [];
  const unions: string[] = [];
  for (const [key, property] of Object.entries(schema.properties)) {
    if (KindGuard.IsString(property)) strings.push({ key, maxLength: property.maxLength ?? Infinity });
    else if (KindGuard.IsNumber(property) || KindGuard.IsInteger(property)) {
      numbers.push({
        key,
        integer: KindGuard.IsInteger(property),
        minimum: property.minimum ?? -Infinity,
        maximum: property.maximum,
      });
    } else if (KindGuard.IsRecord(property)) records.push(key);
    else if (KindGuard.IsUnion(property)) unions.push(key);
  }
  return {
    strings,
    numbers,
    records,
    unions,
    required: schema.required ?? [],
    known: new Set(Object.keys(schema.properties)),
  };
}

function at(key: string): string {
  return childPath(ROOT_PATH, key);
}

function replace(base: Event, key: string, value: unknown): Event {
  return { ...base, [key]: value };
}

/** Up to 15 of the base event's record entries: room for one more without exceeding 16. */
function someEntries(base: Event, key: string, without?: string): Event {
  const record = base[key];
  if (typeof record !== 'object' || record === null) return {};
  return Object.fromEntries(
    Object.entries(record)
      .filter(([entryKey]) => entryKey !== without)
      .slice(0, 15),
  );
}

/** Breaks one thing in a valid event; built once per contract and applied to many events. */
export type MutationOp = (base: Event) => Mutation;

/**
 * Every way of breaking one thing in a `schemaName` event. The arbitraries are built once (building
 * fast-check regex arbitraries is costly) and produce functions applied to each valid event.
 */
export function mutationOpArbitrary(schemaName: SchemaName, window: TimeWindow): Arbitrary<MutationOp> {
  const { strings, numbers, records, unions, required, known } = describeFields(schemaName);
  const { nowMs, maxAgeMs = DEFAULT_MAX_EVENT_AGE_MS } = window;
  const allFields = [...strings.map((field) => field.key), ...numbers.map((field) => field.key), ...records, ...unions];
  const delta = fc.double({ min: 1e-6, max: 1e9, noNaN: true });

  const ops: Array<Arbitrary<MutationOp>> = [
    // Out-of-range numbers: below the minimum, above the maximum, fractional integers.
    fc.constantFrom(...numbers).chain((field) => {
      const choices: Array<Arbitrary<number>> = [delta.map((d) => field.minimum - d)];
      const maximum = field.maximum;
      if (maximum !== undefined) choices.push(delta.map((d) => maximum + d));
      if (field.integer)
        choices.push(fc.integer({ min: field.minimum, max: (maximum ?? 1e6) - 1 }).map((n) => n + 0.5));
      return fc.oneof(...choices).map((value): MutationOp => (base) => ({
        kind: `out-of-range ${field.key}: ${value}`,
        input: replace(base, field.key, value),
        path: at(field.key),
      }));
    }),
    fc
      .tuple(fc.constantFrom(...numbers), fc.constantFrom(Number.NaN, Infinity, -Infinity))
      .map(([field, value]): MutationOp => (base) => ({
        kind: `non-finite ${field.key}: ${value}`,
        input: replace(base, field.key, value),
        path: at(field.key),
      })),
    // Wrong JSON types, including MongoDB operator objects where a scalar is expected.
    fc
      .tuple(
        fc.constantFrom(...allFields),
        fc.constantFrom<unknown>(null, true, [], ['x'], { $gt: '' }, { $ne: null }, '12', 42, 'NaN'),
      )
      .filter(([key, value]) => !(typeof value === 'string' && strings.some((field) => field.key === key)))
      .filter(([key, value]) => !(typeof value === 'number' && numbers.some((field) => field.key === key)))
      .filter(
        ([key, value]) =>
          !(records.includes(key) && typeof value === 'object' && value !== null && !Array.isArray(value)),
      )
      .map(([key, value]): MutationOp => (base) => ({
        kind: `wrong type ${key}: ${JSON.stringify(value)}`,
        input: replace(base, key, value),
        path: at(key),
      })),
    fc.constantFrom(...required).map((key): MutationOp => (base) => {
      const { [key]: _removed, ...rest } = base;
      return { kind: `missing ${key}`, input: rest, path: at(key) };
    }),
    fc
      .tuple(fc.stringMatching(/^[a-z][A-Za-z0-9_]{0,20}$/), fc.jsonValue({ maxDepth: 2 }))
      .filter(([key]) => !known.has(key))
      .map(([key, value]): MutationOp => (base) => ({
        kind: `unknown field ${key}`,
        input: { ...base, [key]: value },
        path: at(key),
      })),
    // MongoDB operator injection through keys: "$..." or dotted paths.
    fc
      .tuple(
        fc.oneof(fc.stringMatching(/^\$[a-zA-Z]{1,12}$/), fc.stringMatching(/^[a-z]{1,8}\.[a-z]{1,8}$/)),
        fc.jsonValue({ maxDepth: 2 }),
      )
      .map(([key, value]): MutationOp => (base) => ({
        kind: `operator key ${key}`,
        input: { ...base, [key]: value },
        path: at(key),
      })),
    fc
      .tuple(fc.constantFrom(...strings), controlCharArbitrary, fc.nat())
      .map(([field, control, position]): MutationOp => (base) => {
        const present = base[field.key];
        const original = typeof present === 'string' ? present : 'x';
        const index = position % (original.length + 1);
        const value = `${original.slice(0, index)}${control}${original.slice(index)}`;
        return {
          kind: `control char U+${control.charCodeAt(0).toString(16)} in ${field.key}`,
          input: replace(base, field.key, value),
          path: at(field.key),
        };
      }),
    fc
      .tuple(fc.constantFrom(...strings), fc.integer({ min: 1, max: 64 }))
      .map(([field, extra]): MutationOp => (base) => ({
        kind: `too long ${field.key}`,
        input: replace(base, field.key, 'a'.repeat(field.maxLength + extra)),
        path: at(field.key),
      })),
    fc.constantFrom(...strings).map((field): MutationOp => (base) => ({
      kind: `empty ${field.key}`,
      input: replace(base, field.key, ''),
      path: at(field.key),
    })),
    badTimeArbitrary.map((time): MutationOp => (base) => ({
      kind: `bad time ${time}`,
      input: replace(base, 'time', time),
      path: at('time'),
    })),
    fc.integer({ min: nowMs + MAX_FUTURE_SKEW_MS + 1, max: nowMs + 10 * YEAR_MS }).map((epochMs): MutationOp => {
      const time = new Date(epochMs).toISOString();
      return (base) => ({ kind: `future time ${time}`, input: replace(base, 'time', time), path: at('time') });
    }),
    fc.integer({ min: 0, max: nowMs - maxAgeMs - 1 }).map((epochMs): MutationOp => {
      const time = new Date(epochMs).toISOString();
      return (base) => ({ kind: `stale time ${time}`, input: replace(base, 'time', time), path: at('time') });
    }),
  ];

  for (const recordKey of records) {
    const recordPath = at(recordKey);
    ops.push(
      fc
        .oneof(
          fc.stringMatching(/^\$[a-z]{1,12}$/),
          fc.stringMatching(/^[a-z]{1,8}\.[a-z]{1,8}$/),
          fc.stringMatching(/^[A-Z][a-zA-Z]{0,10}$/),
          fc.constantFrom('', 'a-b', 'a b', 'x'.repeat(65), '__proto__\u0000'),
        )
        .map((key): MutationOp => (base) => ({
          kind: `bad ${recordKey} key ${JSON.stringify(key)}`,
          input: replace(base, recordKey, { ...someEntries(base, recordKey), [key]: 'v' }),
          path: childPath(recordPath, key),
        })),
      fc
        .constantFrom<unknown>('', 'a\u0007b', 'x'.repeat(257), 7, null, { $gt: '' })
        .map((value): MutationOp => (base) => ({
          kind: `bad ${recordKey} value ${JSON.stringify(value)}`,
          input: replace(base, recordKey, { ...someEntries(base, recordKey, 'k'), k: value }),
          path: childPath(recordPath, 'k'),
        })),
      fc.integer({ min: 17, max: 40 }).map((count): MutationOp => {
        const entries = Object.fromEntries(Array.from({ length: count }, (_, i) => [`k${i}`, 'v']));
        return (base) => ({
          kind: `${count} ${recordKey}`,
          input: replace(base, recordKey, entries),
          path: recordPath,
        });
      }),
    );
  }

  // Cross-field rules (not expressible in JSON Schema).
  if (schemaName === 'tokens.v1') {
    ops.push(
      fc
        .tuple(fc.integer({ min: 0, max: 1_000_000 }), fc.integer({ min: 1, max: 1_000_000 }))
        .map(([durationMs, extra]): MutationOp => (base) => ({
          kind: 'ttftMs after durationMs',
          input: { ...base, durationMs, ttftMs: durationMs + extra },
          path: at('ttftMs'),
        })),
    );
  } else {
    ops.push(
      fc
        .tuple(
          fc.double({ min: 0, max: 1_000_000, noNaN: true }),
          fc.double({ min: 1e-3, max: 1_000_000, noNaN: true }),
        )
        .map(([totalMiB, extra]): MutationOp => (base) => ({
          kind: 'memoryUsedMiB above memoryTotalMiB',
          input: { ...base, memoryTotalMiB: totalMiB, memoryUsedMiB: totalMiB + extra },
          path: at('memoryUsedMiB'),
        })),
    );
  }

  return fc.oneof(...ops);
}

/** A valid event of `schemaName` with exactly one thing broken. */
export function invalidEventArbitrary(schemaName: SchemaName, window: TimeWindow): Arbitrary<Mutation> {
  const valid: Arbitrary<Event> =
    schemaName === 'tokens.v1' ? tokenUsageEventArbitrary(window) : gpuSampleArbitrary(window);
  return fc.tuple(valid, mutationOpArbitrary(schemaName, window)).map(([base, mutate]) => mutate(base));
}
