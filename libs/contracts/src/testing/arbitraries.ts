/**
 * fast-check arbitraries for valid v1 events, for property-based tests here and in the apps
 * (e.g. "any valid event survives a Kafka round trip"). Every generated event passes its
 * validator when validated with the same `nowMs` and `maxAgeMs`.
 */
import fc from 'fast-check';
import type { Arbitrary } from 'fast-check';

import { MAX_ATTRIBUTES, MAX_DURATION_MS, MAX_GPU_INDEX, MAX_STRING_LENGTH, MAX_TOKEN_COUNT } from '../fields';
import { MAX_GPU_MEMORY_MIB } from '../gpu-sample';
import type { GpuSample } from '../gpu-sample';
import type { TokenUsageEventInput } from '../token-usage-event';
import { DEFAULT_MAX_EVENT_AGE_MS, MAX_FUTURE_SKEW_MS } from '../validation-result';

export interface TimeWindow {
  nowMs: number;
  /** Defaults to the validators' default, 7 days. */
  maxAgeMs?: number;
}

/** JSON turns -0 into 0; generating it would make "round trip equals input" false for a non-reason. */
const noNegativeZero = (value: number): number => (Object.is(value, -0) ? 0 : value);

/** Contract text: 1-256 characters, printable, including the characters injection tests care about. */
export const textArbitrary: Arbitrary<string> = fc
  .oneof(
    { weight: 6, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 40 }) },
    { weight: 3, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }) },
    { weight: 1, arbitrary: fc.constantFrom('$gt', 'a.b', '|', '"', "'", '\\', ' ', '{}') },
    {
      weight: 1,
      arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: MAX_STRING_LENGTH, maxLength: MAX_STRING_LENGTH }),
    },
  )
  .filter((text) => text.length >= 1 && text.length <= MAX_STRING_LENGTH);

export const eventIdArbitrary: Arbitrary<string> = fc.oneof(fc.uuid(), fc.stringMatching(/^[A-Za-z0-9._:-]{1,128}$/));

/** Times in canonical form (UTC, milliseconds), as validators return them. */
export function canonicalTimeArbitrary({ nowMs, maxAgeMs = DEFAULT_MAX_EVENT_AGE_MS }: TimeWindow): Arbitrary<string> {
  return fc
    .integer({ min: nowMs - maxAgeMs, max: nowMs + MAX_FUTURE_SKEW_MS })
    .map((epochMs) => new Date(epochMs).toISOString());
}

export interface OffsetTime {
  /** An RFC 3339 rendering with an arbitrary offset, fraction length and letter case. */
  text: string;
  /** What validators must normalise `text` to. */
  canonical: string;
}

/** The same instants as canonicalTimeArbitrary, written in the many ways RFC 3339 allows. */
export function offsetTimeArbitrary({ nowMs, maxAgeMs = DEFAULT_MAX_EVENT_AGE_MS }: TimeWindow): Arbitrary<OffsetTime> {
  return fc
    .record({
      epochSeconds: fc.integer({
        min: Math.ceil((nowMs - maxAgeMs) / 1000),
        max: Math.floor((nowMs + MAX_FUTURE_SKEW_MS) / 1000) - 1,
      }),
      fraction: fc.option(fc.stringMatching(/^[0-9]{1,9}$/), { nil: undefined }),
      offsetMinutes: fc.integer({ min: -(23 * 60 + 59), max: 23 * 60 + 59 }),
      upperCase: fc.boolean(),
      zuluForm: fc.constantFrom('Z', '+00:00', '-00:00'),
    })
    .map(({ epochSeconds, fraction, offsetMinutes, upperCase, zuluForm }) => {
      const millis = fraction === undefined ? 0 : Number(fraction.slice(0, 3).padEnd(3, '0'));
      const localIso = new Date(epochSeconds * 1000 + offsetMinutes * 60_000).toISOString();
      const sign = offsetMinutes < 0 ? '-' : '+';
      const absolute = Math.abs(offsetMinutes);
      const offset =
        offsetMinutes === 0
          ? zuluForm
          : `${sign}${String(Math.floor(absolute / 60)).padStart(2, '0')}:${String(absolute % 60).padStart(2, '0')}`;
      const body = `${localIso.slice(0, 10)}T${localIso.slice(11, 19)}${fraction === undefined ? '' : `.${fraction}`}${offset}`;
      return {
        text: upperCase ? body : body.toLowerCase(),
        canonical: new Date(epochSeconds * 1000 + millis).toISOString(),
      };
    });
}

const tokenCountArbitrary = fc.oneof(
  fc.integer({ min: 0, max: 100_000 }),
  fc.integer({ min: 0, max: MAX_TOKEN_COUNT }),
  fc.constantFrom(0, MAX_TOKEN_COUNT),
);

const msArbitrary = fc
  .oneof(
    fc.double({ min: 0, max: MAX_DURATION_MS, noNaN: true }),
    fc.integer({ min: 0, max: 120_000 }),
    fc.constantFrom(0, MAX_DURATION_MS),
  )
  .map(noNegativeZero);

function boundedDouble(min: number, max: number): Arbitrary<number> {
  return fc.oneof(fc.double({ min, max, noNaN: true }), fc.constantFrom(min, max)).map(noNegativeZero);
}

const attributesArbitrary = fc.dictionary(fc.stringMatching(/^[a-z0-9_]{1,64}$/), textArbitrary, {
  maxKeys: MAX_ATTRIBUTES,
  noNullPrototype: true,
});

/** A [smaller, larger] pair: for ttftMs <= durationMs and memoryUsedMiB <= memoryTotalMiB. */
function orderedPair(values: Arbitrary<number>): Arbitrary<[number, number]> {
  return fc.tuple(values, values).map(([a, b]) => (a <= b ? [a, b] : [b, a]));
}

/** Valid tokens.v1 events on the wire: optional fields (tenant included) present or absent. */
export function tokenUsageEventArbitrary(window: TimeWindow): Arbitrary<TokenUsageEventInput> {
  return fc
    .record(
      {
        eventId: eventIdArbitrary,
        time: canonicalTimeArbitrary(window),
        model: textArbitrary,
        tenant: textArbitrary,
        node: textArbitrary,
        gpuIndex: fc.integer({ min: 0, max: MAX_GPU_INDEX }),
        inputTokens: tokenCountArbitrary,
        outputTokens: tokenCountArbitrary,
        cachedInputTokens: tokenCountArbitrary,
        timings: fc.oneof(
          orderedPair(msArbitrary).map(([ttftMs, durationMs]) => ({ ttftMs, durationMs })),
          msArbitrary.map((durationMs) => ({ durationMs })),
        ),
        status: fc.constantFrom('ok' as const, 'error' as const),
        finishReason: textArbitrary,
        attributes: attributesArbitrary,
      },
      {
        requiredKeys: ['eventId', 'time', 'model', 'node', 'inputTokens', 'outputTokens', 'timings', 'status'],
        noNullPrototype: true,
      },
    )
    .map(({ timings, ...rest }) => ({ ...rest, ...timings }));
}

/** Valid gpu.v1 samples: optional fields present or absent. */
export function gpuSampleArbitrary(window: TimeWindow): Arbitrary<GpuSample> {
  return fc
    .record(
      {
        eventId: eventIdArbitrary,
        time: canonicalTimeArbitrary(window),
        node: textArbitrary,
        gpuIndex: fc.integer({ min: 0, max: MAX_GPU_INDEX }),
        gpuUuid: textArbitrary,
        gpuModel: textArbitrary,
        utilizationPct: boundedDouble(0, 100),
        memory: orderedPair(boundedDouble(0, MAX_GPU_MEMORY_MIB)),
        powerW: boundedDouble(0, 10_000),
        temperatureC: boundedDouble(-40, 150),
        energyJ: fc.oneof(boundedDouble(0, 1e12), fc.constant(Number.MAX_VALUE)),
        smClockMHz: boundedDouble(0, 100_000),
        tenant: textArbitrary,
      },
      {
        requiredKeys: ['eventId', 'time', 'node', 'gpuIndex', 'memory', 'powerW', 'temperatureC'],
        noNullPrototype: true,
      },
    )
    .map(({ memory: [memoryUsedMiB, memoryTotalMiB], ...rest }) => ({ ...rest, memoryUsedMiB, memoryTotalMiB }));
}
