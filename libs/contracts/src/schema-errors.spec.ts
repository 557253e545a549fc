import { Type } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import fc from 'fast-check';

import { EVENT_SCHEMAS } from './event-schemas';
import type { SchemaName } from './event-schemas';
import { childPath } from './json-path';
import { assertExplainable, collectSchemaErrors, describeValue, isForbiddenKey } from './schema-errors';
import { invalidEventArbitrary, gpuSampleArbitrary, tokenUsageEventArbitrary } from './testing';
import type { FieldError } from './validation-result';

const WINDOW = { nowMs: Date.parse('2026-03-01T12:00:00.000Z') };

function explain(schema: SchemaName, value: unknown): FieldError[] {
  const errors: FieldError[] = [];
  collectSchemaErrors(EVENT_SCHEMAS[schema], value, '$', errors);
  return errors;
}

describe('collectSchemaErrors', () => {
  // The validator trusts the compiled check on the hot path and this walker on the failure path;
  // they must agree on every input, or an event could be rejected with no reason given.
  describe.each<SchemaName>(['tokens.v1', 'gpu.v1'])('agrees with the compiled TypeBox check for %s', (schema) => {
    const compiled = TypeCompiler.Compile(EVENT_SCHEMAS[schema]);
    const valid = schema === 'tokens.v1' ? tokenUsageEventArbitrary(WINDOW) : gpuSampleArbitrary(WINDOW);
    const fieldNames = Object.keys(EVENT_SCHEMAS[schema].properties);
    // Objects whose known fields hold arbitrary JSON-ish values, plus junk keys.
    const junk = fc.dictionary(fc.constantFrom(...fieldNames, 'extra', '$gt', 'a.b'), fc.anything({ maxDepth: 2 }), {
      maxKeys: 8,
    });

    it.each<[string, fc.Arbitrary<unknown>]>([
      ['valid events', valid],
      ['single mutations', invalidEventArbitrary(schema, WINDOW).map((mutation) => mutation.input)],
      ['valid events with junk merged in', fc.tuple(valid, junk).map(([event, extra]) => ({ ...event, ...extra }))],
    ])('on %s', (_label, inputs) => {
      fc.assert(
        fc.property(inputs, (input) => {
          expect(explain(schema, input).length === 0).toBe(compiled.Check(input));
        }),
        { numRuns: 500 },
      );
    });
  });

  it('stops at a wrong-typed value instead of reporting inside it', () => {
    expect(
      explain('tokens.v1', { model: { $gt: '', $where: 'x' } }).filter((error) => error.path.startsWith('$.model')),
    ).toEqual([{ path: '$.model', message: 'expected a string, got an object' }]);
  });

  it('explains arrays: the type, the length bounds and each element by index', () => {
    const schema = Type.Array(Type.Integer({ minimum: 0 }), { minItems: 2, maxItems: 3 });
    const errors: FieldError[] = [];
    collectSchemaErrors(schema, [1, -1], '$.counts', errors);
    collectSchemaErrors(schema, [1], '$.short', errors);
    collectSchemaErrors(schema, [1, 2, 3, 4], '$.long', errors);
    collectSchemaErrors(schema, 'x', '$.text', errors);
    expect(errors).toEqual([
      { path: '$.counts[1]', message: 'must be >= 0, got -1' },
      { path: '$.short', message: 'must have at least 2 entries, got 1' },
      { path: '$.long', message: 'must have at most 3 entries, got 4' },
      { path: '$.text', message: 'expected an array, got a string' },
    ]);
  });

  it('throws on a schema kind it cannot explain', () => {
    expect(() => collectSchemaErrors(Type.Boolean(), true, '$', [])).toThrow(/unsupported schema kind/);
  });
});

describe('assertExplainable', () => {
  it('accepts the v1 contracts', () => {
    for (const schema of Object.values(EVENT_SCHEMAS)) expect(() => assertExplainable(schema)).not.toThrow();
  });

  it('refuses a contract that grows an unsupported kind, naming where', () => {
    const schema = Type.Object({ tags: Type.Array(Type.Boolean()) });
    expect(() => assertExplainable(schema)).toThrow('$.tags[*]');
    expect(() => assertExplainable(schema)).toThrow('$.tags');
  });
});

describe('isForbiddenKey', () => {
  it.each([
    ['$gt', true],
    ['$', true],
    ['a.b', true],
    ['.', true],
    ['a$', false],
    ['region', false],
  ])('%p -> %p', (key, forbidden) => {
    expect(isForbiddenKey(key)).toBe(forbidden);
  });
});

describe('describeValue', () => {
  it.each<[unknown, string]>([
    [null, 'null'],
    [[], 'an array'],
    [{}, 'an object'],
    ['x', 'a string'],
    [1, 'a number'],
    [Number.NaN, 'NaN'],
    [-Infinity, '-Infinity'],
    [false, 'a boolean'],
    [undefined, 'undefined'],
    [10n, 'a bigint'],
    [new Date(0), 'an instance of Date'],
    [new Map(), 'an instance of Map'],
    [Object.create(null), 'an object'],
  ])('%p is %p', (value, description) => {
    expect(describeValue(value)).toBe(description);
  });
});

describe('childPath', () => {
  it.each([
    ['inputTokens', '$.inputTokens'],
    ['_private', '$._private'],
    ['0abc', "$['0abc']"],
    ['$gt', "$['$gt']"],
    ['a.b', "$['a.b']"],
    ["it's", "$['it\\'s']"],
    ['back\\slash', "$['back\\\\slash']"],
    ['nul\u0000', "$['nul\\u0000']"],
    ['c1\u0085', "$['c1\\u0085']"],
    ['', "$['']"],
  ])('%j -> %s', (key, path) => {
    expect(childPath('$', key)).toBe(path);
  });

  it('nests', () => {
    expect(childPath(childPath('$', 'attributes'), 'region')).toBe('$.attributes.region');
  });
});
