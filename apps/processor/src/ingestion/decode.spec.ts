import { HEADERS } from '@tokenmeter/contracts';
import { buildGpuSample, buildTokenUsageEvent, buildTokenUsageInterval } from '@tokenmeter/contracts/testing/factories';
import { DeadLetterReason, decodeMessage } from './decode';

const NOW = Date.parse('2026-11-25T12:00:00.000Z');
const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
const OPTS = { nowMs: NOW, maxAgeMs: 7 * 86_400_000, maxMessageBytes: 4_096 };

function message(value: unknown, headers: Record<string, string> = {}) {
  return {
    value: value === null ? null : Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)),
    headers,
  };
}

describe('decodeMessage', () => {
  it('decodes a valid event with its ingest time and traceparent', () => {
    const event = buildTokenUsageEvent({}, { nowMs: NOW });
    const decoded = decodeMessage(
      'tokens',
      message(event, {
        [HEADERS.schema]: 'tokens.v1',
        [HEADERS.ingestedAt]: '2026-11-25T11:59:59.500Z',
        [HEADERS.traceparent]: TRACEPARENT,
      }),
      OPTS,
    );
    expect(decoded).toEqual({
      ok: true,
      schema: 'tokens.v1',
      event,
      ingestedAt: new Date('2026-11-25T11:59:59.500Z'),
      traceparent: TRACEPARENT,
    });
  });

  it.each([
    ['not W3C', 'abc'],
    ['an all-zero trace id', '00-00000000000000000000000000000000-00f067aa0ba902b7-01'],
    ['a forged log line', `${TRACEPARENT}\n{"level":50}`],
  ])('leaves out a traceparent header that is %s', (_name, header) => {
    const event = buildTokenUsageEvent({}, { nowMs: NOW });
    const decoded = decodeMessage('tokens', message(event, { [HEADERS.traceparent]: header }), OPTS);
    expect(decoded).toEqual({ ok: true, schema: 'tokens.v1', event });
  });

  it('decodes a scraped interval on the tokens topic by its schema header', () => {
    const interval = buildTokenUsageInterval({}, { nowMs: NOW });
    const decoded = decodeMessage('tokens', message(interval, { [HEADERS.schema]: 'tokens-interval.v1' }), OPTS);
    expect(decoded).toEqual({ ok: true, schema: 'tokens-interval.v1', event: interval });
    // Not on the GPU topic.
    const elsewhere = decodeMessage('gpu', message(interval, { [HEADERS.schema]: 'tokens-interval.v1' }), OPTS);
    expect(elsewhere).toMatchObject({ ok: false, reason: DeadLetterReason.UnknownSchema });
  });

  it('takes the schema from the topic when the header is absent', () => {
    expect(decodeMessage('gpu', message(buildGpuSample({}, { nowMs: NOW })), OPTS).ok).toBe(true);
  });

  it.each([
    ['a tombstone', message(null), DeadLetterReason.Tombstone],
    ['an oversized message', message('x'.repeat(5_000)), DeadLetterReason.Oversized],
    ['another schema', message({}, { [HEADERS.schema]: 'gpu.v1' }), DeadLetterReason.UnknownSchema],
    ['not JSON', message('{nope'), DeadLetterReason.NotJson],
    ['a contract violation', message({ eventId: 'x' }), DeadLetterReason.Invalid],
  ])('dead-letters %s', (_name, msg, reason) => {
    const decoded = decodeMessage('tokens', msg, OPTS);
    expect(decoded).toMatchObject({ ok: false, reason });
  });

  it('lists every field error of a contract violation', () => {
    const bad = { ...buildTokenUsageEvent({}, { nowMs: NOW }), inputTokens: -1, color: 'red' };
    const decoded = decodeMessage('tokens', message(bad), OPTS);
    expect(decoded.ok).toBe(false);
    if (!decoded.ok) {
      expect(decoded.message).toContain('$.inputTokens');
      expect(decoded.message).toContain('$.color');
    }
  });
});
