import { validateTokenUsageInterval } from '@tokenmeter/contracts';
import { OtlpIntervalMapper, type PointOutcome, TOKEN_USAGE_METRIC } from './metric-mapping';
import { AGGREGATION_TEMPORALITY, type AttributeValue, type Decoded, type OtlpHistogramPoint } from './otlp-codec';

const STARTED_AT_MS = Date.parse('2026-11-25T12:00:00.000Z');
const ms = (t: number): bigint => BigInt(t) * 1_000_000n;
const OPTIONS = { tenantAttribute: 'tokenmeter.tenant', startedAtMs: STARTED_AT_MS };

function buildPoint(
  overrides: Partial<Omit<OtlpHistogramPoint, 'attributes'>> = {},
  attributes: Record<string, AttributeValue> = {},
): Decoded<OtlpHistogramPoint> {
  return {
    ok: true,
    value: {
      metricName: TOKEN_USAGE_METRIC,
      temporality: AGGREGATION_TEMPORALITY.cumulative,
      resource: new Map([['host.name', 'gpu-node-1']]),
      attributes: new Map(
        Object.entries({ 'gen_ai.token.type': 'input', 'gen_ai.request.model': 'llama', ...attributes }),
      ),
      startNs: ms(STARTED_AT_MS + 1_000),
      timeNs: ms(STARTED_AT_MS + 15_000),
      count: 2,
      sum: 300,
      ...overrides,
    },
  };
}

/** Maps and commits, as OtlpService does after Kafka took the intervals. */
function mapAndCommit(mapper: OtlpIntervalMapper, points: Decoded<OtlpHistogramPoint>[]) {
  const mapping = mapper.map(points);
  mapping.commit();
  return mapping;
}

function intervalOf(outcome: PointOutcome | undefined) {
  if (outcome?.kind !== 'interval') throw new Error(`expected an interval, got ${JSON.stringify(outcome)}`);
  return outcome.interval;
}

describe('OtlpIntervalMapper', () => {
  it('turns a delta point into the interval [start, time) with requests from input counts', () => {
    const mapper = new OtlpIntervalMapper(OPTIONS);
    const delta = { temporality: AGGREGATION_TEMPORALITY.delta };
    const { outcomes } = mapAndCommit(mapper, [
      buildPoint(delta),
      buildPoint({ ...delta, sum: 90, count: 2 }, { 'gen_ai.token.type': 'output' }),
    ]);
    const input = intervalOf(outcomes[0]);
    expect(input).toMatchObject({
      time: '2026-11-25T12:00:01.000Z',
      intervalMs: 14_000,
      source: 'otlp',
      model: 'llama',
      node: 'gpu-node-1',
      requests: 2,
      inputTokens: 300,
      outputTokens: 0,
    });
    expect(intervalOf(outcomes[1])).toMatchObject({ requests: 0, inputTokens: 0, outputTokens: 90 });
    expect(validateTokenUsageInterval(input, { nowMs: STARTED_AT_MS + 60_000 }).ok).toBe(true);
    // A retried export maps to the same eventIds; delta points keep no state.
    expect(intervalOf(mapper.map([buildPoint(delta)]).outcomes[0]).eventId).toBe(input.eventId);
    expect(mapper.streams).toBe(0);
  });

  it('counts a cumulative stream that started after the producer from its start, then by differences', () => {
    const mapper = new OtlpIntervalMapper(OPTIONS);
    const first = intervalOf(mapAndCommit(mapper, [buildPoint()]).outcomes[0]);
    expect(first).toMatchObject({ time: '2026-11-25T12:00:01.000Z', requests: 2, inputTokens: 300 });
    const second = intervalOf(
      mapAndCommit(mapper, [buildPoint({ timeNs: ms(STARTED_AT_MS + 30_000), count: 5, sum: 1_000 })]).outcomes[0],
    );
    expect(second).toMatchObject({
      time: '2026-11-25T12:00:15.000Z',
      intervalMs: 15_000,
      requests: 3,
      inputTokens: 700,
    });
    expect(second.eventId).not.toBe(first.eventId);
  });

  it('takes a cumulative stream older than the producer as a baseline only', () => {
    const mapper = new OtlpIntervalMapper(OPTIONS);
    const old = { startNs: ms(STARTED_AT_MS - 3_600_000) };
    expect(mapAndCommit(mapper, [buildPoint(old)]).outcomes).toEqual([{ kind: 'ignored', reason: 'baseline' }]);
    const next = mapAndCommit(mapper, [buildPoint({ ...old, timeNs: ms(STARTED_AT_MS + 30_000), count: 3, sum: 450 })]);
    expect(intervalOf(next.outcomes[0])).toMatchObject({ requests: 1, inputTokens: 150 });
  });

  it('detects a counter reset: a lower value is the delta since the restart', () => {
    const mapper = new OtlpIntervalMapper(OPTIONS);
    mapAndCommit(mapper, [buildPoint({ count: 10, sum: 5_000 })]);
    const reset = mapAndCommit(mapper, [buildPoint({ timeNs: ms(STARTED_AT_MS + 30_000), count: 1, sum: 40 })]);
    expect(reset.resets).toBe(1);
    expect(intervalOf(reset.outcomes[0])).toMatchObject({ requests: 1, inputTokens: 40 });
  });

  it('detects a reset from a new start time even when the value grew, counting from the new start', () => {
    const mapper = new OtlpIntervalMapper(OPTIONS);
    mapAndCommit(mapper, [buildPoint({ count: 2, sum: 300 })]);
    const restarted = mapAndCommit(mapper, [
      buildPoint({ startNs: ms(STARTED_AT_MS + 20_000), timeNs: ms(STARTED_AT_MS + 30_000), count: 4, sum: 800 }),
    ]);
    expect(restarted.resets).toBe(1);
    expect(intervalOf(restarted.outcomes[0])).toMatchObject({
      time: '2026-11-25T12:00:20.000Z',
      intervalMs: 10_000,
      requests: 4,
      inputTokens: 800,
    });
  });

  it('keeps the baseline until committed, so an export refused by Kafka and retried counts once', () => {
    const mapper = new OtlpIntervalMapper(OPTIONS);
    const refused = mapper.map([buildPoint()]); // Kafka said 503: no commit
    const retried = mapAndCommit(mapper, [buildPoint()]);
    expect(intervalOf(retried.outcomes[0])).toEqual(intervalOf(refused.outcomes[0]));
    // The same export once more after it was committed adds nothing.
    expect(mapAndCommit(mapper, [buildPoint()]).outcomes).toEqual([{ kind: 'ignored', reason: 'already_seen' }]);
  });

  it('emits nothing when a cumulative stream did not move, and advances its baseline', () => {
    const mapper = new OtlpIntervalMapper(OPTIONS);
    mapAndCommit(mapper, [buildPoint()]);
    const still = mapAndCommit(mapper, [buildPoint({ timeNs: ms(STARTED_AT_MS + 30_000) })]);
    expect(still.outcomes).toEqual([{ kind: 'ignored', reason: 'unchanged' }]);
    const moved = mapAndCommit(mapper, [buildPoint({ timeNs: ms(STARTED_AT_MS + 45_000), count: 3, sum: 400 })]);
    expect(intervalOf(moved.outcomes[0])).toMatchObject({ time: '2026-11-25T12:00:30.000Z', requests: 1 });
  });

  it('ignores other metrics and token types, rejects what claims usage but cannot be counted', () => {
    const mapper = new OtlpIntervalMapper(OPTIONS);
    const { outcomes } = mapAndCommit(mapper, [
      buildPoint({ metricName: 'gen_ai.client.operation.duration' }),
      buildPoint({}, { 'gen_ai.token.type': 'reasoning' }),
      buildPoint({}, { 'gen_ai.request.model': null }),
      buildPoint({ sum: undefined }),
      buildPoint({ sum: Number.NaN }, { 'gen_ai.request.model': 'other' }),
      buildPoint({ temporality: AGGREGATION_TEMPORALITY.unspecified }),
      buildPoint({ temporality: AGGREGATION_TEMPORALITY.delta, startNs: 0n }),
      { ok: false, message: 'count is not an unsigned 64-bit integer' },
    ]);
    expect(outcomes.map((o) => (o.kind === 'rejected' ? o.message : o.kind))).toEqual([
      'ignored',
      'ignored',
      'usage without gen_ai.response.model or gen_ai.request.model',
      'a token usage point without a sum',
      expect.stringContaining('is NaN; skipped'),
      'aggregationTemporality 0 is neither delta (1) nor cumulative (2)',
      'a delta point needs a start time, not after its time',
      'count is not an unsigned 64-bit integer',
    ]);
    // A NaN point leaves its stream's baseline where it was.
    const after = mapAndCommit(mapper, [
      buildPoint({ timeNs: ms(STARTED_AT_MS + 30_000), count: 3, sum: 500 }, { 'gen_ai.request.model': 'other' }),
    ]);
    expect(intervalOf(after.outcomes[0])).toMatchObject({ time: '2026-11-25T12:00:01.000Z', requests: 3 });
  });

  it('makes intervals of at least 1 ms from points closer than a millisecond, start == time included', () => {
    const mapper = new OtlpIntervalMapper(OPTIONS);
    const startNs = ms(STARTED_AT_MS + 1_000);
    // The JS SDK stamps whole milliseconds: a stream created in the millisecond it is collected in.
    const sameMs = mapper.map([buildPoint({ temporality: AGGREGATION_TEMPORALITY.delta, startNs, timeNs: startNs })]);
    expect(intervalOf(sameMs.outcomes[0])).toMatchObject({ time: '2026-11-25T12:00:01.000Z', intervalMs: 1 });
    const backwards = mapper.map([
      buildPoint({ temporality: AGGREGATION_TEMPORALITY.delta, startNs, timeNs: startNs - 1n }),
    ]);
    expect(backwards.outcomes[0]?.kind).toBe('rejected');
    const delta = mapper.map([
      buildPoint({ temporality: AGGREGATION_TEMPORALITY.delta, startNs, timeNs: startNs + 300_000n }),
    ]);
    expect(intervalOf(delta.outcomes[0])).toMatchObject({ time: '2026-11-25T12:00:01.000Z', intervalMs: 1 });
    mapAndCommit(mapper, [buildPoint({ startNs, timeNs: startNs + 200_000n })]);
    const next = mapAndCommit(mapper, [buildPoint({ startNs, timeNs: startNs + 400_000n, count: 3, sum: 310 })]);
    expect(intervalOf(next.outcomes[0])).toMatchObject({
      time: '2026-11-25T12:00:01.001Z',
      intervalMs: 1,
      requests: 1,
    });
  });

  it('gives two intervals of a stream that start in the same millisecond different eventIds', () => {
    const mapper = new OtlpIntervalMapper(OPTIONS);
    const startNs = ms(STARTED_AT_MS + 1_000);
    const delta = (from: bigint, to: bigint) =>
      intervalOf(
        mapper.map([buildPoint({ temporality: AGGREGATION_TEMPORALITY.delta, startNs: from, timeNs: to })]).outcomes[0],
      );
    const first = delta(startNs, startNs);
    const second = delta(startNs, startNs + 5_000_000n);
    expect(first.time).toBe(second.time);
    expect(first.eventId).not.toBe(second.eventId);
    expect(delta(startNs, startNs + 5_000_000n).eventId).toBe(second.eventId);
  });

  it('keeps streams apart by resource and attributes, with distinct eventIds', () => {
    const mapper = new OtlpIntervalMapper(OPTIONS);
    const a = buildPoint({ temporality: AGGREGATION_TEMPORALITY.delta });
    const b = buildPoint({ temporality: AGGREGATION_TEMPORALITY.delta }, { 'server.address': 'b' });
    const [ia, ib] = mapper.map([a, b]).outcomes;
    expect(intervalOf(ia).eventId).not.toBe(intervalOf(ib).eventId);
  });
});
