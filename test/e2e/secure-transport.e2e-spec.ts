// Transport security end to end (issue 8): a broker of its own with a SASL_SSL listener
// (SCRAM-SHA-512 over TLS) and a FerretDB of its own with a TLS listener and SCRAM
// authentication, both from scripts/dev on ports of this file's block. The three services talk
// to them only over those listeners; events posted to the producer come back from the query API.
// Then wrong credentials and a CA that did not sign the servers' certificates must stop a
// service at boot within seconds, with one line that names the failure and no secret.
import { execFile } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { buildGpuSample, buildTokenUsageEvent, buildTokenUsageInterval } from '@tokenmeter/contracts/testing/factories';
import { runId } from '../support/env';
import { expectEventually } from '../support/eventually';
import { runServerScript } from '../support/local-servers';
import {
  type ExitedService,
  portBlock,
  type RunningService,
  runUntilExit,
  startService,
  stopService,
} from '../support/services';

const ROOT = path.resolve(__dirname, '..', '..');
const id = runId();
const stateDir = path.join(ROOT, '.local', 'test-secure', id);
const logDir = path.join(ROOT, '.local', 'test-logs', `e2e-secure-${id}`);
const ports = portBlock();
// This file's block of ten ports: services at +0..+2, its own servers at +3..+7.
const serverPorts = {
  kafka: ports.producer + 3,
  controller: ports.producer + 4,
  saslSsl: ports.producer + 5,
  ferretdb: ports.producer + 6,
  ferretdbTls: ports.producer + 7,
};
/**
 * A boot that hangs instead of failing is killed after this and fails the test (exit code null).
 * Not a speed limit: the specific failure line proves the fail-fast path; durations are printed.
 */
const HANG_DEADLINE_MS = 45_000;

const kafkaServerEnv = {
  KAFKA_STATE_DIR: path.join(stateDir, 'kafka'),
  DEV_TLS_DIR: path.join(stateDir, 'tls'),
  KAFKA_PORT: String(serverPorts.kafka),
  KAFKA_CONTROLLER_PORT: String(serverPorts.controller),
  KAFKA_SASL_SSL_PORT: String(serverPorts.saslSsl),
  KAFKA_HEAP_OPTS: '-Xms64m -Xmx256m',
};
const ferretdbServerEnv = {
  FERRETDB_STATE_DIR: path.join(stateDir, 'ferretdb'),
  DEV_TLS_DIR: path.join(stateDir, 'tls'),
  FERRETDB_PORT: String(serverPorts.ferretdb),
  FERRETDB_DEBUG_PORT: '-',
  FERRETDB_TLS_PORT: String(serverPorts.ferretdbTls),
  FERRETDB_AUTH: '1',
};

/** `VAR=value` lines of a client settings file the server scripts write. */
function readEnvFile(file: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const match = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (match?.[1] !== undefined && match[2] !== undefined) vars[match[1]] = match[2];
  }
  return vars;
}

async function startServer(server: 'kafka' | 'ferretdb', env: Record<string, string>): Promise<void> {
  for (const command of ['start', 'wait'] as const) {
    const result = await runServerScript(server, command, env, 180_000);
    if (result.code !== 0) throw new Error(`${server}.sh ${command} failed (${result.code}):\n${result.output}`);
  }
}

const services: RunningService[] = [];
let env: Record<string, string> = {};
let secrets: { kafkaPassword: string; mongoPassword: string; apiKey: string } = {
  kafkaPassword: '',
  mongoPassword: '',
  apiKey: '',
};
let untrustedCa = '';
const timings: Record<string, number> = {};

beforeAll(async () => {
  const t0 = Date.now();
  // The servers' CA and, for the negative cases, a second CA that signed nothing they serve.
  untrustedCa = path.join(stateDir, 'other-tls', 'ca.pem');
  await promisify(execFile)(path.join(ROOT, 'scripts', 'dev', 'certs.sh'), [path.dirname(untrustedCa)]);
  await promisify(execFile)(path.join(ROOT, 'scripts', 'dev', 'certs.sh'), [kafkaServerEnv.DEV_TLS_DIR]);
  await Promise.all([startServer('kafka', kafkaServerEnv), startServer('ferretdb', ferretdbServerEnv)]);
  timings.serversUpMs = Date.now() - t0;

  const kafka = readEnvFile(path.join(kafkaServerEnv.KAFKA_STATE_DIR, 'sasl-ssl.env'));
  const mongo = readEnvFile(path.join(ferretdbServerEnv.FERRETDB_STATE_DIR, 'tls.env'));
  secrets = {
    kafkaPassword: readFileSync(kafka.KAFKA_SASL_PASSWORD_FILE ?? '', 'utf8').trim(),
    mongoPassword: readFileSync(mongo.MONGO_PASSWORD_FILE ?? '', 'utf8').trim(),
    apiKey: `key-${randomUUID()}`,
  };
  env = {
    ...kafka,
    ...mongo,
    // One key for every tenant; the services hold only its hash.
    API_KEYS: `sha256:${createHash('sha256').update(secrets.apiKey).digest('hex')}=*`,
    KAFKA_TOPIC_PARTITIONS: '2',
    PROCESSOR_GROUP_PREFIX: `e2e-secure-${id}`,
    LOG_LEVEL: 'info',
  };
  // Only the secured listeners: the plaintext ones of these servers are never given to a service.
  expect(env.KAFKA_BROKERS).toBe(`127.0.0.1:${serverPorts.saslSsl}`);
  expect(env.MONGO_URL).toBe(`mongodb://127.0.0.1:${serverPorts.ferretdbTls}/tokenmeter`);

  const t1 = Date.now();
  // The processor first: it creates the topics. Each one is kept as soon as it runs, so that
  // afterAll stops it even when a later one fails to start.
  for (const [name, port] of [
    ['processor', ports.processor],
    ['query-api', ports.queryApi],
    ['producer', ports.producer],
  ] as const) {
    services.push(await startService(name, port, env, logDir));
  }
  timings.servicesUpMs = Date.now() - t1;
}, 300_000);

afterAll(async () => {
  await Promise.all(services.map((s) => stopService(s)));
  await Promise.all([
    runServerScript('kafka', 'stop', kafkaServerEnv, 60_000),
    runServerScript('ferretdb', 'stop', ferretdbServerEnv, 60_000),
  ]);
  rmSync(stateDir, { recursive: true, force: true });
  process.stderr.write(`secure-transport timings (ms): ${JSON.stringify(timings)}\n`);
}, 120_000);

/** The failure line a service printed, after asserting it exited by itself and leaked nothing. */
function expectFastBootFailure(result: ExitedService, leaked: readonly string[]): string {
  expect(result.code).not.toBeNull();
  expect(result.code).not.toBe(0);
  for (const secret of leaked) expect(result.output).not.toContain(secret);
  const line = result.output.split('\n').find((l) => l.includes('failed to start:'));
  if (line === undefined) throw new Error(`no "failed to start" line in:\n${result.output}`);
  return line;
}

function authorized(): Record<string, string> {
  return { authorization: `Bearer ${secrets.apiKey}` };
}

describe('secure transport', () => {
  it('stores events posted over SASL_SSL Kafka and TLS MongoDB, and reads them back', async () => {
    const t0 = Date.now();
    const events = Array.from({ length: 50 }, (_, i) =>
      buildTokenUsageEvent({
        eventId: randomUUID(),
        tenant: `secure-${id}`,
        time: new Date(t0 - 60_000 + i * 100).toISOString(),
      }),
    );
    const producer = services.find((s) => s.name === 'producer');
    const queryApi = services.find((s) => s.name === 'query-api');
    if (producer === undefined || queryApi === undefined) throw new Error('services did not start');
    const res = await fetch(`${producer.baseUrl}/v1/tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...authorized() },
      body: JSON.stringify(events),
    });
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ accepted: events.length, rejected: [] });

    const params = new URLSearchParams({
      from: new Date(t0 - 120_000).toISOString(),
      to: new Date(t0 + 60_000).toISOString(),
      limit: '1000',
    });
    await expectEventually(
      async () => {
        const list = await fetch(`${queryApi.baseUrl}/v1/events/tokens?${params.toString()}`, {
          headers: authorized(),
        });
        expect(list.status).toBe(200);
        const body = (await list.json()) as { items: { eventId: string }[] };
        expect(new Set(body.items.map((e) => e.eventId))).toEqual(new Set(events.map((e) => e.eventId)));
      },
      { timeoutMs: 60_000, description: 'all posted events readable from the query API' },
    );
    const first = events[0];
    if (first === undefined) throw new Error('no events');
    const one = await fetch(`${queryApi.baseUrl}/v1/events/tokens/${first.eventId}`, { headers: authorized() });
    expect(one.status).toBe(200);
    expect(await one.json()).toMatchObject({ eventId: first.eventId, inputTokens: first.inputTokens });
    timings.postToReadMs = Date.now() - t0;
  }, 120_000);

  it('leaks no secret through any endpoint, error path, /metrics, the OpenAPI document or the logs', async () => {
    const byName = (name: string) => {
      const service = services.find((s) => s.name === name);
      if (service === undefined) throw new Error(`${name} did not start`);
      return service.baseUrl;
    };
    const producer = byName('producer');
    const queryApi = byName('query-api');
    const processor = byName('processor');
    const wrongKey = { authorization: `Bearer ${secrets.apiKey}x` };
    const json = { 'content-type': 'application/json' };
    const now = Date.now();
    const range = `from=${new Date(now - 3_600_000).toISOString()}&to=${new Date(now).toISOString()}`;
    const seen: string[] = [];
    const call = async (url: string, init: RequestInit, expected: number) => {
      const res = await fetch(url, init);
      const body = await res.text();
      seen.push(`${init.method ?? 'GET'} ${url} -> ${res.status}\n${JSON.stringify([...res.headers])}\n${body}`);
      expect({ url, status: res.status }).toEqual({ url, status: expected });
      // Hardened responses on every route and error (issue 8 item 4).
      expect({
        url,
        nosniff: res.headers.get('x-content-type-options'),
        poweredBy: res.headers.get('x-powered-by'),
      }).toEqual({ url, nosniff: 'nosniff', poweredBy: null });
      // Errors are problem+json without stack traces or internals.
      if (res.status >= 400 && body !== '') {
        expect(body).not.toMatch(/\bat .+:\d+:\d+|node_modules|Error:/);
      }
    };
    const event = buildTokenUsageEvent({ eventId: randomUUID(), tenant: `leak-${id}` });
    const interval = buildTokenUsageInterval({ eventId: randomUUID(), tenant: `leak-${id}` });
    const gpu = buildGpuSample({ eventId: randomUUID() });
    const post = (body: string, headers: Record<string, string> = { ...json, ...authorized() }) => ({
      method: 'POST',
      headers,
      body,
    });

    // Producer: every route, accepted and refused.
    await call(`${producer}/v1/tokens`, post(JSON.stringify([event])), 202);
    await call(`${producer}/v1/tokens/intervals`, post(JSON.stringify([interval])), 202);
    await call(`${producer}/v1/gpus`, post(JSON.stringify([gpu])), 202);
    await call(`${producer}/v1/tokens`, post(JSON.stringify([event]), json), 401);
    await call(`${producer}/v1/tokens`, post(JSON.stringify([event]), { ...json, ...wrongKey }), 401);
    await call(`${producer}/v1/tokens`, post('{not json', { ...json, ...authorized() }), 400);
    await call(`${producer}/v1/tokens`, post('<xml/>', { 'content-type': 'application/xml', ...authorized() }), 415);
    await call(`${producer}/v1/nowhere`, post('[]'), 404);
    await call(`${producer}/v1/tokens`, { method: 'GET', headers: authorized() }, 404);

    // Query API: every route of its OpenAPI document, answered and refused.
    const withRange = [
      '/v1/events/tokens',
      '/v1/events/token-intervals',
      '/v1/events/gpus',
      '/v1/tokens/series',
      '/v1/tokens/totals',
      '/v1/gpus/series',
      '/v1/efficiency',
    ];
    // /v1/gpus is the fleet's current state: no time range.
    for (const [route, query] of [...withRange.map((r) => [r, range] as const), ['/v1/gpus', 'node=n'] as const]) {
      await call(`${queryApi}${route}?${query}`, { headers: authorized() }, 200);
      await call(`${queryApi}${route}?${query}`, { headers: wrongKey }, 401);
      await call(`${queryApi}${route}?from=yesterday`, { headers: authorized() }, 400);
    }
    await call(`${queryApi}/v1/events/tokens/${event.eventId}x`, { headers: authorized() }, 404);
    await call(`${queryApi}/v1/events/tokens/${'%00'.repeat(3)}`, { headers: authorized() }, 400);
    await call(`${queryApi}/openapi.json`, {}, 200);
    await call(`${queryApi}/docs`, {}, 200);

    // A request head beyond HTTP_MAX_HEADER_BYTES (16 KiB) is refused by the HTTP parser itself.
    const huge = await fetch(`${queryApi}/v1/gpus`, { headers: { ...authorized(), 'x-filler': 'a'.repeat(20_000) } });
    expect(huge.status).toBe(431);
    // CORS is off: a browser page elsewhere gets no permission to read.
    const cross = await fetch(`${queryApi}/v1/gpus`, {
      headers: { ...authorized(), origin: 'https://elsewhere.example' },
    });
    expect(cross.headers.get('access-control-allow-origin')).toBeNull();

    // Health and metrics of all three.
    for (const base of [producer, processor, queryApi]) {
      await call(`${base}/health/live`, {}, 200);
      await call(`${base}/health/ready`, {}, 200);
      await call(`${base}/metrics`, {}, 200);
    }

    const logs = services.map((service) => readFileSync(service.logFile, 'utf8'));
    for (const log of logs) expect(log.length).toBeGreaterThan(0);
    // The requests above, refused ones included, are in the access logs (which carry no headers).
    expect(logs.join('\n')).toMatch(/"path":"\/v1\/tokens"\},"res":\{"statusCode":401/);
    expect(logs.join('\n')).toMatch(/"path":"\/v1\/efficiency"\},"res":\{"statusCode":400/);
    const everything = [...seen, ...logs].join('\n');
    for (const [name, secret] of Object.entries(secrets)) {
      expect({ name, leaked: everything.includes(secret) }).toEqual({ name, leaked: false });
    }
  }, 120_000);

  it('stops the producer at boot when Kafka refuses the password', async () => {
    const wrong = `wrong-${randomUUID()}`;
    const wrongFile = path.join(stateDir, 'wrong-kafka-password');
    writeFileSync(wrongFile, wrong, { mode: 0o600 });
    const result = await runUntilExit(
      'producer',
      ports.producer + 8,
      { ...env, KAFKA_SASL_PASSWORD_FILE: wrongFile },
      HANG_DEADLINE_MS,
    );
    timings.wrongKafkaPasswordExitMs = result.durationMs;
    const line = expectFastBootFailure(result, [wrong, secrets.kafkaPassword]);
    expect(line).toMatch(/KAFKA_AUTHENTICATION: Kafka refused the SASL credentials .*as user "tokenmeter"/);
  }, 60_000);

  it('stops the processor at boot when the Kafka brokers certificate is signed by an untrusted CA', async () => {
    const result = await runUntilExit(
      'processor',
      ports.producer + 8,
      { ...env, KAFKA_TLS_CA_FILE: untrustedCa },
      HANG_DEADLINE_MS,
    );
    timings.untrustedKafkaCaExitMs = result.durationMs;
    const line = expectFastBootFailure(result, [secrets.kafkaPassword, secrets.mongoPassword]);
    expect(line).toMatch(/KAFKA_TLS: the TLS handshake with the Kafka brokers failed: .*certificate/);
  }, 60_000);

  it('stops the query API at boot when the MongoDB server certificate is signed by an untrusted CA', async () => {
    const result = await runUntilExit(
      'query-api',
      ports.producer + 9,
      { ...env, MONGO_TLS_CA_FILE: untrustedCa },
      HANG_DEADLINE_MS,
    );
    timings.untrustedMongoCaExitMs = result.durationMs;
    const line = expectFastBootFailure(result, [secrets.mongoPassword]);
    expect(line).toMatch(/MONGO_TLS: the TLS handshake with MongoDB failed: .*certificate/);
  }, 60_000);

  it('stops the query API at boot when MongoDB refuses the password', async () => {
    const wrong = `wrong-${randomUUID()}`;
    const result = await runUntilExit(
      'query-api',
      ports.producer + 9,
      { ...env, MONGO_PASSWORD_FILE: '', MONGO_PASSWORD: wrong },
      HANG_DEADLINE_MS,
    );
    timings.wrongMongoPasswordExitMs = result.durationMs;
    const line = expectFastBootFailure(result, [wrong, secrets.mongoPassword]);
    expect(line).toMatch(/MONGO_AUTHENTICATION: MongoDB refused the credentials/);
  }, 60_000);

  it('stops a service at boot with a config error naming the variable when a file is missing', async () => {
    const result = await runUntilExit(
      'query-api',
      ports.producer + 9,
      { ...env, MONGO_TLS_CA_FILE: path.join(stateDir, 'no-such-ca.pem') },
      HANG_DEADLINE_MS,
    );
    const line = expectFastBootFailure(result, [secrets.mongoPassword]);
    expect(line).toContain('Invalid configuration');
    expect(result.output).toMatch(/MONGO_TLS_CA_FILE names a file that cannot be read \(ENOENT\)/);
    expect(result.output).not.toContain('no-such-ca.pem');
  }, 60_000);
});
