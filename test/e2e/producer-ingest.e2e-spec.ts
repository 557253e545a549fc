// The producer's hardened ingest path against the real Kafka: API keys (the query API's
// scheme), tenant scope per event, GPU telemetry only for all-tenant keys, the per-key rate
// limit, and streamed NDJSON within the body and event limits.
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { buildGpuSample, buildTokenUsageEvent } from '@tokenmeter/contracts/testing/factories';
import { hashApiKey } from '@tokenmeter/telemetry';
import { runId, serverEnv } from '../support/env';
import { portBlock, type RunningService, startService, stopService } from '../support/services';

const id = runId();
const { kafkaBrokers } = serverEnv();
const ACME_KEY = `tm_ingest_${randomUUID()}`;
const FLEET_KEY = `tm_ingest_${randomUUID()}`;
let producer: RunningService;

beforeAll(async () => {
  producer = await startService(
    'producer',
    portBlock().producer,
    {
      KAFKA_BROKERS: kafkaBrokers,
      KAFKA_TOPIC_TOKENS: `e2e-${id}.ingest.tokens`,
      KAFKA_TOPIC_GPU: `e2e-${id}.ingest.gpu`,
      KAFKA_TOPIC_DLQ: `e2e-${id}.ingest.dlq`,
      KAFKA_TOPIC_PARTITIONS: '1',
      API_KEYS: `sha256:${hashApiKey(ACME_KEY)}=acme; sha256:${hashApiKey(FLEET_KEY)}=*`,
      PRODUCER_RATE_LIMIT_PER_MINUTE: '8',
      PRODUCER_MAX_EVENTS_PER_REQUEST: '50',
      PRODUCER_BODY_LIMIT_BYTES: '65536',
    },
    path.resolve(__dirname, '..', '..', '.local', 'test-logs', `e2e-ingest-${id}`),
  );
});

afterAll(async () => {
  await stopService(producer);
});

async function post(pathname: string, body: string, key?: string, contentType = 'application/x-ndjson') {
  const res = await fetch(`${producer.baseUrl}${pathname}`, {
    method: 'POST',
    headers: { 'content-type': contentType, ...(key === undefined ? {} : { authorization: `Bearer ${key}` }) },
    body,
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
}

const ndjson = (events: unknown[]) => events.map((e) => JSON.stringify(e)).join('\n');

// One budget of 8 requests per key per minute across these tests: count them.
describe('producer ingest with API keys', () => {
  it('refuses requests without a valid key (401) and keeps health and metrics open', async () => {
    const event = buildTokenUsageEvent({ tenant: 'acme' });
    expect((await post('/v1/tokens', ndjson([event]))).status).toBe(401);
    expect((await post('/v1/tokens', ndjson([event]), 'not-a-key')).status).toBe(401);
    expect((await fetch(`${producer.baseUrl}/health/ready`)).status).toBe(200);
    expect((await fetch(`${producer.baseUrl}/metrics`)).status).toBe(200);
  });

  it('accepts a tenant key’s own events and rejects other tenants’ per event', async () => {
    const ok = buildTokenUsageEvent({ tenant: 'acme' });
    const other = buildTokenUsageEvent({ tenant: 'globex' });
    const res = await post('/v1/tokens', ndjson([ok, other]), ACME_KEY);
    expect(res.status).toBe(202);
    expect(res.body).toEqual({
      accepted: 1,
      rejected: [{ index: 1, errors: [{ path: '$.tenant', message: 'this API key may not write tenant "globex"' }] }],
    });
  });

  it('lets only an all-tenant key write GPU telemetry', async () => {
    const sample = ndjson([buildGpuSample()]);
    const forbidden = await post('/v1/gpus', sample, ACME_KEY);
    expect({ status: forbidden.status, type: forbidden.body.type }).toEqual({
      status: 403,
      type: 'urn:tokenmeter:problem:ingest.fleet-key-required',
    });
    expect((await post('/v1/gpus', sample, FLEET_KEY)).body).toMatchObject({ accepted: 1 });
  });

  it('streams NDJSON within the limits: too many events or bytes is 413, a bad line rejects only itself', async () => {
    const tooMany = Array.from({ length: 51 }, () => buildTokenUsageEvent({ tenant: 'acme' }));
    const tooManyAnswer = await post('/v1/tokens', ndjson(tooMany), FLEET_KEY);
    expect({ status: tooManyAnswer.status, type: tooManyAnswer.body.type }).toEqual({
      status: 413,
      type: 'urn:tokenmeter:problem:ingest.too-many-events',
    });
    const mixed = `${JSON.stringify(buildTokenUsageEvent({ tenant: 'acme' }))}\n{not json\n`;
    expect((await post('/v1/tokens', mixed, FLEET_KEY)).body).toEqual({
      accepted: 1,
      rejected: [{ index: 1, errors: [{ path: '$', message: 'line 2 is not valid JSON' }] }],
    });
    const huge = `${JSON.stringify(buildTokenUsageEvent({ tenant: 'acme' }))}\n${' '.repeat(70_000)}\n`;
    const hugeAnswer = await post('/v1/tokens', huge, FLEET_KEY);
    expect({ status: hugeAnswer.status, type: hugeAnswer.body.type }).toEqual({
      status: 413,
      type: 'urn:tokenmeter:problem:ingest.body-too-large',
    });
  });

  it('answers a request without one valid event with a problem typed by what went wrong, naming each error', async () => {
    const res = await post('/v1/tokens', ndjson([{ tenant: 'acme' }]), FLEET_KEY);
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toBe('application/problem+json; charset=utf-8');
    expect(res.body).toMatchObject({
      type: 'urn:tokenmeter:problem:ingest.no-valid-events',
      title: 'No event of the request is valid',
      status: 400,
      detail: 'None of the 1 events is valid.',
    });
    expect((res.body.errors as { path: string }[]).map((e) => e.path)).toContain('$[0].eventId');
  });

  it('answers 429 with Retry-After once a key used its requests per minute', async () => {
    // ACME_KEY has used 2 of its 8 requests above (a 401 is refused before it is counted).
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 7; i += 1) {
      const res = await post('/v1/tokens', ndjson([buildTokenUsageEvent({ tenant: 'acme' })]), ACME_KEY);
      statuses.push(res.status);
      if (res.status === 429) retryAfter = res.headers.get('retry-after');
    }
    expect(statuses).toEqual([202, 202, 202, 202, 202, 202, 429]);
    expect(Number(retryAfter)).toBeGreaterThan(0);
  });
});
