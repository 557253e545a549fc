// OpenTelemetry ingest end to end: the real OpenTelemetry JS SDK exports spans and
// gen_ai.client.token.usage histograms with its OTLP/HTTP protobuf and JSON exporters to the
// producer; the processor stores them and the query API's totals are exact, a retried export
// (the same batch sent twice) included.
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { AggregationTemporalityPreference } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as OTLPMetricExporterJson } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as OTLPMetricExporterProto } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPTraceExporter as OTLPTraceExporterJson } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OTLPTraceExporterProto } from '@opentelemetry/exporter-trace-otlp-proto';
import { CompressionAlgorithm } from '@opentelemetry/otlp-exporter-base';
import { SpanStatusCode } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, MetricReader, type PushMetricExporter, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import {
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
  type SpanExporter,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { hashApiKey } from '@tokenmeter/telemetry';
import { runId, serverEnv } from '../support/env';
import { expectEventually } from '../support/eventually';
import { portBlock, type RunningService, startService, stopService } from '../support/services';
import { dropDatabase } from '../support/mongo-test-utils';

const id = runId();
const { kafkaBrokers, mongoUrl } = serverEnv();
const ports = portBlock();
const logDir = path.resolve(__dirname, '..', '..', '.local', 'test-logs', `e2e-otlp-${id}`);
const tenant = `otel-${id}`;
const node = `otel-node-${id}`;
const FLEET_KEY = `tm_otlp_${randomUUID()}`;
const TENANT_KEY = `tm_otlp_${randomUUID()}`;
const env = {
  KAFKA_BROKERS: kafkaBrokers,
  MONGO_URL: mongoUrl,
  MONGO_DB: `tm_e2e_otlp_${id}`,
  KAFKA_TOPIC_TOKENS: `e2e-${id}.otlp.tokens`,
  KAFKA_TOPIC_GPU: `e2e-${id}.otlp.gpu`,
  KAFKA_TOPIC_DLQ: `e2e-${id}.otlp.dlq`,
  KAFKA_TOPIC_PARTITIONS: '2',
  PROCESSOR_GROUP_PREFIX: `e2e-otlp-${id}`,
};
const services: RunningService[] = [];
let producerUrl = '';
let queryUrl = '';

beforeAll(async () => {
  services.push(await startService('processor', ports.processor, env, logDir));
  services.push(await startService('query-api', ports.queryApi, env, logDir));
  const producer = await startService(
    'producer',
    ports.producer,
    { ...env, API_KEYS: `sha256:${hashApiKey(FLEET_KEY)}=*; sha256:${hashApiKey(TENANT_KEY)}=${tenant}` },
    logDir,
  );
  services.push(producer);
  producerUrl = producer.baseUrl;
  queryUrl = services[1]?.baseUrl ?? '';
});

afterAll(async () => {
  await Promise.all(services.map((s) => stopService(s)));
  await dropDatabase(mongoUrl, env.MONGO_DB).catch(() => undefined);
});

const RESOURCE = () =>
  resourceFromAttributes({ 'service.name': 'otel-e2e', 'host.name': node, 'tokenmeter.tenant': tenant });

/** Exports through an SDK exporter and says whether the receiver took the batch. */
function exportSpans(exporter: SpanExporter, spans: ReadableSpan[]): Promise<void> {
  return new Promise((resolve, reject) =>
    exporter.export(spans, (result) =>
      result.code === ExportResultCode.SUCCESS
        ? resolve()
        : reject(result.error ?? new Error(`export failed with code ${result.code}`)),
    ),
  );
}

function exportMetrics(exporter: PushMetricExporter, metrics: ResourceMetrics): Promise<void> {
  return new Promise((resolve, reject) =>
    exporter.export(metrics, (result) =>
      result.code === ExportResultCode.SUCCESS
        ? resolve()
        : reject(result.error ?? new Error(`export failed with code ${result.code}`)),
    ),
  );
}

/** Spans recorded by the SDK, kept for exporting them ourselves (and once more, as a retry). */
async function recordSpans(model: string, count: number, tokens: (i: number) => [number, number], failEvery = 0) {
  const memory = new InMemorySpanExporter();
  const processor = new SimpleSpanProcessor({ exporter: memory });
  const provider = new TracerProvider({ resource: RESOURCE(), spanProcessors: [processor] });
  const tracer = provider.getTracer('otel-e2e');
  for (let i = 0; i < count; i += 1) {
    const [input, output] = tokens(i);
    const span = tracer.startSpan(`chat ${model}`, {
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.request.model': model,
        'gen_ai.response.model': model,
        'gen_ai.usage.input_tokens': input,
        'gen_ai.usage.output_tokens': output,
      },
    });
    if (failEvery > 0 && i % failEvery === 0) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
    // A span of the same service without usage: counted and ignored.
    tracer.startSpan('GET /health').end();
  }
  await processor.forceFlush();
  return memory.getFinishedSpans();
}

/** A MetricReader driven by the test: collect() when we say, exported by the exporter we pick. */
class ManualReader extends MetricReader {
  protected onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

function meterFor(exporter: OTLPMetricExporterJson | OTLPMetricExporterProto) {
  const reader = new ManualReader({
    aggregationTemporalitySelector: (type) => exporter.selectAggregationTemporality(type),
  });
  const provider = new MeterProvider({ resource: RESOURCE(), readers: [reader] });
  const usage = provider.getMeter('otel-e2e').createHistogram('gen_ai.client.token.usage', { unit: '{token}' });
  const record = (model: string, input: number, output: number) => {
    const attributes = { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': model };
    usage.record(input, { ...attributes, 'gen_ai.token.type': 'input' });
    usage.record(output, { ...attributes, 'gen_ai.token.type': 'output' });
  };
  const collect = async () => {
    const { resourceMetrics, errors } = await reader.collect();
    expect(errors).toEqual([]);
    return resourceMetrics;
  };
  return { record, collect };
}

interface TotalsRow {
  key: { model?: string };
  requests: number;
  errors: number;
  inputTokens: number;
  outputTokens: number;
}

async function totalsByModel(): Promise<(Omit<TotalsRow, 'key'> & { model: string | undefined })[]> {
  const params = new URLSearchParams({
    from: new Date(Date.now() - 3_600_000).toISOString(),
    to: new Date(Date.now() + 120_000).toISOString(),
    groupBy: 'model',
    tenant,
  });
  const res = await fetch(`${queryUrl}/v1/tokens/totals?${params.toString()}`);
  if (res.status !== 200) throw new Error(`totals answered ${res.status}: ${await res.text()}`);
  const body = (await res.json()) as { rows: TotalsRow[] };
  return body.rows
    .map((r) => ({
      model: r.key.model,
      requests: r.requests,
      errors: r.errors,
      inputTokens: r.inputTokens,
      outputTokens: r.outputTokens,
    }))
    .sort((a, b) => ((a.model ?? '') < (b.model ?? '') ? -1 : 1));
}

describe('OTLP ingest with the OpenTelemetry JS SDK', () => {
  it('stores spans and token usage histograms sent by the protobuf and JSON exporters, retries included, exactly once', async () => {
    const headers = { authorization: `Bearer ${FLEET_KEY}` };

    // Spans over protobuf with gzip: 20 requests, every fifth failed, sent twice (a retried export).
    const protoSpans = await recordSpans('otel-proto', 20, (i) => [100 + i, 10 + i], 5);
    const protoExporter = new OTLPTraceExporterProto({
      url: `${producerUrl}/v1/traces`,
      headers,
      compression: CompressionAlgorithm.GZIP,
    });
    await exportSpans(protoExporter, protoSpans);
    await exportSpans(protoExporter, protoSpans);

    // Spans over JSON: 10 requests, with a tenant-scoped key.
    const jsonSpans = await recordSpans('otel-json', 10, () => [7, 3]);
    const jsonExporter = new OTLPTraceExporterJson({
      url: `${producerUrl}/v1/traces`,
      headers: { authorization: `Bearer ${TENANT_KEY}` },
    });
    await exportSpans(jsonExporter, jsonSpans);

    // Cumulative histograms over protobuf: two collections, the first exported twice.
    const cumulativeExporter = new OTLPMetricExporterProto({
      url: `${producerUrl}/v1/metrics`,
      headers,
      temporalityPreference: AggregationTemporalityPreference.CUMULATIVE,
    });
    const cumulative = meterFor(cumulativeExporter);
    for (let i = 0; i < 3; i += 1) cumulative.record('otel-metric-cumulative', 100, 50);
    const firstCumulative = await cumulative.collect();
    await exportMetrics(cumulativeExporter, firstCumulative);
    await exportMetrics(cumulativeExporter, firstCumulative);
    for (let i = 0; i < 2; i += 1) cumulative.record('otel-metric-cumulative', 200, 20);
    await exportMetrics(cumulativeExporter, await cumulative.collect());
    // Nothing new: a cumulative export that repeats the totals adds nothing.
    await exportMetrics(cumulativeExporter, await cumulative.collect());

    // Delta histograms over JSON: two collections, the first exported twice.
    const deltaExporter = new OTLPMetricExporterJson({
      url: `${producerUrl}/v1/metrics`,
      headers,
      temporalityPreference: AggregationTemporalityPreference.DELTA,
    });
    const delta = meterFor(deltaExporter);
    delta.record('otel-metric-delta', 40, 8);
    delta.record('otel-metric-delta', 40, 8);
    const firstDelta = await delta.collect();
    await exportMetrics(deltaExporter, firstDelta);
    await exportMetrics(deltaExporter, firstDelta);
    delta.record('otel-metric-delta', 60, 8);
    await exportMetrics(deltaExporter, await delta.collect());

    const sum = (n: number, f: (i: number) => number) =>
      Array.from({ length: n }, (_, i) => f(i)).reduce((a, b) => a + b, 0);
    await expectEventually(
      async () =>
        expect(await totalsByModel()).toEqual([
          { model: 'otel-json', requests: 10, errors: 0, inputTokens: 70, outputTokens: 30 },
          { model: 'otel-metric-cumulative', requests: 5, errors: 0, inputTokens: 700, outputTokens: 190 },
          { model: 'otel-metric-delta', requests: 3, errors: 0, inputTokens: 140, outputTokens: 24 },
          {
            model: 'otel-proto',
            requests: 20,
            errors: 4,
            inputTokens: sum(20, (i) => 100 + i),
            outputTokens: sum(20, (i) => 10 + i),
          },
        ]),
      { timeoutMs: 60_000, description: 'OTLP totals in the query API' },
    );

    // What the producer made of each item (exporters hide partial success, so count it here):
    // spans twice for the retried export, metric points of the retry and of the idle collection
    // ignored, nothing rejected.
    const metrics = await (await fetch(`${producerUrl}/metrics`)).text();
    const items = (signal: string, outcome: string) =>
      Number(
        new RegExp(`^tokenmeter_otlp_items_total\\{signal="${signal}",outcome="${outcome}"\\} (\\d+)$`, 'm').exec(
          metrics,
        )?.[1] ?? 0,
      );
    expect({
      traces: [items('traces', 'accepted'), items('traces', 'ignored'), items('traces', 'rejected')],
      metrics: [items('metrics', 'accepted'), items('metrics', 'ignored'), items('metrics', 'rejected')],
    }).toEqual({ traces: [50, 50, 0], metrics: [10, 4, 0] });

    // A span is one raw event under its trace and span id, with the mapped fields.
    const span = protoSpans.find((s) => s.name === 'chat otel-proto');
    if (span === undefined) throw new Error('no chat span recorded');
    const eventId = `otel:${span.spanContext().traceId}:${span.spanContext().spanId}`;
    const res = await fetch(`${queryUrl}/v1/events/tokens/${eventId}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      eventId,
      model: 'otel-proto',
      tenant,
      node,
      inputTokens: 100,
      outputTokens: 10,
      status: 'error',
      attributes: { operation: 'chat', service: 'otel-e2e' },
    });
  });

  it('answers a tenant key sending another tenant’s spans with partial success, and stores none of them', async () => {
    const other = `other-${id}`;
    const memory = new InMemorySpanExporter();
    const processor = new SimpleSpanProcessor({ exporter: memory });
    const provider = new TracerProvider({
      resource: resourceFromAttributes({ 'host.name': node, 'tokenmeter.tenant': other }),
      spanProcessors: [processor],
    });
    provider
      .getTracer('otel-e2e')
      .startSpan('chat', { attributes: { 'gen_ai.request.model': 'm', 'gen_ai.usage.input_tokens': 1 } })
      .end();
    await processor.forceFlush();
    const [span] = memory.getFinishedSpans();
    if (span === undefined) throw new Error('no span recorded');
    const res = await fetch(`${producerUrl}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TENANT_KEY}` },
      body: JSON.stringify({
        resourceSpans: [
          {
            resource: { attributes: [{ key: 'tokenmeter.tenant', value: { stringValue: other } }] },
            scopeSpans: [
              {
                spans: [
                  {
                    traceId: span.spanContext().traceId,
                    spanId: span.spanContext().spanId,
                    startTimeUnixNano: String(Date.now() * 1e6),
                    endTimeUnixNano: String(Date.now() * 1e6),
                    attributes: [
                      { key: 'gen_ai.request.model', value: { stringValue: 'm' } },
                      { key: 'gen_ai.usage.input_tokens', value: { intValue: '1' } },
                    ],
                  },
                ],
              },
            ],
          },
        ],
      }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      partialSuccess: {
        rejectedSpans: '1',
        errorMessage: `1 spans rejected: tenant: this API key may not write tenant "${other}"`,
      },
    });
    const stored = await fetch(
      `${queryUrl}/v1/events/tokens/otel:${span.spanContext().traceId}:${span.spanContext().spanId}`,
    );
    expect(stored.status).toBe(404);
  });
});
