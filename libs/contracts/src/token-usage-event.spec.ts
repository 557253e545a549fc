import { buildTokenUsageEvent, expectInvalid, expectValid } from './testing';
import { validateTokenUsageEvent } from './token-usage-event';
import type { FieldError } from './validation-result';
import type { TokenUsageEvent } from './token-usage-event';

/** Exactly one error, at `path`, whose message contains (or matches) `message`. */
function expectOneError(errors: readonly FieldError[], path: string, message: string | RegExp): void {
  expect(errors.map((error) => error.path)).toEqual([path]);
  expect(errors[0]?.message).toMatch(message);
}

const NOW_MS = Date.parse('2026-03-01T12:00:00.000Z');
const OPTS = { nowMs: NOW_MS };

function event(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...buildTokenUsageEvent({}, { nowMs: NOW_MS }), ...overrides };
}

function without(input: Record<string, unknown>, key: string): Record<string, unknown> {
  const { [key]: _removed, ...rest } = input;
  return rest;
}

function pathsOf(input: unknown): string[] {
  return expectInvalid(validateTokenUsageEvent(input, OPTS)).map((error) => error.path);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

describe('validateTokenUsageEvent', () => {
  it('accepts a complete event and returns it unchanged when already canonical', () => {
    const input = buildTokenUsageEvent(
      { attributes: { region: 'eu_west_1' }, cachedInputTokens: 256 },
      { nowMs: NOW_MS },
    );
    expect(expectValid(validateTokenUsageEvent(input, OPTS))).toEqual(input);
  });

  it('accepts a minimal event with only the required fields', () => {
    const minimal = {
      eventId: 'e-1',
      time: '2026-03-01T11:59:00.000Z',
      model: 'm',
      node: 'n',
      inputTokens: 0,
      outputTokens: 0,
      durationMs: 0,
      status: 'error',
    };
    expect(expectValid(validateTokenUsageEvent(minimal, OPTS))).toEqual({ ...minimal, tenant: 'default' });
  });

  describe('tenant', () => {
    it('defaults to "default" in the returned value without mutating the input', () => {
      const input = deepFreeze(without(event(), 'tenant'));
      const value = expectValid(validateTokenUsageEvent(input, OPTS));
      expect(value.tenant).toBe('default');
      expect(input).not.toHaveProperty('tenant');
    });

    it('keeps an explicit tenant', () => {
      expect(expectValid(validateTokenUsageEvent(event({ tenant: 'acme' }), OPTS)).tenant).toBe('acme');
    });

    it('defaults when the tenant is present but undefined (JavaScript callers)', () => {
      expect(expectValid(validateTokenUsageEvent(event({ tenant: undefined }), OPTS)).tenant).toBe('default');
    });

    it('rejects an empty tenant instead of defaulting it', () => {
      expect(pathsOf(event({ tenant: '' }))).toEqual(['$.tenant']);
    });
  });

  describe('time normalisation', () => {
    it.each([
      ['2026-03-01T13:59:00.123456+02:00', '2026-03-01T11:59:00.123Z'],
      ['2026-03-01T11:59:00Z', '2026-03-01T11:59:00.000Z'],
      ['2026-03-01t11:59:00.5z', '2026-03-01T11:59:00.500Z'],
      ['2026-03-01T11:59:00.999999999-00:00', '2026-03-01T11:59:00.999Z'],
      ['2026-03-01T06:29:00.07-05:30', '2026-03-01T11:59:00.070Z'],
      ['2026-03-02T00:30:00+12:45', '2026-03-01T11:45:00.000Z'],
    ])('normalises %s to %s', (time, expected) => {
      expect(expectValid(validateTokenUsageEvent(event({ time }), OPTS)).time).toBe(expected);
    });
  });

  describe('token counts', () => {
    it.each(['inputTokens', 'outputTokens', 'cachedInputTokens'])('%s accepts 0 and 1,000,000,000', (field) => {
      expect(validateTokenUsageEvent(event({ [field]: 0 }), OPTS).ok).toBe(true);
      expect(validateTokenUsageEvent(event({ [field]: 1_000_000_000 }), OPTS).ok).toBe(true);
    });

    it.each([
      ['inputTokens', -1, 'must be between 0 and 1000000000, got -1'],
      ['outputTokens', 1_000_000_001, 'must be between 0 and 1000000000, got 1000000001'],
      ['cachedInputTokens', 1.5, 'must be an integer, got 1.5'],
      ['inputTokens', '5', 'expected an integer, got a string'],
      ['outputTokens', null, 'expected an integer, got null'],
      ['inputTokens', Number.NaN, 'must be a finite number, got NaN'],
    ])('%s rejects %p', (field, value, message) => {
      expect(expectInvalid(validateTokenUsageEvent(event({ [field]: value }), OPTS))).toEqual([
        { path: `$.${field}`, message },
      ]);
    });

    it('requires inputTokens and outputTokens', () => {
      expect(pathsOf(without(without(event(), 'inputTokens'), 'outputTokens'))).toEqual([
        '$.inputTokens',
        '$.outputTokens',
      ]);
    });
  });

  describe('millisecond values', () => {
    it.each(['ttftMs', 'durationMs'])('%s accepts fractions and the bounds 0 and 86,400,000', (field) => {
      const bounds = field === 'ttftMs' ? { durationMs: 86_400_000 } : { ttftMs: 0 };
      for (const value of [0, 12.75, 86_400_000]) {
        expect(validateTokenUsageEvent(event({ ...bounds, [field]: value }), OPTS).ok).toBe(true);
      }
    });

    it.each([
      ['durationMs', -0.001],
      ['durationMs', 86_400_000.5],
      ['durationMs', Infinity],
      ['ttftMs', -1],
      ['ttftMs', Number.NaN],
      ['ttftMs', '85'],
    ])('%s rejects %p', (field, value) => {
      expect(pathsOf(event({ [field]: value }))).toEqual([`$.${field}`]);
    });
  });

  describe('ttftMs <= durationMs', () => {
    it('accepts ttftMs equal to durationMs', () => {
      expect(validateTokenUsageEvent(event({ ttftMs: 500, durationMs: 500 }), OPTS).ok).toBe(true);
    });

    it('rejects ttftMs after durationMs with the error on $.ttftMs', () => {
      const errors = expectInvalid(validateTokenUsageEvent(event({ ttftMs: 501, durationMs: 500 }), OPTS));
      expectOneError(errors, '$.ttftMs', 'must be <= durationMs');
    });

    it('does not compare when durationMs is itself invalid (one problem, one error)', () => {
      expect(pathsOf(event({ ttftMs: 501, durationMs: -5 }))).toEqual(['$.durationMs']);
    });

    it('does not apply when ttftMs is absent', () => {
      expect(validateTokenUsageEvent(without(event(), 'ttftMs'), OPTS).ok).toBe(true);
    });
  });

  describe('status', () => {
    it.each(['ok', 'error'])('accepts %s', (status) => {
      expect(validateTokenUsageEvent(event({ status }), OPTS).ok).toBe(true);
    });

    it.each(['OK', 'failed', '', 1, null])('rejects %p', (status) => {
      expect(expectInvalid(validateTokenUsageEvent(event({ status }), OPTS))).toEqual([
        { path: '$.status', message: 'must be one of "ok", "error"' },
      ]);
    });
  });

  describe('gpuIndex', () => {
    it('is optional and bounded 0-1023', () => {
      expect(validateTokenUsageEvent(without(event(), 'gpuIndex'), OPTS).ok).toBe(true);
      expect(validateTokenUsageEvent(event({ gpuIndex: 1023 }), OPTS).ok).toBe(true);
      expect(pathsOf(event({ gpuIndex: 1024 }))).toEqual(['$.gpuIndex']);
      expect(pathsOf(event({ gpuIndex: 0.5 }))).toEqual(['$.gpuIndex']);
    });
  });

  describe('attributes', () => {
    const entries = (count: number): Record<string, string> =>
      Object.fromEntries(Array.from({ length: count }, (_, i) => [`key_${i}`, `value ${i}`]));

    it('accepts up to 16 pairs', () => {
      expect(expectValid(validateTokenUsageEvent(event({ attributes: entries(16) }), OPTS)).attributes).toEqual(
        entries(16),
      );
    });

    it('rejects 17 pairs at $.attributes', () => {
      expect(expectInvalid(validateTokenUsageEvent(event({ attributes: entries(17) }), OPTS))).toEqual([
        { path: '$.attributes', message: 'must have at most 16 entries, got 17' },
      ]);
    });

    it('accepts keys of 1-64 characters of a-z 0-9 _', () => {
      const attributes = { a: 'x', ['z'.repeat(64)]: 'x', snake_case_9: 'x', '0': 'x' };
      expect(validateTokenUsageEvent(event({ attributes }), OPTS).ok).toBe(true);
    });

    it.each([
      ['Region', '$.attributes.Region'],
      ['kebab-case', "$.attributes['kebab-case']"],
      ['with space', "$.attributes['with space']"],
      ['', "$.attributes['']"],
      ['x'.repeat(65), `$.attributes.${'x'.repeat(65)}`],
      ['é', "$.attributes['é']"],
    ])('rejects the key %p', (key, path) => {
      expect(expectInvalid(validateTokenUsageEvent(event({ attributes: { [key]: 'v' } }), OPTS))).toEqual([
        { path, message: 'attribute keys must be 1-64 characters of a-z 0-9 _' },
      ]);
    });

    it.each([
      ['$gt', "$.attributes['$gt']"],
      ['a.b', "$.attributes['a.b']"],
      ['$', "$.attributes['$']"],
    ])('rejects the operator-injection key %p with its own message', (key, path) => {
      const errors = expectInvalid(validateTokenUsageEvent(event({ attributes: { [key]: 'v' } }), OPTS));
      expectOneError(errors, path, 'MongoDB operator injection');
    });

    it('reports every bad key, not only the first', () => {
      const attributes = { $a: 'v', $b: 'v', 'c.d': 'v', fine: 'v' };
      expect(pathsOf(event({ attributes }))).toEqual([
        "$.attributes['$a']",
        "$.attributes['$b']",
        "$.attributes['c.d']",
      ]);
    });

    it('accepts values of 256 characters and rejects longer, empty or non-string values', () => {
      expect(validateTokenUsageEvent(event({ attributes: { k: 'v'.repeat(256) } }), OPTS).ok).toBe(true);
      for (const value of ['v'.repeat(257), '', 5, { $gt: '' }, null, 'tab\there']) {
        expect(pathsOf(event({ attributes: { k: value } }))).toEqual(['$.attributes.k']);
      }
    });

    it.each([[['a']], ['region=eu'], [null]])('rejects %p as attributes', (attributes) => {
      expect(pathsOf(event({ attributes }))).toEqual(['$.attributes']);
    });

    it('keeps an own __proto__ attribute (from JSON.parse) as data, never as a prototype', () => {
      const input: unknown = JSON.parse(
        JSON.stringify(event()).replace(/\}$/, ',"attributes":{"__proto__":"x","region":"eu"}}'),
      );
      const attributes = expectValid(validateTokenUsageEvent(input, OPTS)).attributes ?? {};
      expect(Object.getPrototypeOf(attributes)).toBe(Object.prototype);
      expect(Object.keys(attributes)).toEqual(['__proto__', 'region']);
    });

    it("returns a copy of attributes, not the caller's object", () => {
      const attributes = { region: 'eu' };
      const value = expectValid(validateTokenUsageEvent(event({ attributes }), OPTS));
      expect(value.attributes).toEqual(attributes);
      expect(value.attributes).not.toBe(attributes);
    });
  });

  describe('the returned value', () => {
    it('is a new object in schema field order, without optional fields that were undefined', () => {
      const input = event({ finishReason: undefined, ttftMs: undefined, zzz: undefined });
      const value = expectValid(validateTokenUsageEvent(without(input, 'zzz'), OPTS));
      expect(value).not.toBe(input);
      expect(Object.keys(value)).toEqual([
        'eventId',
        'time',
        'model',
        'tenant',
        'node',
        'gpuIndex',
        'inputTokens',
        'outputTokens',
        'durationMs',
        'status',
      ]);
    });

    it('is typed with a required tenant', () => {
      const value: TokenUsageEvent = expectValid(validateTokenUsageEvent(event(), OPTS));
      const tenant: string = value.tenant;
      expect(tenant).toBe('acme');
    });
  });

  it('reports every error of an event at once, each with its path', () => {
    const errors = expectInvalid(
      validateTokenUsageEvent(
        {
          eventId: 'bad id',
          time: '2026-02-30T00:00:00Z',
          model: { $gt: '' },
          node: '',
          inputTokens: -1,
          outputTokens: '7',
          durationMs: 10,
          ttftMs: 11,
          status: 'done',
          extra: true,
        },
        OPTS,
      ),
    );
    expect(errors.map((error) => error.path).sort()).toEqual(
      [
        '$.eventId',
        '$.time',
        '$.model',
        '$.node',
        '$.inputTokens',
        '$.outputTokens',
        '$.ttftMs',
        '$.status',
        '$.extra',
      ].sort(),
    );
    for (const error of errors) expect(error.message).toMatch(/\w/);
  });
});
