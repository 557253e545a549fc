// The OTLP routes over HTTP (Fastify inject) with the real guard, parsers, mapping and
// IngestService; only Kafka is a fake that records what it was given.
import { gzipSync } from 'node:zlib';
import { Test } from '@nestjs/testing';
import { APP_GUARD } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { ApiKeyGuard, ApiKeys, Clock, hashApiKey, ProblemDetailsFilter } from '@tokenmeter/telemetry';
import { FixedClock } from '@tokenmeter/telemetry/testing';
import { ProducerConfig } from '../config';
import { EventPublisher, type OutgoingMessage, PublishError } from '../kafka/event-publisher';
import { IngestService } from '../ingest/ingest.service';
import { otlpType, RPC_STATUS_TYPE } from './otlp-codec';
import { installOtlpBodyParsing } from './otlp-http';
import { OtlpController } from './otlp.controller';
import { OtlpService } from './otlp.service';

const NOW = Date.parse('2026-11-25T12:00:00.000Z');
const ACME_KEY = 'acme-secret';
const FLEET_KEY = 'fleet-secret';

class FakePublisher {
  readonly sent: OutgoingMessage[] = [];
  failWith: Error | undefined;

  publish(_topic: string, messages: OutgoingMessage[]): Promise<void> {
    if (this.failWith) return Promise.reject(this.failWith);
    this.sent.push(...messages);
    return Promise.resolve();
  }
}

async function startApp() {
  const config = ProducerConfig.fromEnv({
    KAFKA_BROKERS: '127.0.0.1:9092',
    API_KEYS: `sha256:${hashApiKey(ACME_KEY)}=acme;sha256:${hashApiKey(FLEET_KEY)}=*`,
    PRODUCER_BODY_LIMIT_BYTES: '65536',
    PRODUCER_RETRY_AFTER_S: '7',
  });
  const publisher = new FakePublisher();
  const moduleRef = await Test.createTestingModule({
    controllers: [OtlpController],
    providers: [
      OtlpService,
      IngestService,
      { provide: ProducerConfig, useValue: config },
      { provide: EventPublisher, useValue: publisher },
      { provide: Clock, useValue: new FixedClock(NOW) },
      { provide: ApiKeys, useValue: new ApiKeys(config.apiKeys) },
      { provide: APP_GUARD, useClass: ApiKeyGuard },
    ],
  }).compile();
  const app = moduleRef.createNestApplication<NestFastifyApplication>(
    new FastifyAdapter({ bodyLimit: config.http.bodyLimitBytes }),
    { bodyParser: false },
  );
  app.useGlobalFilters(new ProblemDetailsFilter());
  const fastify = app.getHttpAdapter().getInstance();
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => done(null, body));
  installOtlpBodyParsing(fastify);
  await app.init();
  await fastify.ready();
  return { app, fastify, publisher };
}

type App = Awaited<ReturnType<typeof startApp>>;

function usageSpan(spanId: string, attributes: Record<string, string | number> = {}) {
  const attrs = Object.entries({
    'gen_ai.request.model': 'llama',
    'gen_ai.usage.input_tokens': 10,
    'gen_ai.usage.output_tokens': 5,
    ...attributes,
  }).map(([key, value]) => ({
    key,
    value: typeof value === 'number' ? { intValue: String(value) } : { stringValue: value },
  }));
  return {
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId,
    startTimeUnixNano: String(BigInt(NOW - 2_000) * 1_000_000n),
    endTimeUnixNano: String(BigInt(NOW - 1_000) * 1_000_000n),
    attributes: attrs,
  };
}

function tracesRequest(spans: unknown[]) {
  return { resourceSpans: [{ resource: { attributes: [] }, scopeSpans: [{ spans }] }] };
}

const TRACE_TYPE = otlpType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest');
const TRACE_RESPONSE = otlpType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse');

describe('OTLP routes', () => {
  let ctx: App;

  beforeEach(async () => {
    ctx = await startApp();
  });

  afterEach(async () => {
    await ctx.app.close();
  });

  const post = (path: string, payload: string | Buffer, headers: Record<string, string>, key = FLEET_KEY) =>
    ctx.fastify.inject({ method: 'POST', url: path, payload, headers: { authorization: `Bearer ${key}`, ...headers } });

  it('takes OTLP JSON, answers an empty ExportTraceServiceResponse and publishes one event per usage span', async () => {
    const body = JSON.stringify(
      tracesRequest([usageSpan('b7ad6b7169203331'), { ...usageSpan('b7ad6b7169203332'), attributes: [] }]),
    );
    const res = await post('/v1/traces', body, { 'content-type': 'application/json' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('application/json');
    expect(JSON.parse(res.body)).toEqual({});
    expect(ctx.publisher.sent.map((m) => (JSON.parse(m.value) as { eventId: string }).eventId)).toEqual([
      'otel:0af7651916cd43dd8448eb211c80319c:b7ad6b7169203331',
    ]);
  });

  it('takes gzip-compressed protobuf and answers in protobuf with partial success for a rejected span', async () => {
    const request = TRACE_TYPE.fromObject({
      resourceSpans: [
        {
          scopeSpans: [
            {
              spans: [
                usageSpan('b7ad6b7169203331'),
                usageSpan('b7ad6b7169203332', { 'gen_ai.usage.input_tokens': 'x' }),
              ].map((s) => ({ ...s, traceId: Buffer.from(s.traceId, 'hex'), spanId: Buffer.from(s.spanId, 'hex') })),
            },
          ],
        },
      ],
    });
    const bytes = gzipSync(TRACE_TYPE.encode(request).finish());
    const res = await post('/v1/traces', bytes, {
      'content-type': 'application/x-protobuf',
      'content-encoding': 'gzip',
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/x-protobuf');
    const response = TRACE_RESPONSE.toObject(TRACE_RESPONSE.decode(res.rawPayload), { longs: Number });
    expect(response).toEqual({
      partialSuccess: {
        rejectedSpans: 1,
        errorMessage: '1 spans rejected: gen_ai.usage.input_tokens must be a non-negative integer, not "x"',
      },
    });
    expect(ctx.publisher.sent).toHaveLength(1);
  });

  it('answers 400 with a google.rpc.Status for an undecodable body, and publishes nothing', async () => {
    const truncated = TRACE_TYPE.encode(TRACE_TYPE.fromObject(tracesRequest([]))).finish();
    const res = await post('/v1/traces', Buffer.concat([Buffer.from(truncated), Buffer.from([0x0a, 0x20, 0x01])]), {
      'content-type': 'application/x-protobuf',
    });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toBe('application/x-protobuf');
    const status = RPC_STATUS_TYPE.toObject(RPC_STATUS_TYPE.decode(res.rawPayload)) as {
      code: number;
      message: string;
    };
    expect(status.code).toBe(3);
    expect(status.message).toContain('not a protobuf ExportTraceServiceRequest');
    const gzipBroken = await post('/v1/traces', Buffer.from('not gzip'), {
      'content-type': 'application/json',
      'content-encoding': 'gzip',
    });
    expect(gzipBroken.statusCode).toBe(400);
    const brotli = await post('/v1/traces', Buffer.from('{}'), {
      'content-type': 'application/json',
      'content-encoding': 'br',
    });
    expect(brotli.statusCode).toBe(415);
    const text = await post('/v1/traces', 'hello', { 'content-type': 'text/plain' });
    expect(text.statusCode).toBe(415);
    expect(ctx.publisher.sent).toEqual([]);
  });

  it('refuses a gzip body that inflates past the body limit with 413', async () => {
    const bomb = gzipSync(Buffer.alloc(1_000_000, 0x20));
    expect(bomb.length).toBeLessThan(65_536);
    const res = await post('/v1/traces', bomb, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
    expect(res.statusCode).toBe(413);
  });

  it('needs an API key, and a tenant key may only send its tenants', async () => {
    const body = JSON.stringify(
      tracesRequest([
        usageSpan('b7ad6b7169203331', { 'tokenmeter.tenant': 'acme' }),
        usageSpan('b7ad6b7169203332', { 'tokenmeter.tenant': 'globex' }),
        usageSpan('b7ad6b7169203333'),
      ]),
    );
    const anonymous = await ctx.fastify.inject({
      method: 'POST',
      url: '/v1/traces',
      payload: body,
      headers: { 'content-type': 'application/json' },
    });
    expect(anonymous.statusCode).toBe(401);
    expect(JSON.parse(anonymous.body)).toMatchObject({ code: 16 });
    const res = await post('/v1/traces', body, { 'content-type': 'application/json' }, ACME_KEY);
    expect(res.statusCode).toBe(200);
    const response = JSON.parse(res.body) as { partialSuccess: { rejectedSpans: string; errorMessage: string } };
    expect(response.partialSuccess.rejectedSpans).toBe('2');
    expect(response.partialSuccess.errorMessage).toContain('may not write tenant "globex"');
    expect(response.partialSuccess.errorMessage).toContain('may not write tenant "default"');
    expect(ctx.publisher.sent.map((m) => (JSON.parse(m.value) as { tenant: string }).tenant)).toEqual(['acme']);
  });

  it('answers 503 with Retry-After when Kafka cannot take the events, so exporters retry', async () => {
    ctx.publisher.failWith = new PublishError('broker down');
    const res = await post('/v1/traces', JSON.stringify(tracesRequest([usageSpan('b7ad6b7169203331')])), {
      'content-type': 'application/json',
    });
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('7');
    expect(JSON.parse(res.body)).toMatchObject({ code: 14 });
  });

  it('takes metrics: a delta token usage point becomes an interval, other points are ignored', async () => {
    const point = (type: string, sum: number, count: number) => ({
      attributes: [
        { key: 'gen_ai.token.type', value: { stringValue: type } },
        { key: 'gen_ai.request.model', value: { stringValue: 'llama' } },
      ],
      startTimeUnixNano: String(BigInt(NOW - 60_000) * 1_000_000n),
      timeUnixNano: String(BigInt(NOW - 45_000) * 1_000_000n),
      count: String(count),
      sum,
    });
    const body = JSON.stringify({
      resourceMetrics: [
        {
          resource: { attributes: [{ key: 'host.name', value: { stringValue: 'gpu-1' } }] },
          scopeMetrics: [
            {
              metrics: [
                {
                  name: 'gen_ai.client.token.usage',
                  histogram: {
                    aggregationTemporality: 1,
                    dataPoints: [point('input', 300, 3), point('output', 90, 3)],
                  },
                },
                { name: 'http.server.duration', sum: { dataPoints: [{ asInt: '1' }] } },
              ],
            },
          ],
        },
      ],
    });
    const res = await post('/v1/metrics', body, { 'content-type': 'application/json' });
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(res.body)).toEqual({});
    const intervals = ctx.publisher.sent.map((m) => JSON.parse(m.value) as Record<string, unknown>);
    expect(intervals).toEqual([
      expect.objectContaining({ source: 'otlp', node: 'gpu-1', requests: 3, inputTokens: 300, outputTokens: 0 }),
      expect.objectContaining({ source: 'otlp', node: 'gpu-1', requests: 0, inputTokens: 0, outputTokens: 90 }),
    ]);
    expect(ctx.publisher.sent[0]?.headers.schema).toBe('tokens-interval.v1');
  });
});
