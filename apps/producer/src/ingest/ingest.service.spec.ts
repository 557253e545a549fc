import { HEADERS, tokenSeriesKey } from '@tokenmeter/contracts';
import { buildGpuSample, buildTokenUsageEvent, buildTokenUsageInterval } from '@tokenmeter/contracts/testing/factories';
import { FixedClock, domainErrorOfAsync } from '@tokenmeter/telemetry/testing';
import { ProducerConfig } from '../config';
import { type EventPublisher, type OutgoingMessage, PublishError } from '../kafka/event-publisher';
import { IngestService } from './ingest.service';

const NOW = Date.parse('2026-11-25T12:00:00.000Z');
const TRACE = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

class FakePublisher {
  readonly sent: { topic: string; messages: OutgoingMessage[] }[] = [];
  failWith: Error | undefined;

  publish(topic: string, messages: OutgoingMessage[]): Promise<void> {
    if (this.failWith) return Promise.reject(this.failWith);
    this.sent.push({ topic, messages });
    return Promise.resolve();
  }
}

function setup() {
  const config = ProducerConfig.fromEnv({ KAFKA_BROKERS: '127.0.0.1:9092', PRODUCER_RETRY_AFTER_S: '7' });
  const publisher = new FakePublisher();
  const service = new IngestService(config, publisher as unknown as EventPublisher, new FixedClock(NOW));
  return { service, publisher };
}

describe('IngestService', () => {
  it('publishes valid events with series keys and headers, and reports the invalid ones', async () => {
    const { service, publisher } = setup();
    const good = buildTokenUsageEvent({ tenant: undefined }, { nowMs: NOW });
    const result = await service.ingest(
      'tokens',
      [
        { ok: true, value: good },
        { ok: true, value: { ...good, inputTokens: -1 } },
        { ok: false, message: 'line 3 is not valid JSON' },
      ],
      TRACE,
    );
    expect(result.accepted).toBe(1);
    expect(result.rejected.map((r) => r.index)).toEqual([1, 2]);
    expect(result.rejected[0]?.errors[0]?.path).toBe('$.inputTokens');
    expect(publisher.sent).toHaveLength(1);
    const [message] = publisher.sent[0]?.messages ?? [];
    expect(publisher.sent[0]?.topic).toBe('telemetry.tokens.v1');
    // The tenant default is applied before keying, so the key matches the stored series.
    expect(message?.key).toBe(tokenSeriesKey({ ...good, tenant: 'default' }));
    expect(JSON.parse(message?.value ?? '{}')).toMatchObject({ eventId: good.eventId, tenant: 'default' });
    expect(message?.headers).toEqual({
      [HEADERS.schema]: 'tokens.v1',
      [HEADERS.contentType]: 'application/json',
      [HEADERS.traceparent]: TRACE,
      [HEADERS.ingestedAt]: '2026-11-25T12:00:00.000Z',
    });
  });

  it('answers 400 naming every error when nothing is valid, and publishes nothing', async () => {
    const { service, publisher } = setup();
    const problem = await domainErrorOfAsync(
      service.ingest(
        'gpu',
        [{ ok: true, value: { ...buildGpuSample({}, { nowMs: NOW }), powerW: -1, extra: 1 } }],
        TRACE,
      ),
    );
    expect(problem.code).toBe('ingest.no-valid-events');
    expect(problem.extras.errors?.map((e) => e.path).sort()).toEqual(['$[0].extra', '$[0].powerW']);
    expect(publisher.sent).toEqual([]);
  });

  it('says Kafka is unavailable, with when to retry, when Kafka cannot take the events', async () => {
    const { service, publisher } = setup();
    publisher.failWith = new PublishError('broker down');
    const problem = await domainErrorOfAsync(
      service.ingest('gpu', [{ ok: true, value: buildGpuSample({}, { nowMs: NOW }) }], TRACE),
    );
    expect(problem.code).toBe('ingest.kafka-unavailable');
    expect(problem.extras.retryAfterSeconds).toBe(7);
  });

  it('lets unexpected publisher errors through as 500s', async () => {
    const { service, publisher } = setup();
    publisher.failWith = new TypeError('bug');
    await expect(
      service.ingest('gpu', [{ ok: true, value: buildGpuSample({}, { nowMs: NOW }) }], TRACE),
    ).rejects.toThrow(TypeError);
  });

  it('publishes scraped intervals to the tokens topic, keyed like requests of the same series', async () => {
    const { service, publisher } = setup();
    const interval = buildTokenUsageInterval({}, { nowMs: NOW });
    const result = await service.ingest('tokenIntervals', [{ ok: true, value: interval }], TRACE);
    expect(result).toEqual({ accepted: 1, rejected: [] });
    const [message] = publisher.sent[0]?.messages ?? [];
    expect(publisher.sent[0]?.topic).toBe('telemetry.tokens.v1');
    expect(message?.key).toBe(tokenSeriesKey(interval));
    expect(message?.headers[HEADERS.schema]).toBe('tokens-interval.v1');
  });

  it('rejects events of tenants the API key may not write, and GPU telemetry from tenant-bound keys', async () => {
    const { service, publisher } = setup();
    const acmeOnly = { keyId: 'k1', tenants: new Set(['acme']) };
    const result = await service.ingest(
      'tokens',
      [
        { ok: true, value: buildTokenUsageEvent({ tenant: 'acme' }, { nowMs: NOW }) },
        { ok: true, value: buildTokenUsageEvent({ tenant: 'globex' }, { nowMs: NOW }) },
      ],
      TRACE,
      acmeOnly,
    );
    expect(result.accepted).toBe(1);
    expect(result.rejected).toEqual([
      { index: 1, errors: [{ path: '$.tenant', message: 'this API key may not write tenant "globex"' }] },
    ]);
    expect(publisher.sent[0]?.messages).toHaveLength(1);
    const gpu = await domainErrorOfAsync(
      service.ingest('gpu', [{ ok: true, value: buildGpuSample({}, { nowMs: NOW }) }], TRACE, acmeOnly),
    );
    expect(gpu.code).toBe('ingest.fleet-key-required');
  });
});
