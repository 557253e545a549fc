/**
 * The public surface other code is written against: names and constant values must not change
 * without a new contract version. Imported through the path alias, as the apps do.
 */
import * as contracts from '@tokenmeter/contracts';

describe('@tokenmeter/contracts public API', () => {
  it('exports the validators and schemas', () => {
    for (const name of [
      'validateTokenUsageEvent',
      'validateGpuSample',
      'validateEvent',
      'tokenSeriesKey',
      'gpuSeriesKey',
      'isValidTraceparent',
    ] as const) {
      expect(typeof contracts[name]).toBe('function');
    }
    expect(contracts.TokenUsageEventSchema.title).toBe('TokenUsageEvent');
    expect(contracts.GpuSampleSchema.title).toBe('GpuSample');
    expect(contracts.SCHEMA_NAMES).toEqual(['tokens.v1', 'gpu.v1', 'tokens-interval.v1']);
  });

  it('keeps the Kafka constants of SPEC §4', () => {
    expect(contracts.DEFAULT_TOPICS).toEqual({
      tokens: 'telemetry.tokens.v1',
      gpu: 'telemetry.gpu.v1',
      dlq: 'telemetry.dlq.v1',
    });
    expect(contracts.schemasOnTopic('tokens')).toEqual(['tokens.v1', 'tokens-interval.v1']);
    expect(contracts.schemasOnTopic('gpu')).toEqual(['gpu.v1']);
    expect(contracts.HEADERS).toEqual({
      schema: 'schema',
      contentType: 'content-type',
      traceparent: 'traceparent',
      ingestedAt: 'ingested-at',
    });
    expect(contracts.CONTENT_TYPE_JSON).toBe('application/json');
    expect(contracts.DLQ_HEADERS).toEqual({
      originalTopic: '__connect.errors.topic',
      originalPartition: '__connect.errors.partition',
      originalOffset: '__connect.errors.offset',
      errorClass: '__connect.errors.exception.class.name',
      errorMessage: '__connect.errors.exception.message',
      errorStage: '__connect.errors.stage',
    });
  });

  it('formats field errors on one line for logs and the DLQ header', () => {
    expect(
      contracts.formatFieldErrors([
        { path: '$.inputTokens', message: 'must be between 0 and 1000000000, got -1' },
        { path: '$.foo', message: 'unknown field' },
      ]),
    ).toBe('$.inputTokens: must be between 0 and 1000000000, got -1; $.foo: unknown field');
  });

  it('exposes the default retention and clock skew', () => {
    expect(contracts.DEFAULT_MAX_EVENT_AGE_MS).toBe(7 * 24 * 3_600_000);
    expect(contracts.MAX_FUTURE_SKEW_MS).toBe(5 * 60_000);
  });
});
