import { SCHEMA_NAMES } from './event-schemas';
import {
  DEFAULT_TOPICS,
  DLQ_HEADERS,
  HEADERS,
  EVENT_ROUTES,
  gpuSeriesKey,
  isValidTraceparent,
  messageKey,
  schemasOnTopic,
  tokenSeriesKey,
} from './kafka';
import { buildGpuSample, buildTokenUsageEvent } from './testing';

describe('series keys (Kafka message keys, SPEC §4)', () => {
  it('keys token events by tenant|model|node', () => {
    expect(tokenSeriesKey({ tenant: 'acme', model: 'llama-3.1-8b', node: 'gpu-node-1' })).toBe(
      'acme|llama-3.1-8b|gpu-node-1',
    );
  });

  it('keys GPU samples by node|gpuIndex', () => {
    expect(gpuSeriesKey({ node: 'gpu-node-1', gpuIndex: 7 })).toBe('gpu-node-1|7');
    expect(gpuSeriesKey({ node: 'n', gpuIndex: 0 })).toBe('n|0');
  });

  it('ignores every field outside the series, so one series always maps to one key', () => {
    const a = buildTokenUsageEvent({ eventId: 'a', inputTokens: 1, time: '2026-03-01T00:00:00.000Z' });
    const b = buildTokenUsageEvent({ eventId: 'b', inputTokens: 2, time: '2026-03-01T01:00:00.000Z' });
    expect(tokenSeriesKey(a)).toBe(tokenSeriesKey(b));
    expect(gpuSeriesKey(buildGpuSample({ powerW: 1 }))).toBe(gpuSeriesKey(buildGpuSample({ powerW: 2 })));
  });

  it('separates series that differ in any key field', () => {
    const base = { tenant: 't', model: 'm', node: 'n' };
    const keys = new Set(
      [base, { ...base, tenant: 't2' }, { ...base, model: 'm2' }, { ...base, node: 'n2' }].map(tokenSeriesKey),
    );
    expect(keys.size).toBe(4);
  });
});

describe('topics and headers', () => {
  it('routes every contract to an event topic, and every event topic carries a contract', () => {
    expect(Object.keys(EVENT_ROUTES).sort()).toEqual([...SCHEMA_NAMES].sort());
    const eventTopics = Object.keys(DEFAULT_TOPICS).filter((t) => t !== 'dlq');
    for (const route of Object.values(EVENT_ROUTES)) expect(eventTopics).toContain(route.topic);
    for (const topic of ['tokens', 'gpu'] as const) expect(schemasOnTopic(topic).length).toBeGreaterThan(0);
  });

  it('puts a series’ requests and intervals on one topic and key, with tokens.v1 first (the headerless default)', () => {
    expect(schemasOnTopic('tokens')).toEqual(['tokens.v1', 'tokens-interval.v1']);
    expect(schemasOnTopic('gpu')).toEqual(['gpu.v1']);
    const series = { tenant: 'acme', model: 'llama', node: 'n1' };
    const request = buildTokenUsageEvent(series);
    const interval = { ...series, eventId: 'i', start: request.time, end: request.time } as never;
    expect(messageKey('tokens-interval.v1', interval)).toBe(messageKey('tokens.v1', request));
    expect(messageKey('gpu.v1', buildGpuSample({ node: 'n1', gpuIndex: 3 }))).toBe('n1|3');
  });

  it('uses the SPEC topic names by default', () => {
    expect(DEFAULT_TOPICS).toEqual({ tokens: 'telemetry.tokens.v1', gpu: 'telemetry.gpu.v1', dlq: 'telemetry.dlq.v1' });
  });

  it('uses distinct, lower-case header names', () => {
    const names = [...Object.values(HEADERS), ...Object.values(DLQ_HEADERS)];
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) expect(name).toBe(name.toLowerCase());
  });

  it('names DLQ headers the way Kafka Connect does', () => {
    for (const name of Object.values(DLQ_HEADERS)) expect(name).toMatch(/^__connect\.errors\./);
  });
});

describe('isValidTraceparent (W3C trace context, version 00)', () => {
  it.each([
    '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00',
    '00-00000000000000000000000000000001-0000000000000001-ff',
  ])('accepts %s', (value) => {
    expect(isValidTraceparent(value)).toBe(true);
  });

  it.each([
    ['all-zero trace id', '00-00000000000000000000000000000000-00f067aa0ba902b7-01'],
    ['all-zero parent id', '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01'],
    ['upper-case hex', '00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01'],
    ['another version', '01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'],
    ['version ff', 'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'],
    ['trailing data on version 00', '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra'],
    ['short trace id', '00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01'],
    ['short flags', '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1'],
    ['non-hex', '00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01'],
    ['surrounding whitespace', ' 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'],
    ['empty', ''],
  ])('rejects %s', (_label, value) => {
    expect(isValidTraceparent(value)).toBe(false);
  });
});
