import { gzipSync } from 'node:zlib';
import {
  JsonMetricsSerializer,
  JsonTraceSerializer,
  ProtobufMetricsSerializer,
  ProtobufTraceSerializer,
} from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { domainErrorOf } from '@tokenmeter/telemetry/testing';
import { OTLP_DESCRIPTOR } from './otlp-descriptor.generated';
import {
  decodeMetrics,
  decodeTraces,
  encodeExportResponse,
  encodeStatus,
  MAX_ATTRIBUTES_PER_ITEM,
  otlpType,
} from './otlp-codec';
import { loadOtlpProtoFiles } from './proto/load-proto-files';

const RESOURCE = resourceFromAttributes({ 'service.name': 'chat', 'host.name': 'gpu-node-1' });

/** Spans made and serialized by the real OpenTelemetry JS SDK. */
async function sdkSpans() {
  const exporter = new InMemorySpanExporter();
  const processor = new SimpleSpanProcessor({ exporter });
  const provider = new TracerProvider({ resource: RESOURCE, spanProcessors: [processor] });
  const tracer = provider.getTracer('test');
  const start = Date.parse('2026-11-25T12:00:00.000Z');
  const span = tracer.startSpan('chat llama', {
    startTime: start,
    attributes: {
      'gen_ai.request.model': 'llama-3.1-8b',
      'gen_ai.usage.input_tokens': 512,
      'gen_ai.usage.output_tokens': 128,
      'gen_ai.response.finish_reasons': ['stop'],
    },
  });
  span.end(start + 1450);
  tracer.startSpan('GET /health', { startTime: start }).end(start + 2);
  await processor.forceFlush();
  return { spans: exporter.getFinishedSpans(), traceId: span.spanContext().traceId, spanId: span.spanContext().spanId };
}

async function sdkMetrics() {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const provider = new MeterProvider({ resource: RESOURCE, readers: [reader] });
  const histogram = provider.getMeter('test').createHistogram('gen_ai.client.token.usage', { unit: '{token}' });
  histogram.record(100, { 'gen_ai.token.type': 'input', 'gen_ai.request.model': 'm' });
  histogram.record(40, { 'gen_ai.token.type': 'output', 'gen_ai.request.model': 'm' });
  provider.getMeter('test').createCounter('other').add(1);
  await reader.forceFlush();
  await provider.shutdown();
  return exporter.getMetrics();
}

describe('OTLP codec', () => {
  it('ships a descriptor equal to the vendored .proto files', () => {
    expect(JSON.parse(JSON.stringify(OTLP_DESCRIPTOR))).toEqual(loadOtlpProtoFiles().toJSON());
  });

  it.each(['protobuf', 'json'] as const)('decodes spans the SDK exports as %s', async (encoding) => {
    const { spans, traceId, spanId } = await sdkSpans();
    const serializer = encoding === 'protobuf' ? ProtobufTraceSerializer : JsonTraceSerializer;
    const bytes = Buffer.from(serializer.serializeRequest(spans) ?? new Uint8Array());
    const decoded = decodeTraces(encoding, encoding === 'json' ? bytes.toString('utf8') : bytes);
    expect(decoded.spans).toHaveLength(2);
    const chat = decoded.spans.find((s) => s.ok && s.value.spanId === spanId);
    expect(chat?.ok).toBe(true);
    if (chat?.ok !== true) return;
    expect(chat.value.traceId).toBe(traceId);
    expect(chat.value.endNs - chat.value.startNs).toBe(1_450_000_000n);
    expect(chat.value.attributes.get('gen_ai.usage.input_tokens')).toBe(512);
    expect(chat.value.attributes.get('gen_ai.response.finish_reasons')).toBe('stop');
    expect(chat.value.resource.get('host.name')).toBe('gpu-node-1');
  });

  it.each(['protobuf', 'json'] as const)('decodes histogram points the SDK exports as %s', async (encoding) => {
    const metrics = await sdkMetrics();
    const serializer = encoding === 'protobuf' ? ProtobufMetricsSerializer : JsonMetricsSerializer;
    const bytes = Buffer.from(serializer.serializeRequest(metrics[0]!) ?? new Uint8Array());
    const decoded = decodeMetrics(encoding, bytes);
    expect(decoded.otherPoints).toBe(1);
    const points = decoded.histogramPoints.flatMap((p) => (p.ok ? [p.value] : []));
    expect(points.map((p) => [p.attributes.get('gen_ai.token.type'), p.sum, p.count, p.temporality]).sort()).toEqual([
      ['input', 100, 1, 2],
      ['output', 40, 1, 2],
    ]);
    expect(points[0]?.startNs).toBeGreaterThan(0n);
  });

  it('answers 400 for truncated protobuf, non-JSON and a body that is not a request', async () => {
    const { spans } = await sdkSpans();
    const bytes = Buffer.from(ProtobufTraceSerializer.serializeRequest(spans) ?? new Uint8Array());
    expect(domainErrorOf(() => decodeTraces('protobuf', bytes.subarray(0, bytes.length - 7))).code).toBe(
      'otlp.malformed',
    );
    expect(domainErrorOf(() => decodeTraces('protobuf', Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f]))).code).toBe(
      'otlp.malformed',
    );
    expect(domainErrorOf(() => decodeTraces('json', '{"resourceSpans":')).code).toBe('otlp.malformed');
    expect(domainErrorOf(() => decodeTraces('json', '[1,2]')).code).toBe('otlp.malformed');
    expect(domainErrorOf(() => decodeTraces('json', '{"resourceSpans":5}')).code).toBe('otlp.malformed');
    expect(domainErrorOf(() => decodeMetrics('json', '{"resourceMetrics":[{"scopeMetrics":"x"}]}')).code).toBe(
      'otlp.malformed',
    );
  });

  it('rejects a malformed span alone: wrong id, wrong attribute value type, too many attributes', () => {
    const good = {
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b7ad6b7169203331',
      startTimeUnixNano: '1764072000000000000',
      endTimeUnixNano: 1764072001000000000,
      attributes: [{ key: 'gen_ai.usage.input_tokens', value: { intValue: '5' } }],
    };
    const many = Array.from({ length: MAX_ATTRIBUTES_PER_ITEM + 1 }, (_, i) => ({
      key: `k${i}`,
      value: { stringValue: 'v' },
    }));
    const body = JSON.stringify({
      resourceSpans: [
        {
          scopeSpans: [
            {
              spans: [
                good,
                { ...good, traceId: 'xyz' },
                { ...good, attributes: [{ key: 'gen_ai.usage.input_tokens', value: { intValue: { $gt: 1 } } }] },
                { ...good, attributes: many },
                { ...good, startTimeUnixNano: -1 },
                'not a span',
              ],
            },
          ],
        },
      ],
    });
    const { spans } = decodeTraces('json', body);
    expect(spans.map((s) => (s.ok ? 'ok' : s.message))).toEqual([
      'ok',
      'traceId is not a valid 16-byte id',
      'span attribute "gen_ai.usage.input_tokens" has an invalid value',
      `span has ${MAX_ATTRIBUTES_PER_ITEM + 1} attributes, more than the ${MAX_ATTRIBUTES_PER_ITEM} accepted`,
      'startTimeUnixNano is not an unsigned 64-bit integer',
      'span is not an object',
    ]);
    const [first] = spans;
    expect(first?.ok && first.value.attributes.get('gen_ai.usage.input_tokens')).toBe(5);
  });

  it('rejects every span of a resource with too many attributes', () => {
    const attributes = Array.from({ length: MAX_ATTRIBUTES_PER_ITEM + 1 }, (_, i) => ({ key: `k${i}`, value: {} }));
    const { spans } = decodeTraces(
      'json',
      JSON.stringify({ resourceSpans: [{ resource: { attributes }, scopeSpans: [{ spans: [{}, {}] }] }] }),
    );
    expect(spans.map((s) => s.ok)).toEqual([false, false]);
  });

  it('encodes partial success and google.rpc.Status in the request encoding', () => {
    const response = otlpType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse');
    const encoded = encodeExportResponse('traces', 'protobuf', 2, 'two bad');
    const decoded = response.toObject(response.decode(encoded as Buffer), { longs: Number });
    expect(decoded).toEqual({ partialSuccess: { rejectedSpans: 2, errorMessage: 'two bad' } });
    expect(JSON.parse(encodeExportResponse('metrics', 'json', 1, 'bad') as string)).toEqual({
      partialSuccess: { rejectedDataPoints: '1', errorMessage: 'bad' },
    });
    expect(encodeExportResponse('traces', 'json', 0, '')).toBe('{}');
    expect((encodeExportResponse('metrics', 'protobuf', 0, '') as Buffer).length).toBe(0);
    expect(JSON.parse(encodeStatus('json', 503, 'Kafka down') as string)).toEqual({ code: 14, message: 'Kafka down' });
    // field 1 varint 3 (INVALID_ARGUMENT), field 2 "x"
    expect([...(encodeStatus('protobuf', 400, 'x') as Buffer)]).toEqual([0x08, 3, 0x12, 1, 0x78]);
  });

  it('decodes gzip only where the HTTP layer inflated it (a gzip body here is undecodable)', async () => {
    const { spans } = await sdkSpans();
    const bytes = Buffer.from(ProtobufTraceSerializer.serializeRequest(spans) ?? new Uint8Array());
    expect(domainErrorOf(() => decodeTraces('protobuf', gzipSync(bytes))).code).toBe('otlp.malformed');
  });
});
