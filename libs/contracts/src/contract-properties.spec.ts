/**
 * Property-based tests (fast-check): every valid event validates and round-trips; every single
 * mutation of a valid event is rejected, blaming exactly the mutated path.
 */
import fc from 'fast-check';

import { validateEvent } from './event-schemas';
import type { SchemaName } from './event-schemas';
import {
  expectInvalid,
  expectValid,
  gpuSampleArbitrary,
  invalidEventArbitrary,
  offsetTimeArbitrary,
  tokenUsageEventArbitrary,
} from './testing';

const NOW_MS = Date.parse('2026-03-01T12:00:00.000Z');
const WINDOW = { nowMs: NOW_MS };
const OPTS = { nowMs: NOW_MS };

// tokens-interval.v1 has example-based tests in token-usage-interval.spec.ts; its nested
// histograms are not covered by the mutation generator yet.
type PropertyTestedSchema = Exclude<SchemaName, 'tokens-interval.v1'>;

const VALID_EVENTS: Record<PropertyTestedSchema, fc.Arbitrary<Record<string, unknown>>> = {
  'tokens.v1': tokenUsageEventArbitrary(WINDOW),
  'gpu.v1': gpuSampleArbitrary(WINDOW),
};

/** What a validator must return for an already-canonical input: the same fields, plus defaults. */
function expectedValue(schema: PropertyTestedSchema, input: Record<string, unknown>): Record<string, unknown> {
  return schema === 'tokens.v1' ? { tenant: 'default', ...input } : input;
}

describe.each<PropertyTestedSchema>(['tokens.v1', 'gpu.v1'])('%s properties', (schema) => {
  it('accepts every valid event and returns it with only defaults added', () => {
    fc.assert(
      fc.property(VALID_EVENTS[schema], (input) => {
        const before = structuredClone(input);
        const value = expectValid(validateEvent(schema, input, OPTS));
        expect(value).toEqual(expectedValue(schema, input));
        expect(input).toEqual(before);
      }),
      { numRuns: 300 },
    );
  });

  it('round-trips: the JSON of a validated value validates to the same value', () => {
    fc.assert(
      fc.property(VALID_EVENTS[schema], (input) => {
        const wire: unknown = JSON.parse(JSON.stringify(input));
        const value = expectValid(validateEvent(schema, wire, OPTS));
        const again = expectValid(validateEvent(schema, JSON.parse(JSON.stringify(value)), OPTS));
        expect(again).toEqual(value);
      }),
      { numRuns: 300 },
    );
  });

  it('normalises any RFC 3339 rendering of an instant to the same UTC milliseconds', () => {
    fc.assert(
      fc.property(VALID_EVENTS[schema], offsetTimeArbitrary(WINDOW), (input, time) => {
        const value = expectValid(validateEvent(schema, { ...input, time: time.text }, OPTS));
        expect(value.time).toBe(time.canonical);
      }),
      { numRuns: 300 },
    );
  });

  it('rejects every single mutation with errors naming only the mutated path', () => {
    fc.assert(
      fc.property(invalidEventArbitrary(schema, WINDOW), (mutation) => {
        const errors = expectInvalid(validateEvent(schema, mutation.input, OPTS));
        expect(errors.length).toBeGreaterThan(0);
        for (const error of errors) {
          expect({ kind: mutation.kind, path: error.path }).toEqual({ kind: mutation.kind, path: mutation.path });
          expect(error.message.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('rejects the same mutations after a JSON round trip (what the processor sees)', () => {
    fc.assert(
      fc.property(invalidEventArbitrary(schema, WINDOW), (mutation) => {
        const json = JSON.stringify(mutation.input);
        const wire: unknown = JSON.parse(json);
        // NaN and Infinity become null in JSON: still invalid, still at the same path.
        const errors = expectInvalid(validateEvent(schema, wire, OPTS));
        expect(errors.every((error) => error.path === mutation.path)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
