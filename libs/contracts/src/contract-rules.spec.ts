/**
 * Rules every v1 contract shares (SPEC §3): input shape, unknown and operator keys, strings,
 * JSON numbers, and the time format and window. Run against both contracts.
 */
import { validateGpuSample } from './gpu-sample';
import { buildGpuSample, buildTokenUsageEvent, expectInvalid, expectValid } from './testing';
import { validateTokenUsageEvent } from './token-usage-event';
import type { FieldError, ValidationOptions, ValidationResult } from './validation-result';

/** Exactly one error, at `path`, whose message contains (or matches) `message`. */
function expectOneError(errors: readonly FieldError[], path: string, message: string | RegExp): void {
  expect(errors.map((error) => error.path)).toEqual([path]);
  expect(errors[0]?.message).toMatch(message);
}

const NOW_MS = Date.parse('2026-03-01T12:00:00.000Z');
const OPTS = { nowMs: NOW_MS };
const MINUTE_MS = 60_000;
const DAY_MS = 24 * 60 * MINUTE_MS;

interface ContractCase {
  name: string;
  validate: (input: unknown, opts?: ValidationOptions) => ValidationResult<object>;
  build: (nowMs?: number) => Record<string, unknown>;
  /** A free-text string field of this contract. */
  textField: string;
  /** A numeric field of this contract. */
  numberField: string;
}

const CONTRACTS: ContractCase[] = [
  {
    name: 'tokens.v1',
    validate: validateTokenUsageEvent,
    build: (nowMs = NOW_MS) => ({ ...buildTokenUsageEvent({}, { nowMs }) }),
    textField: 'model',
    numberField: 'durationMs',
  },
  {
    name: 'gpu.v1',
    validate: validateGpuSample,
    build: (nowMs = NOW_MS) => ({ ...buildGpuSample({}, { nowMs }) }),
    textField: 'gpuModel',
    numberField: 'powerW',
  },
];

describe.each(CONTRACTS)('$name shared rules', ({ validate, build, textField, numberField }) => {
  const errorsOf = (input: unknown, opts: ValidationOptions = OPTS): FieldError[] =>
    expectInvalid(validate(input, opts));
  const pathsOf = (input: unknown, opts: ValidationOptions = OPTS): string[] =>
    errorsOf(input, opts).map((error) => error.path);

  class EventLike {
    eventId = 'e';
  }

  describe('input that is not a plain object', () => {
    it.each<[unknown, string]>([
      [null, 'null'],
      [undefined, 'undefined'],
      [42, 'a number'],
      [JSON.stringify(buildTokenUsageEvent()), 'a string'],
      [[buildTokenUsageEvent()], 'an array'],
      [new Date(NOW_MS), 'an instance of Date'],
      [new Map([['eventId', 'e']]), 'an instance of Map'],
      [new EventLike(), 'an instance of EventLike'],
    ])('rejects %p with exactly one error at $', (input, got) => {
      expect(errorsOf(input)).toEqual([{ path: '$', message: `expected a JSON object, got ${got}` }]);
    });

    it('accepts a null-prototype object with valid fields', () => {
      const input = Object.assign(Object.create(null) as object, build());
      expect(validate(input, OPTS).ok).toBe(true);
    });
  });

  describe('unknown and operator keys', () => {
    it('rejects an unknown top-level field naming its path', () => {
      expect(errorsOf({ ...build(), foo: 1 })).toEqual([{ path: '$.foo', message: 'unknown field' }]);
    });

    it('reports every unknown field', () => {
      expect(pathsOf({ ...build(), foo: 1, bar: null, Baz: 'x' })).toEqual(['$.foo', '$.bar', '$.Baz']);
    });

    it('rejects a field with a case variant of a known name', () => {
      expect(pathsOf({ ...build(), EventId: 'x' })).toEqual(['$.EventId']);
    });

    it.each([
      ['$where', "$['$where']"],
      ['$set', "$['$set']"],
      ['a.b', "$['a.b']"],
      ['time.$gt', "$['time.$gt']"],
    ])('rejects the key %p as operator injection', (key, path) => {
      expectOneError(errorsOf({ ...build(), [key]: '1' }), path, 'MongoDB operator injection');
    });

    it('rejects {"$gt": ""} where a string is expected as a wrong type', () => {
      expect(errorsOf({ ...build(), node: { $gt: '' } })).toEqual([
        { path: '$.node', message: 'expected a string, got an object' },
      ]);
    });

    it('rejects {"$ne": null} where a number is expected as a wrong type', () => {
      expect(errorsOf({ ...build(), [numberField]: { $ne: null } })).toEqual([
        { path: `$.${numberField}`, message: 'expected a number, got an object' },
      ]);
    });

    it('rejects an own __proto__ key from JSON.parse as an unknown field', () => {
      const input: unknown = JSON.parse(JSON.stringify(build()).replace(/^\{/, '{"__proto__":{"isAdmin":true},'));
      expect(pathsOf(input)).toEqual(['$.__proto__']);
    });
  });

  describe('strings', () => {
    it('accepts 256 characters and rejects 257', () => {
      expect(validate({ ...build(), [textField]: 'x'.repeat(256) }, OPTS).ok).toBe(true);
      expect(errorsOf({ ...build(), [textField]: 'x'.repeat(257) })).toEqual([
        { path: `$.${textField}`, message: 'must be at most 256 characters long, got 257' },
      ]);
    });

    it('rejects the empty string', () => {
      expect(errorsOf({ ...build(), [textField]: '' })).toEqual([
        { path: `$.${textField}`, message: 'must not be empty' },
      ]);
    });

    it.each(['\u0000', '\t', '\n', '\r', '\u001F', '\u007F', '\u0085', '\u009F'])(
      'rejects the control character %j',
      (control) => {
        expectOneError(errorsOf({ ...build(), [textField]: `a${control}b` }), `$.${textField}`, 'control characters');
      },
    );

    it.each([' ', '\u00A0', 'é', '日本語', '🚀', '$gt', 'a.b', '|', '"quoted"'])(
      'accepts the printable text %j',
      (text) => {
        expect(validate({ ...build(), [textField]: text }, OPTS).ok).toBe(true);
      },
    );

    it('never echoes string contents in messages', () => {
      const secret = 'sk-live-0123456789';
      for (const error of errorsOf({ ...build(), [textField]: `${secret}\u0000`, eventId: `${secret} ` })) {
        expect(error.message).not.toContain(secret);
      }
    });
  });

  describe('eventId', () => {
    it('accepts 1-128 characters of [A-Za-z0-9._:-]', () => {
      for (const eventId of ['a', 'x'.repeat(128), 'AZaz09._:-', '3f0c2b9e-8d1a-4f7e-9c55-0b6a1f2e4d77']) {
        expect(validate({ ...build(), eventId }, OPTS).ok).toBe(true);
      }
    });

    it.each([
      ['x'.repeat(129), 'must be at most 128 characters long, got 129'],
      ['', 'must not be empty'],
      ['a b', 'may only contain the characters A-Z a-z 0-9 . _ : -'],
      ['a/b', 'may only contain the characters A-Z a-z 0-9 . _ : -'],
      ['ü', 'may only contain the characters A-Z a-z 0-9 . _ : -'],
      ['$gt', 'may only contain the characters A-Z a-z 0-9 . _ : -'],
    ])('rejects %p', (eventId, message) => {
      expect(errorsOf({ ...build(), eventId })).toEqual([{ path: '$.eventId', message }]);
    });
  });

  describe('JSON numbers only', () => {
    it.each<[unknown, string]>([
      ['12', 'expected a number, got a string'],
      [Number.NaN, 'must be a finite number, got NaN'],
      [Infinity, 'must be a finite number, got Infinity'],
      [-Infinity, 'must be a finite number, got -Infinity'],
      [true, 'expected a number, got a boolean'],
      [[1], 'expected a number, got an array'],
    ])('rejects %p', (value, message) => {
      expect(errorsOf({ ...build(), [numberField]: value })).toEqual([{ path: `$.${numberField}`, message }]);
    });
  });

  describe('time format', () => {
    it.each([
      '2026-03-01T11:59:00',
      '2026-03-01',
      '2026-03-01 11:59:00Z',
      '2026-03-01T11:59Z',
      '2026-03-01T11:59:00+0100',
      '2026-03-01T11:59:00.Z',
      '2026-3-01T11:59:00Z',
      '+002026-03-01T11:59:00Z',
      'Sun, 01 Mar 2026 11:59:00 GMT',
      '1772366340000',
      '',
    ])('rejects %p as not RFC 3339', (time) => {
      expectOneError(errorsOf({ ...build(), time }), '$.time', 'RFC 3339');
    });

    it('rejects an epoch number as a wrong type', () => {
      expect(errorsOf({ ...build(), time: NOW_MS })).toEqual([
        { path: '$.time', message: 'expected a string, got a number' },
      ]);
    });

    it.each([
      ['2026-02-30T00:00:00Z', '2026-02-27T00:00:00Z'],
      ['2026-04-31T00:00:00Z', '2026-04-29T00:00:00Z'],
      ['2025-02-29T00:00:00Z', '2025-02-27T00:00:00Z'],
      ['2100-02-29T00:00:00Z', '2100-02-27T00:00:00Z'],
      ['2026-13-01T00:00:00Z', '2026-12-30T00:00:00Z'],
      ['2026-03-01T24:00:00Z', '2026-03-01T12:00:00Z'],
      ['2026-03-01T11:60:00Z', '2026-03-01T12:00:00Z'],
      ['2026-12-31T23:59:60Z', '2027-01-01T00:00:00Z'],
      ['2026-03-01T11:59:00+24:00', '2026-03-01T12:00:00Z'],
    ])('rejects the impossible date-time %p (checked by a real date parse)', (time, now) => {
      expectOneError(
        errorsOf({ ...build(), time }, { nowMs: Date.parse(now) }),
        '$.time',
        /^is not a valid date-time: /,
      );
    });

    it.each([
      ['2024-02-29T00:00:00Z', '2024-03-01T00:00:00Z'],
      ['2000-02-29T12:00:00Z', '2000-03-01T00:00:00Z'],
    ])('accepts the leap day %p', (time, now) => {
      expect(validate({ ...build(), time }, { nowMs: Date.parse(now) }).ok).toBe(true);
    });
  });

  describe('time window', () => {
    const at = (offsetMs: number): string => new Date(NOW_MS + offsetMs).toISOString();

    it('accepts exactly 5 minutes in the future and rejects 1 ms more, saying it is in the future', () => {
      expect(validate({ ...build(), time: at(5 * MINUTE_MS) }, OPTS).ok).toBe(true);
      expectOneError(errorsOf({ ...build(), time: at(5 * MINUTE_MS + 1) }), '$.time', 'too far in the future');
    });

    it('applies the window after converting the offset to UTC', () => {
      // 13:04+01:00 is 12:04Z, inside the window, although 13:04 "looks" an hour ahead.
      expect(validate({ ...build(), time: '2026-03-01T13:04:00+01:00' }, OPTS).ok).toBe(true);
      expect(pathsOf({ ...build(), time: '2026-03-01T12:04:00-01:00' })).toEqual(['$.time']);
    });

    it('accepts exactly the raw retention (7 days) old and rejects 1 ms older, naming the retention', () => {
      expect(validate({ ...build(), time: at(-7 * DAY_MS) }, OPTS).ok).toBe(true);
      const errors = errorsOf({ ...build(), time: at(-7 * DAY_MS - 1) });
      expectOneError(errors, '$.time', 'too old');
      expect(errors[0]?.message).toContain('older than the raw retention of 7d');
    });

    it('honours a custom maxAgeMs', () => {
      const opts = { nowMs: NOW_MS, maxAgeMs: 60 * MINUTE_MS };
      expect(validate({ ...build(), time: at(-60 * MINUTE_MS) }, opts).ok).toBe(true);
      expect(pathsOf({ ...build(), time: at(-61 * MINUTE_MS) }, opts)).toEqual(['$.time']);
    });

    it('uses Date.now() when nowMs is not given', () => {
      expect(validate(build(Date.now())).ok).toBe(true);
      expect(expectInvalid(validate(build(Date.now() - 8 * DAY_MS)))[0]?.message).toContain('too old');
    });

    it('returns the normalised time in the value', () => {
      const value = expectValid(validate({ ...build(), time: '2026-03-01T12:30:00.5+01:00' }, OPTS));
      expect(value).toHaveProperty('time', '2026-03-01T11:30:00.500Z');
    });
  });
});
