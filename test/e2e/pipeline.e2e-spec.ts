// The walking skeleton end to end: events posted to the producer are stored by the
// processor and read back from the query API; invalid messages end in the DLQ.
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import path from 'node:path';
import { DLQ_HEADERS, type GpuSample, type TokenUsageEvent } from '@tokenmeter/contracts';
import { buildGpuSample, buildTokenUsageEvent } from '@tokenmeter/contracts/testing/factories';
import { hashApiKey } from '@tokenmeter/telemetry';
import { Kafka, logLevel } from 'kafkajs';
import type { Page } from '@tokenmeter/contracts/query-api';
import { serverEnv, runId } from '../support/env';
import { expectEventually } from '../support/eventually';
import { portBlock, type RunningService, startService, stopService } from '../support/services';
import { dropDatabase } from '../support/mongo-test-utils';

const id = runId();
const topics = { tokens: `e2e-${id}.tokens`, gpu: `e2e-${id}.gpu`, dlq: `e2e-${id}.dlq` };
const dbName = `tm_e2e_${id}`;
const { kafkaBrokers, mongoUrl } = serverEnv();
const ports = portBlock();
const logDir = path.resolve(__dirname, '..', '..', '.local', 'test-logs', `e2e-${id}`);

const env = {
  KAFKA_BROKERS: kafkaBrokers,
  MONGO_URL: mongoUrl,
  MONGO_DB: dbName,
  KAFKA_TOPIC_TOKENS: topics.tokens,
  KAFKA_TOPIC_GPU: topics.gpu,
  KAFKA_TOPIC_DLQ: topics.dlq,
  KAFKA_TOPIC_PARTITIONS: '3',
  PROCESSOR_GROUP_PREFIX: `e2e-${id}`,
  LOG_LEVEL: 'info',
};

const kafka = new Kafka({ clientId: `e2e-${id}`, brokers: kafkaBrokers.split(','), logLevel: logLevel.NOTHING });
let services: RunningService[] = [];
let producerUrl = '';
let queryUrl = '';
let securedUrl = '';
const TENANT_KEY = `tm_e2e_${randomUUID()}`;
const ADMIN_KEY = `tm_e2e_${randomUUID()}`;

function mediaType(res: Response): string {
  return (res.headers.get('content-type') ?? '').split(';')[0] ?? '';
}

async function post(pathname: string, body: string, contentType = 'application/json') {
  const res = await fetch(`${producerUrl}${pathname}`, {
    method: 'POST',
    headers: { 'content-type': contentType },
    body,
  });
  const text = await res.text();
  return {
    status: res.status,
    contentType: res.headers.get('content-type') ?? '',
    body: text.length > 0 ? (JSON.parse(text) as Record<string, unknown>) : {},
  };
}

/** Sends raw HTTP/1.1 bytes and returns everything the server answers until it closes. */
function rawRequest(baseUrl: string, request: string): Promise<string> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) }, () => socket.write(request));
    const chunks: Buffer[] = [];
    socket.setTimeout(10_000, () => socket.destroy(new Error('no answer within 10 s')));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

async function listAll<T>(kind: 'tokens' | 'gpus', fromIso: string, toIso: string): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 100; page += 1) {
    const params = new URLSearchParams({ from: fromIso, to: toIso, limit: '300' });
    if (cursor !== null) params.set('cursor', cursor);
    const res = await fetch(`${queryUrl}/v1/events/${kind}?${params.toString()}`);
    if (res.status !== 200) throw new Error(`listing ${kind} answered ${res.status}: ${await res.text()}`);
    const body = (await res.json()) as Page<T>;
    items.push(...body.items);
    cursor = body.nextCursor;
    if (cursor === null) return items;
  }
  throw new Error('more than 100 pages');
}

beforeAll(async () => {
  // The processor first: it creates the topics and joins its groups from the beginning.
  const processor = await startService('processor', ports.processor, env, logDir);
  const queryApi = await startService('query-api', ports.queryApi, env, logDir);
  const producer = await startService('producer', ports.producer, env, logDir);
  // A second query API with API keys: one scoped to tenant-1, one for every tenant.
  const secured = await startService(
    'query-api',
    ports.queryApi + 5,
    { ...env, API_KEYS: `sha256:${hashApiKey(TENANT_KEY)}=tenant-1; sha256:${hashApiKey(ADMIN_KEY)}=*` },
    path.join(logDir, 'secured'),
  );
  services = [producer, processor, queryApi, secured];
  producerUrl = producer.baseUrl;
  queryUrl = queryApi.baseUrl;
  securedUrl = secured.baseUrl;
});

afterAll(async () => {
  await dropDatabase(mongoUrl, dbName).catch(() => undefined);
});

describe('pipeline', () => {
  const startMs = Date.now();
  const tokens: TokenUsageEvent[] = Array.from({ length: 1000 }, (_, i) =>
    buildTokenUsageEvent({
      eventId: randomUUID(),
      tenant: `tenant-${i % 3}`,
      model: i % 2 === 0 ? 'llama-3.1-8b' : 'qwen2.5-72b',
      node: `node-${i % 5}`,
      inputTokens: 100 + i,
      outputTokens: 10 + (i % 50),
      time: new Date(startMs - 60_000 + i * 10).toISOString(),
    }),
  );
  const gpus: GpuSample[] = Array.from({ length: 200 }, (_, i) =>
    buildGpuSample({
      eventId: randomUUID(),
      node: `node-${i % 5}`,
      gpuIndex: i % 8,
      time: new Date(startMs - 60_000 + i * 50).toISOString(),
    }),
  );
  // Ten invalid events of each kind, each wrong in a different way.
  const invalidTokens: unknown[] = [
    { ...tokens[0], eventId: randomUUID(), inputTokens: -1 },
    { ...tokens[0], eventId: randomUUID(), outputTokens: 1.5 },
    { ...tokens[0], eventId: randomUUID(), model: { $gt: '' } },
    { ...tokens[0], eventId: randomUUID(), surprise: true },
    { ...tokens[0], eventId: randomUUID(), status: 'maybe' },
    { ...tokens[0], eventId: randomUUID(), time: 'yesterday' },
    { ...tokens[0], eventId: randomUUID(), time: new Date(startMs + 3_600_000).toISOString() },
    { ...tokens[0], eventId: randomUUID(), ttftMs: 5_000, durationMs: 100 },
    { ...tokens[0], eventId: 'has spaces' },
    { ...tokens[0], eventId: randomUUID(), attributes: { 'bad.key': 'x' } },
  ];
  const invalidGpus: unknown[] = [
    { ...gpus[0], eventId: randomUUID(), utilizationPct: 140 },
    { ...gpus[0], eventId: randomUUID(), memoryUsedMiB: 90_000, memoryTotalMiB: 80_000 },
    { ...gpus[0], eventId: randomUUID(), temperatureC: 400 },
    { ...gpus[0], eventId: randomUUID(), gpuIndex: 'zero' },
    { ...gpus[0], eventId: randomUUID(), node: '' },
    { ...gpus[0], eventId: randomUUID(), $where: '1' },
    { ...gpus[0], eventId: randomUUID(), powerW: -5 },
    { ...gpus[0], eventId: randomUUID(), node: 'a\u0007b' },
    { ...gpus[0], eventId: randomUUID(), extra: 1 },
    { ...gpus[0], eventId: randomUUID(), time: '2026-02-30T00:00:00Z' },
  ];

  it('accepts valid events, reports every invalid one, and stores each distinct event once', async () => {
    // Tokens as JSON arrays of 250, with the invalid ones mixed into the first request.
    const firstBatch = [...invalidTokens, ...tokens.slice(0, 250)];
    const first = await post('/v1/tokens', JSON.stringify(firstBatch));
    expect(first.status).toBe(202);
    expect(first.body.accepted).toBe(250);
    const rejected = first.body.rejected as { index: number; errors: { path: string; message: string }[] }[];
    expect(rejected.map((r) => r.index)).toEqual(invalidTokens.map((_, i) => i));
    expect(rejected.every((r) => r.errors.length > 0 && r.errors.every((e) => e.path.startsWith('$')))).toBe(true);
    for (let offset = 250; offset < 1000; offset += 250) {
      const res = await post('/v1/tokens', JSON.stringify(tokens.slice(offset, offset + 250)));
      expect(res).toMatchObject({ status: 202, body: { accepted: 250, rejected: [] } });
    }

    // GPU samples as NDJSON, invalid lines mixed in.
    const ndjson = [...gpus, ...invalidGpus].map((g) => JSON.stringify(g)).join('\n');
    const gpuRes = await post('/v1/gpus', ndjson, 'application/x-ndjson');
    expect(gpuRes.status).toBe(202);
    expect(gpuRes.body.accepted).toBe(200);
    expect((gpuRes.body.rejected as { index: number }[]).map((r) => r.index)).toEqual(
      invalidGpus.map((_, i) => 200 + i),
    );

    // 50 events sent twice: 40 token events one by one, 10 GPU samples as an array.
    for (const event of tokens.slice(100, 140)) {
      expect((await post('/v1/tokens', JSON.stringify(event))).status).toBe(202);
    }
    expect((await post('/v1/gpus', JSON.stringify(gpus.slice(0, 10)))).body.accepted).toBe(10);

    // A producer that skips validation writes the 20 invalid events straight to Kafka.
    const rogue = kafka.producer();
    await rogue.connect();
    await rogue.send({
      topic: topics.tokens,
      acks: -1,
      messages: invalidTokens.map((e) => ({ key: 'rogue', value: JSON.stringify(e) })),
    });
    await rogue.send({
      topic: topics.gpu,
      acks: -1,
      messages: invalidGpus.map((e) => ({ key: 'rogue', value: JSON.stringify(e) })),
    });
    await rogue.disconnect();

    const fromIso = new Date(startMs - 120_000).toISOString();
    const toIso = new Date(startMs + 120_000).toISOString();
    const storedTokens = await expectEventually(
      async () => {
        const items = await listAll<TokenUsageEvent>('tokens', fromIso, toIso);
        expect(items).toHaveLength(1000);
        return items;
      },
      { timeoutMs: 120_000, intervalMs: 500, description: '1,000 token events queryable' },
    );
    const storedGpus = await expectEventually(
      async () => {
        const items = await listAll<GpuSample>('gpus', fromIso, toIso);
        expect(items).toHaveLength(200);
        return items;
      },
      { timeoutMs: 120_000, intervalMs: 500, description: '200 GPU samples queryable' },
    );
    expect(new Set(storedTokens.map((e) => e.eventId))).toEqual(new Set(tokens.map((e) => e.eventId)));
    expect(new Set(storedGpus.map((e) => e.eventId))).toEqual(new Set(gpus.map((e) => e.eventId)));
    // Stored exactly as posted (the contract shape comes back).
    expect(storedTokens.find((e) => e.eventId === tokens[7]?.eventId)).toEqual(tokens[7]);

    const one = await fetch(`${queryUrl}/v1/events/tokens/${tokens[3]?.eventId}`);
    expect(one.status).toBe(200);
    expect(await one.json()).toEqual(tokens[3]);
  });

  it('sends exactly the 20 invalid messages to the DLQ with Kafka Connect-style error headers', async () => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      // Wait until the processor has committed everything it was given, then count the DLQ.
      await expectEventually(
        async () => {
          for (const topic of [topics.tokens, topics.gpu]) {
            const end = await admin.fetchTopicOffsets(topic);
            const [committed] = await admin.fetchOffsets({ groupId: `e2e-${id}.${topic}`, topics: [topic] });
            for (const p of end) {
              const c = committed?.partitions.find((x) => x.partition === p.partition);
              expect({ topic, partition: p.partition, committed: c?.offset }).toEqual({
                topic,
                partition: p.partition,
                committed: p.high,
              });
            }
          }
        },
        { timeoutMs: 60_000, description: 'processor committed both topics to their end' },
      );
      const dlqEnd = await admin.fetchTopicOffsets(topics.dlq);
      expect(dlqEnd.reduce((sum, p) => sum + Number(p.high), 0)).toBe(20);
    } finally {
      await admin.disconnect();
    }

    const letters: { value: string; headers: Record<string, string> }[] = [];
    const consumer = kafka.consumer({ groupId: `e2e-${id}-dlq-reader` });
    await consumer.connect();
    await consumer.subscribe({ topic: topics.dlq, fromBeginning: true });
    await consumer.run({
      eachMessage: ({ message }) => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = String(v);
        letters.push({ value: message.value?.toString('utf8') ?? '', headers });
        return Promise.resolve();
      },
    });
    try {
      await expectEventually(() => Promise.resolve(expect(letters).toHaveLength(20)), {
        timeoutMs: 60_000,
        description: '20 DLQ messages read',
      });
    } finally {
      await consumer.disconnect();
    }
    const expectedValues = new Set([...invalidTokens, ...invalidGpus].map((e) => JSON.stringify(e)));
    expect(new Set(letters.map((l) => l.value))).toEqual(expectedValues);
    for (const letter of letters) {
      expect([topics.tokens, topics.gpu]).toContain(letter.headers[DLQ_HEADERS.originalTopic]);
      expect(letter.headers[DLQ_HEADERS.originalOffset]).toMatch(/^\d+$/);
      expect(letter.headers[DLQ_HEADERS.originalPartition]).toMatch(/^\d+$/);
      expect(letter.headers[DLQ_HEADERS.errorClass]).toBe('tokenmeter.ContractViolation');
      expect(letter.headers[DLQ_HEADERS.errorMessage]).toMatch(/\$/);
    }
  });

  it('answers garbage with 4xx problem+json and keeps serving', async () => {
    const big = `[${'"x",'.repeat(2_600_000)}"x"]`; // ~10 MB
    const cases: { name: string; path: string; body: string; type?: string; status: number }[] = [
      { name: 'not JSON', path: '/v1/tokens', body: '{"eventId": nope', status: 400 },
      {
        name: 'wrong types',
        path: '/v1/tokens',
        body: JSON.stringify({ ...tokens[0], inputTokens: 'many' }),
        status: 400,
      },
      {
        name: 'operator value',
        path: '/v1/gpus',
        body: JSON.stringify({ ...gpus[0], node: { $gt: '' } }),
        status: 400,
      },
      { name: 'unknown field', path: '/v1/gpus', body: JSON.stringify({ ...gpus[0], color: 'red' }), status: 400 },
      { name: 'operator key', path: '/v1/tokens', body: JSON.stringify({ $set: { inputTokens: 1 } }), status: 400 },
      { name: 'a JSON string', path: '/v1/tokens', body: '"hello"', status: 400 },
      { name: 'empty array', path: '/v1/tokens', body: '[]', status: 400 },
      { name: 'empty body', path: '/v1/tokens', body: '', status: 400 },
      { name: 'all NDJSON lines bad', path: '/v1/tokens', body: 'a\nb\n', type: 'application/x-ndjson', status: 400 },
      { name: 'wrong media type', path: '/v1/tokens', body: 'hello', type: 'text/plain', status: 415 },
      { name: 'unknown route', path: '/v1/nothing', body: '{}', status: 404 },
    ];
    for (const c of cases) {
      const res = await fetch(`${producerUrl}${c.path}`, {
        method: 'POST',
        headers: { 'content-type': c.type ?? 'application/json' },
        body: c.body,
      });
      const body = (await res.json()) as { status?: number; title?: string };
      expect({ name: c.name, status: res.status, type: mediaType(res), problemStatus: body.status }).toEqual({
        name: c.name,
        status: c.status,
        type: 'application/problem+json',
        problemStatus: c.status,
      });
    }
    // A body over the limit is refused from its Content-Length, before it is read, and Fastify
    // then closes the connection rather than read what it refuses. A client still uploading may
    // therefore see the connection reset (EPIPE) instead of the answer: inherent to HTTP/1.1.
    // A request that declares the size and waits reads the answer every time.
    const declared = await rawRequest(
      producerUrl,
      `POST /v1/tokens HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${big.length}\r\n\r\n`,
    );
    expect(declared.split('\r\n')[0]).toBe('HTTP/1.1 413 Payload Too Large');
    expect(declared).toMatch(/^content-type: application\/problem\+json/im);
    expect(declared).toContain('"status":413');
    const upload = await fetch(`${producerUrl}/v1/tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: big,
    }).then(
      (res) => res.status,
      (error: unknown) => (error as { cause?: { code?: string } }).cause?.code ?? String(error),
    );
    expect([413, 'EPIPE', 'ECONNRESET']).toContain(upload);

    const queries = [
      '/v1/events/tokens?bogus=1',
      '/v1/events/tokens?model[$ne]=x',
      '/v1/events/tokens?model=a&model=b',
      '/v1/events/tokens?from=yesterday',
      '/v1/events/tokens?limit=0',
      '/v1/events/tokens?limit=1001',
      '/v1/events/tokens?cursor=eyJub3QiOiJhIGN1cnNvciJ9',
      '/v1/events/tokens?cursor=%24%24%24',
      '/v1/events/gpus?gpuIndex=-1',
      '/v1/events/tokens?from=2026-11-25T10:00:00Z&to=2026-11-25T09:00:00Z',
      '/v1/events/tokens/has%20space',
    ];
    for (const q of queries) {
      const res = await fetch(`${queryUrl}${q}`);
      expect({ q, status: res.status, type: mediaType(res) }).toEqual({
        q,
        status: 400,
        type: 'application/problem+json',
      });
    }
    const missing = await fetch(`${queryUrl}/v1/events/tokens/no-such-event`);
    expect(missing.status).toBe(404);

    for (const s of services) {
      expect((await fetch(`${s.baseUrl}/health/ready`)).status).toBe(200);
    }
  });

  it('requires an API key where keys are configured and keeps each key to its tenants', async () => {
    const get = (pathname: string, key?: string) =>
      fetch(`${securedUrl}${pathname}`, key === undefined ? {} : { headers: { authorization: `Bearer ${key}` } });
    const range = `from=${encodeURIComponent(new Date(startMs - 120_000).toISOString())}&to=${encodeURIComponent(new Date(startMs + 120_000).toISOString())}`;

    const anonymous = await get(`/v1/events/tokens?${range}`);
    expect([anonymous.status, mediaType(anonymous), anonymous.headers.get('www-authenticate')]).toEqual([
      401,
      'application/problem+json',
      'Bearer realm="tokenmeter"',
    ]);
    expect((await get(`/v1/events/tokens?${range}`, `${TENANT_KEY}x`)).status).toBe(401);
    expect((await get('/health/ready')).status).toBe(200);
    expect((await get('/metrics')).status).toBe(200);

    // The scoped key sees exactly tenant-1's events, through listing and lookup.
    const scoped: TokenUsageEvent[] = [];
    let cursor: string | null = null;
    do {
      const res = await get(
        `/v1/events/tokens?${range}&limit=1000${cursor === null ? '' : `&cursor=${cursor}`}`,
        TENANT_KEY,
      );
      expect(res.status).toBe(200);
      const body = (await res.json()) as Page<TokenUsageEvent>;
      scoped.push(...body.items);
      cursor = body.nextCursor;
    } while (cursor !== null);
    const expected = tokens
      .filter((t) => t.tenant === 'tenant-1')
      .map((t) => t.eventId)
      .sort();
    expect(scoped.map((t) => t.eventId).sort()).toEqual(expected);
    expect((await get(`/v1/events/tokens?${range}&tenant=tenant-0`, TENANT_KEY)).status).toBe(403);
    const other = tokens.find((t) => t.tenant === 'tenant-0');
    expect((await get(`/v1/events/tokens/${other?.eventId}`, TENANT_KEY)).status).toBe(404);
    expect((await get(`/v1/events/tokens/${other?.eventId}`, ADMIN_KEY)).status).toBe(200);
    // GPU samples in this dataset carry no tenant: shared fleet data is for all-tenant keys.
    const gpuScoped = (await (await get(`/v1/events/gpus?${range}`, TENANT_KEY)).json()) as { items: unknown[] };
    expect(gpuScoped.items).toEqual([]);
    const gpuAdmin = (await (await get(`/v1/events/gpus?${range}&limit=5`, ADMIN_KEY)).json()) as { items: unknown[] };
    expect(gpuAdmin.items).toHaveLength(5);
  });

  it('follows an ingest request by its traceparent from the producer log to the processor log', async () => {
    /** The JSON log lines of a service that carry this traceparent. */
    const linesOf = (name: string, traceparent: string) =>
      readFileSync(services.find((s) => s.name === name)?.logFile ?? '', 'utf8')
        .split('\n')
        .filter((line) => line.includes(traceparent))
        .map((line) => JSON.parse(line) as Record<string, unknown>);
    const event = (): TokenUsageEvent =>
      buildTokenUsageEvent({ eventId: randomUUID(), time: new Date(Date.now() - 1_000).toISOString() });

    // The caller's trace is kept; a request without one gets a fresh trace, returned in the response.
    const callerTrace = `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01`;
    const withTrace = await fetch(`${producerUrl}/v1/tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', traceparent: callerTrace },
      body: JSON.stringify([event(), event(), event()]),
    });
    expect(withTrace.status).toBe(202);
    expect(withTrace.headers.get('traceparent')).toBe(callerTrace);
    const withoutTrace = await fetch(`${producerUrl}/v1/tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([event(), event()]),
    });
    expect(withoutTrace.status).toBe(202);
    const startedTrace = withoutTrace.headers.get('traceparent') ?? '';
    expect(startedTrace).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);

    for (const [traceparent, events] of [
      [callerTrace, 3],
      [startedTrace, 2],
    ] as const) {
      // Producer: the access line and the publish line.
      const producerLines = await expectEventually(() => {
        const lines = linesOf('producer', traceparent);
        expect(lines.map((l) => l.msg)).toEqual(expect.arrayContaining(['events published', 'request completed']));
        return lines;
      });
      expect(producerLines.find((l) => l.msg === 'events published')).toMatchObject({ accepted: events });
      expect(producerLines.find((l) => l.msg === 'request completed')).toMatchObject({ res: { statusCode: 202 } });
      // Processor: the storage line(s), which together account for every event of the request.
      await expectEventually(() => {
        const stored = linesOf('processor', traceparent).filter((l) => l.msg === 'events stored');
        expect(stored.length).toBeGreaterThan(0);
        expect(stored.every((l) => l.topic === topics.tokens && l.traceparent === traceparent)).toBe(true);
        expect(stored.reduce((sum, l) => sum + Number(l.stored), 0)).toBe(events);
      });
    }
  });

  it('shuts every service down gracefully on SIGTERM', async () => {
    const codes = await Promise.all(services.map((s) => stopService(s)));
    expect(codes).toEqual([0, 0, 0, 0]);
  });
});
