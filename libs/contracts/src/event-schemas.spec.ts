import { EVENT_SCHEMAS, SCHEMA_NAMES, isSchemaName, validateEvent } from './event-schemas';
import type { SchemaName } from './event-schemas';
import type { GpuSample } from './gpu-sample';
import { buildGpuSample, buildTokenUsageEvent, expectInvalid, expectValid } from './testing';
import type { TokenUsageEvent } from './token-usage-event';

const NOW_MS = Date.parse('2026-03-01T12:00:00.000Z');
const OPTS = { nowMs: NOW_MS };

describe('validateEvent', () => {
  it('validates tokens.v1 as a TokenUsageEvent', () => {
    const input = buildTokenUsageEvent({}, { nowMs: NOW_MS });
    const value: TokenUsageEvent = expectValid(validateEvent('tokens.v1', input, OPTS));
    expect(value).toEqual(input);
  });

  it('validates gpu.v1 as a GpuSample', () => {
    const input = buildGpuSample({}, { nowMs: NOW_MS });
    const value: GpuSample = expectValid(validateEvent('gpu.v1', input, OPTS));
    expect(value).toEqual(input);
  });

  it('does not accept an event under the other schema', () => {
    const errors = expectInvalid(validateEvent('gpu.v1', buildTokenUsageEvent({}, { nowMs: NOW_MS }), OPTS));
    expect(errors.map((error) => error.path)).toEqual(expect.arrayContaining(['$.powerW', '$.model', '$.inputTokens']));
  });

  it('returns an error, not a throw, for a schema name that slipped past the types', () => {
    const name = 'tokens.v2' as SchemaName;
    expect(expectInvalid(validateEvent(name, {}, OPTS))).toEqual([
      { path: '$', message: 'unknown schema "tokens.v2"' },
    ]);
  });
});

describe('schema names', () => {
  it('lists every contract once', () => {
    expect([...SCHEMA_NAMES]).toEqual(['tokens.v1', 'gpu.v1', 'tokens-interval.v1']);
    expect(Object.keys(EVENT_SCHEMAS).sort()).toEqual([...SCHEMA_NAMES].sort());
  });

  it('cannot be changed at runtime', () => {
    expect(Object.isFrozen(SCHEMA_NAMES)).toBe(true);
  });

  it.each([
    ['tokens.v1', true],
    ['gpu.v1', true],
    ['tokens.v2', false],
    ['TOKENS.V1', false],
    ['', false],
    [undefined, false],
  ])('isSchemaName(%p) is %p', (value, expected) => {
    expect(isSchemaName(value)).toBe(expected);
  });
});
