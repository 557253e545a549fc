// The query API end to end (issue 4): a known dataset posted through the producer, stored by
// the processor, and every rollup endpoint's numbers checked against values computed here from
// the raw events; tenant scoping through every endpoint; a corpus of hostile queries; rate
// limiting; the OpenAPI document served equals the committed one. Every answer is checked against
// the response schema the document shows (support/query-answers.ts).
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { type GpuSample, type TokenUsageEvent, TokenUsageEventSchema } from '@tokenmeter/contracts';
import { HISTOGRAM_MAX_RELATIVE_ERROR } from '@tokenmeter/storage';
import { buildGpuSample, buildTokenUsageEvent } from '@tokenmeter/contracts/testing/factories';
import { hashApiKey } from '@tokenmeter/telemetry';
import type { GpuPoint, GpuSeriesResponse, TokenSeriesResponse } from '@tokenmeter/contracts/query-api';
import { serverEnv, runId } from '../support/env';
import { expectEventually } from '../support/eventually';
import {
  close,
  exactNearestRank,
  expectedGpuBuckets,
  type ExpectedTokenBucket,
  expectedTokenBuckets,
  expectedTokenTotals,
  floorTo,
  maxOf,
  mean,
} from '../support/query-expectations';
import {
  getAnswer,
  problemViolations,
  QUERY_API_ANSWERS,
  type QueryApiPath,
  schemaViolations,
} from '../support/query-answers';
import { portBlock, type RunningService, startService, stopService } from '../support/services';
import { dropDatabase } from '../support/mongo-test-utils';

const id = runId();
const dbName = `tm_qe2e_${id}`;
const { kafkaBrokers, mongoUrl } = serverEnv();
const ports = portBlock();
const logDir = path.resolve(__dirname, '..', '..', '.local', 'test-logs', `query-e2e-${id}`);
const env = {
  KAFKA_BROKERS: kafkaBrokers,
  MONGO_URL: mongoUrl,
  MONGO_DB: dbName,
  KAFKA_TOPIC_TOKENS: `qe2e-${id}.tokens`,
  KAFKA_TOPIC_GPU: `qe2e-${id}.gpu`,
  KAFKA_TOPIC_DLQ: `qe2e-${id}.dlq`,
  KAFKA_TOPIC_PARTITIONS: '3',
  PROCESSOR_GROUP_PREFIX: `qe2e-${id}`,
  QUERY_RATE_LIMIT_PER_MINUTE: '0',
  LOG_LEVEL: 'info',
};

const HOUR = 3_600_000;
const MINUTE = 60_000;
const TENANT_KEY = `tm_qe2e_${randomUUID()}`;
const ADMIN_KEY = `tm_qe2e_${randomUUID()}`;
const BURST_KEY = `tm_qe2e_${randomUUID()}`;
const RATE_LIMIT = 40;

// The dataset: 2 h 50 min of traffic starting 7 minutes past a UTC hour, so ranges have whole
// hours (1h rollups) and partial ones (1m rollups).
const base = floorTo(Date.now() - 4 * HOUR, HOUR);
const spanMs = 2 * HOUR + 50 * MINUTE;
const dataFrom = base + 7 * MINUTE;
const TENANTS = ['tenant-a', 'tenant-b', 'tenant-c'];
const MODELS = ['llama-3.1-8b', 'qwen2.5-72b'];
const NODES = ['node-1', 'node-2'];

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1_664_525 + 1_013_904_223) >>> 0;
    return s / 2 ** 32;
  };
}
const random = seeded(20261126);

const tokens: TokenUsageEvent[] = Array.from({ length: 1_500 }, (_, i) => {
  const durationMs = Math.round((20 + random() * 20_000) * 1000) / 1000;
  const withTtft = random() < 0.9;
  const error = random() < 0.05;
  const inputTokens = 1 + Math.floor(random() * 8_000);
  return buildTokenUsageEvent({
    eventId: `qe2e-${id}-t${i}`,
    time: new Date(dataFrom + Math.floor(random() * spanMs)).toISOString(),
    tenant: TENANTS[i % 3] as string,
    model: MODELS[Math.floor(random() * 2)] as string,
    node: NODES[Math.floor(random() * 2)] as string,
    inputTokens,
    outputTokens: error ? 0 : 1 + Math.floor(random() * 2_000),
    ...(random() < 0.3 ? { cachedInputTokens: Math.floor(random() * inputTokens) } : {}),
    ...(withTtft ? { ttftMs: Math.round(durationMs * random() * 1000) / 1000 } : { ttftMs: undefined }),
    durationMs,
    status: error ? 'error' : 'ok',
  });
}).map((e) => JSON.parse(JSON.stringify(e)) as TokenUsageEvent);

// Two nodes x two GPUs, one sample every 30 s, energy counter rising with power. Some samples
// have no utilisation (gpu.v1: not measured, e.g. a MIG GPU on nvidia-smi): node-2's GPUs during
// the 15-minute bucket UNMEASURED_FROM, every 7th sample of node-1/0, and node-1/1's last one.
const UNMEASURED_FROM = base + 75 * MINUTE;
const gpus: GpuSample[] = [];
for (const node of NODES) {
  for (const gpuIndex of [0, 1]) {
    let energyJ = 1_000_000 + gpuIndex * 50_000;
    for (let t = dataFrom, k = 0; t < dataFrom + spanMs; t += 30_000, k += 1) {
      const utilizationPct = Math.round(random() * 1000) / 10;
      const powerW = Math.round((80 + utilizationPct * 6) * 10) / 10;
      energyJ += powerW * 30;
      const { utilizationPct: _measured, ...unmeasured } = buildGpuSample({
        eventId: `qe2e-${id}-g-${node}-${gpuIndex}-${t}`,
        time: new Date(t + 1_000).toISOString(),
        node,
        gpuIndex,
        memoryUsedMiB: 20_000 + Math.floor(random() * 40_000),
        powerW,
        temperatureC: 40 + Math.floor(random() * 40),
        energyJ: Math.round(energyJ * 10) / 10,
      });
      const measured =
        !(node === 'node-2' && t >= UNMEASURED_FROM && t < UNMEASURED_FROM + 15 * MINUTE) &&
        !(node === 'node-1' && gpuIndex === 0 && k % 7 === 3) &&
        !(node === 'node-1' && gpuIndex === 1 && t + 30_000 >= dataFrom + spanMs);
      gpus.push(measured ? { ...unmeasured, utilizationPct } : unmeasured);
    }
  }
}

let services: RunningService[] = [];
let producerUrl = '';
let openUrl = '';
let securedUrl = '';

interface Json {
  [key: string]: unknown;
}

async function get(url: string, key?: string): Promise<{ status: number; body: Json; headers: Headers }> {
  const res = await fetch(url, key === undefined ? {} : { headers: { authorization: `Bearer ${key}` } });
  const text = await res.text();
  let body: Json;
  try {
    body = text.length > 0 ? (JSON.parse(text) as Json) : {};
  } catch {
    body = { text };
  }
  return { status: res.status, body, headers: res.headers };
}

function getOk<P extends QueryApiPath>(pathname: P, params: Record<string, string>, url = openUrl, key?: string) {
  return getAnswer(url, pathname, params, key);
}

const iso = (ms: number) => new Date(ms).toISOString();

/** Within the documented histogram error of the exact nearest-rank percentile. */
function percentileOk(actual: unknown, values: number[], q: number): boolean {
  const exact = exactNearestRank(values, q);
  if (exact === null) return actual === null;
  if (typeof actual !== 'number') return false;
  return Math.abs(actual - exact) <= HISTOGRAM_MAX_RELATIVE_ERROR * exact + 0.01;
}

/** Compares a token series response with the dataset; returns every difference. */
function tokenSeriesDifferences(
  body: TokenSeriesResponse,
  events: readonly TokenUsageEvent[],
  opts: { fromMs: number; toMs: number; stepMs: number; groupBy: ('model' | 'tenant' | 'node')[] },
): string[] {
  const expected = expectedTokenBuckets(events, opts);
  if (opts.groupBy.length === 0 && expected.size === 0) expected.set('{}', new Map());
  const series = body.series;
  const differences: string[] = [];
  const keys = series.map((s) => JSON.stringify(s.key)).sort();
  const expectedKeys = [...expected.keys()].sort();
  if (JSON.stringify(keys) !== JSON.stringify(expectedKeys)) {
    differences.push(`series keys ${keys.join(' ')} != ${expectedKeys.join(' ')}`);
  }
  const points = (opts.toMs - opts.fromMs) / opts.stepMs;
  for (const s of series) {
    const buckets = expected.get(JSON.stringify(s.key)) ?? new Map<number, ExpectedTokenBucket>();
    if (s.points.length !== points)
      differences.push(`${JSON.stringify(s.key)}: ${s.points.length} points != ${points}`);
    for (const p of s.points) {
      const t = Date.parse(p.t);
      const e: ExpectedTokenBucket = buckets.get(t) ?? {
        requests: 0,
        errors: 0,
        inputTokens: 0,
        outputTokens: 0,
        cachedInputTokens: 0,
        ttft: [],
        duration: [],
      };
      const where = `${JSON.stringify(s.key)} @ ${p.t}`;
      for (const field of ['requests', 'errors', 'inputTokens', 'outputTokens', 'cachedInputTokens'] as const) {
        if (p[field] !== e[field]) differences.push(`${where}: ${field} ${p[field]} != ${e[field]}`);
      }
      if (!close(p.tokensPerSecond, e.outputTokens / (opts.stepMs / 1000))) {
        differences.push(`${where}: tokensPerSecond ${p.tokensPerSecond}`);
      }
      for (const [q, name] of [
        [0.5, 'p50'],
        [0.95, 'p95'],
        [0.99, 'p99'],
      ] as const) {
        if (!percentileOk(p.ttftMs[name], e.ttft, q)) {
          differences.push(`${where}: ttftMs.${name} ${p.ttftMs[name]} vs exact ${exactNearestRank(e.ttft, q)}`);
        }
        if (!percentileOk(p.durationMs[name], e.duration, q)) {
          differences.push(
            `${where}: durationMs.${name} ${p.durationMs[name]} vs exact ${exactNearestRank(e.duration, q)}`,
          );
        }
      }
    }
  }
  return differences;
}

beforeAll(async () => {
  const processor = await startService('processor', ports.processor, env, logDir);
  const producer = await startService('producer', ports.producer, env, logDir);
  const open = await startService('query-api', ports.queryApi, env, path.join(logDir, 'open'));
  const secured = await startService(
    'query-api',
    ports.queryApi + 5,
    {
      ...env,
      QUERY_RATE_LIMIT_PER_MINUTE: String(RATE_LIMIT),
      API_KEYS: [
        `sha256:${hashApiKey(TENANT_KEY)}=tenant-a`,
        `sha256:${hashApiKey(ADMIN_KEY)}=*`,
        `sha256:${hashApiKey(BURST_KEY)}=*`,
      ].join(';'),
    },
    path.join(logDir, 'secured'),
  );
  services = [producer, processor, open, secured];
  producerUrl = producer.baseUrl;
  openUrl = open.baseUrl;
  securedUrl = secured.baseUrl;

  for (const [pathname, items] of [
    ['/v1/tokens', tokens],
    ['/v1/gpus', gpus],
  ] as const) {
    for (let i = 0; i < items.length; i += 500) {
      const res = await fetch(`${producerUrl}${pathname}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(items.slice(i, i + 500)),
      });
      if (res.status !== 202) throw new Error(`posting to ${pathname} answered ${res.status}: ${await res.text()}`);
    }
  }
  // Stored and rolled up at both resolutions (a batch writes its 1m and 1h documents in several
  // commands, so one resolution can be complete before the other): the totals of the 1h and
  // the 1m rollups and the GPU sample counts of both reach the dataset.
  const range = { from: iso(base), to: iso(base + 4 * HOUR) };
  const requests = (body: TokenSeriesResponse) =>
    body.series.flatMap((s) => s.points).reduce((total, p) => total + p.requests, 0);
  const samples = (body: GpuSeriesResponse) =>
    body.series.flatMap((s) => s.points).reduce((total, p) => total + p.samples, 0);
  await expectEventually(
    async () => {
      const counts = [
        requests(await getOk('/v1/tokens/series', { ...range, step: '1h' })),
        requests(await getOk('/v1/tokens/series', { ...range, step: '15m' })),
        samples(await getOk('/v1/gpus/series', { ...range, step: '1h' })),
        samples(await getOk('/v1/gpus/series', { ...range, step: '15m' })),
      ];
      const wanted = [tokens.length, tokens.length, gpus.length, gpus.length];
      if (counts.join() !== wanted.join()) throw new Error(`rolled up ${counts.join('/')} of ${wanted.join('/')}`);
    },
    { timeoutMs: 120_000, intervalMs: 1_000, description: 'dataset rolled up at 1m and 1h' },
  );
}, 240_000);

afterAll(async () => {
  await Promise.all(services.map((s) => stopService(s)));
  await dropDatabase(mongoUrl, dbName).catch(() => undefined);
});

describe('token series', () => {
  it.each([
    {
      step: '1m',
      stepMs: MINUTE,
      groupBy: [] as ('model' | 'tenant' | 'node')[],
      from: dataFrom + 13 * MINUTE,
      hours: 1,
    },
    { step: '5m', stepMs: 5 * MINUTE, groupBy: ['model'] as ('model' | 'tenant' | 'node')[], from: base, hours: 4 },
    {
      step: '15m',
      stepMs: 15 * MINUTE,
      groupBy: ['tenant', 'node'] as ('model' | 'tenant' | 'node')[],
      from: base,
      hours: 4,
    },
    {
      step: '1h',
      stepMs: HOUR,
      groupBy: ['model', 'tenant', 'node'] as ('model' | 'tenant' | 'node')[],
      from: base,
      hours: 4,
    },
    { step: '6h', stepMs: 6 * HOUR, groupBy: ['node'] as ('model' | 'tenant' | 'node')[], from: base, hours: 4 },
    { step: '1d', stepMs: 24 * HOUR, groupBy: [] as ('model' | 'tenant' | 'node')[], from: base, hours: 4 },
  ])('matches the dataset at step $step grouped by [$groupBy]', async ({ step, stepMs, groupBy, from, hours }) => {
    const to = from + hours * HOUR;
    const params: Record<string, string> = { from: iso(from), to: iso(to), step };
    if (groupBy.length > 0) params.groupBy = groupBy.join(',');
    const body = await getOk('/v1/tokens/series', params);
    const fromMs = floorTo(from, stepMs);
    const toMs = Math.ceil(to / stepMs) * stepMs;
    expect(body.from).toBe(iso(fromMs));
    expect(body.to).toBe(iso(toMs));
    expect(body.step).toBe(step);
    expect(tokenSeriesDifferences(body, tokens, { fromMs, toMs, stepMs, groupBy })).toEqual([]);
  });

  it('filters by model, tenant and node', async () => {
    const body = await getOk('/v1/tokens/series', {
      from: iso(base),
      to: iso(base + 4 * HOUR),
      step: '15m',
      model: 'qwen2.5-72b',
      tenant: 'tenant-b',
      node: 'node-2',
    });
    const subset = tokens.filter((e) => e.model === 'qwen2.5-72b' && e.tenant === 'tenant-b' && e.node === 'node-2');
    expect(subset.length).toBeGreaterThan(0);
    const opts = { fromMs: base, toMs: base + 4 * HOUR, stepMs: 15 * MINUTE, groupBy: [] };
    expect(tokenSeriesDifferences(body, subset, opts)).toEqual([]);
  });
});

describe('token totals', () => {
  it('sum exactly over a range with partial hours at both ends, per group and overall', async () => {
    const from = dataFrom + 17 * MINUTE + 20_000; // aligned outward to the minute
    const to = dataFrom + 2 * HOUR + 3 * MINUTE;
    const fromMs = floorTo(from, MINUTE);
    const toMs = Math.ceil(to / MINUTE) * MINUTE;
    const inRange = tokens.filter((e) => Date.parse(e.time) >= fromMs && Date.parse(e.time) < toMs);
    for (const groupBy of [[], ['model'], ['tenant', 'model'], ['node']] as ('model' | 'tenant' | 'node')[][]) {
      const params: Record<string, string> = { from: iso(from), to: iso(to) };
      if (groupBy.length > 0) params.groupBy = groupBy.join(',');
      const body = await getOk('/v1/tokens/totals', params);
      expect(body.from).toBe(iso(fromMs));
      expect(body.to).toBe(iso(toMs));
      const expected = expectedTokenTotals(inRange, groupBy);
      const sortRows = (rows: { key: unknown }[]) =>
        [...rows].sort((a, b) => (JSON.stringify(a.key) < JSON.stringify(b.key) ? -1 : 1));
      expect(sortRows(body.rows)).toEqual(sortRows([...expected.values()]));
    }
  });
});

describe('GPU series, inventory and efficiency', () => {
  it.each([
    { step: '1m', stepMs: MINUTE, from: dataFrom + 40 * MINUTE, hours: 1 },
    { step: '15m', stepMs: 15 * MINUTE, from: base, hours: 4 },
    { step: '1h', stepMs: HOUR, from: base, hours: 4 },
  ])('matches the samples at step $step', async ({ step, stepMs, from, hours }) => {
    const to = from + hours * HOUR;
    const fromMs = floorTo(from, stepMs);
    const toMs = Math.ceil(to / stepMs) * stepMs;
    const body = await getOk('/v1/gpus/series', { from: iso(from), to: iso(to), step });
    const series = body.series;
    expect(series.map((s) => `${s.key.node}/${s.key.gpuIndex}`)).toEqual([
      'node-1/0',
      'node-1/1',
      'node-2/0',
      'node-2/1',
    ]);
    const differences: string[] = [];
    for (const s of series) {
      const own = gpus.filter((g) => g.node === s.key.node && g.gpuIndex === s.key.gpuIndex);
      const expected = expectedGpuBuckets(own, { fromMs, toMs, stepMs });
      for (const p of s.points) {
        const e = expected.get(Date.parse(p.t));
        const where = `${s.key.node}/${s.key.gpuIndex} @ ${p.t}`;
        if (p.samples !== (e?.samples ?? 0)) differences.push(`${where}: samples ${p.samples} != ${e?.samples ?? 0}`);
        const pairs: [string, number | null | undefined, number | null | undefined][] = [
          ['utilizationPct.avg', p.utilizationPct.avg, mean(e?.utilization ?? [])],
          ['utilizationPct.max', p.utilizationPct.max, maxOf(e?.utilization ?? [])],
          ['memoryUsedMiB.avg', p.memoryUsedMiB.avg, mean(e?.memory ?? [])],
          ['memoryUsedMiB.max', p.memoryUsedMiB.max, maxOf(e?.memory ?? [])],
          ['powerW.avg', p.powerW.avg, mean(e?.power ?? [])],
          ['powerW.max', p.powerW.max, maxOf(e?.power ?? [])],
          ['temperatureC.max', p.temperatureC.max, maxOf(e?.temperature ?? [])],
          ['energyJ', p.energyJ, e?.energyJ],
        ];
        for (const [name, actual, wanted] of pairs) {
          if (!close(actual, wanted)) differences.push(`${where}: ${name} ${actual} != ${wanted}`);
        }
      }
    }
    expect(differences).toEqual([]);
  });

  it('counts a sample without utilisation in samples and memory/power, not in the utilisation average', async () => {
    // node-1/0: a minute with one measured and one unmeasured sample.
    const unmeasured = gpus.find((g) => g.node === 'node-1' && g.gpuIndex === 0 && g.utilizationPct === undefined);
    const minute = floorTo(Date.parse(unmeasured?.time ?? ''), MINUTE);
    const sameMinute = gpus.filter(
      (g) => g.node === 'node-1' && g.gpuIndex === 0 && floorTo(Date.parse(g.time), MINUTE) === minute,
    );
    const measured = sameMinute.filter((g) => g.utilizationPct !== undefined);
    expect([sameMinute.length, measured.length]).toEqual([2, 1]);
    const oneMinute = await getOk('/v1/gpus/series', {
      from: iso(minute),
      to: iso(minute + MINUTE),
      step: '1m',
      node: 'node-1',
      gpuIndex: '0',
    });
    const [point]: (GpuPoint | undefined)[] = oneMinute.series[0]?.points ?? [];
    const utilization = measured[0]?.utilizationPct;
    expect(point).toMatchObject({ samples: 2, utilizationPct: { avg: utilization, max: utilization } });
    expect(point?.powerW.avg).toBeCloseTo(mean(sameMinute.map((g) => g.powerW)) ?? Number.NaN, 6);

    // node-2: a 15-minute bucket in which neither GPU measured utilisation.
    const quarter = await getOk('/v1/gpus/series', {
      from: iso(UNMEASURED_FROM),
      to: iso(UNMEASURED_FROM + 15 * MINUTE),
      step: '15m',
      node: 'node-2',
    });
    expect(quarter.series).toHaveLength(2);
    for (const s of quarter.series) {
      expect(s.points).toEqual([expect.objectContaining({ samples: 30, utilizationPct: { avg: null, max: null } })]);
      expect(s.points[0]?.powerW.avg).not.toBeNull();
    }
    const efficiency = await getOk('/v1/efficiency', {
      from: iso(UNMEASURED_FROM),
      to: iso(UNMEASURED_FROM + 15 * MINUTE),
      step: '15m',
      node: 'node-2',
    });
    const points = efficiency.series.flatMap((s) => s.points);
    expect(points.length).toBeGreaterThan(0);
    for (const p of points) {
      expect(p.gpuSeconds).toBeNull();
      expect(p.energyJ).not.toBeNull();
    }
  });

  it('lists every GPU with its latest sample', async () => {
    const body = await getOk('/v1/gpus', {});
    const items = body.items;
    expect(items.map((g) => `${g.node}/${g.gpuIndex}`)).toEqual(['node-1/0', 'node-1/1', 'node-2/0', 'node-2/1']);
    for (const item of items) {
      const own = gpus.filter((g) => g.node === item.node && g.gpuIndex === item.gpuIndex);
      const latest = own.reduce((a, b) => (Date.parse(b.time) > Date.parse(a.time) ? b : a));
      const { node: _node, gpuIndex: _gpuIndex, ...rest } = latest;
      expect(item.lastSeen).toBe(latest.time);
      expect(item.latest).toEqual(rest);
      expect(item.gpuUuid).toBe(latest.gpuUuid);
    }
    // node-1/1's last sample measured no utilisation: the inventory shows it without one.
    expect(items[1]?.latest).not.toHaveProperty('utilizationPct');
    expect(items[1]?.latest).toHaveProperty('powerW');
    expect((await getOk('/v1/gpus', { node: 'node-2' })).items.map((g) => g.gpuIndex)).toEqual([0, 1]);
  });

  it('computes tokens per joule and GPU-seconds per 1,000 tokens per node and model', async () => {
    const stepMs = 15 * MINUTE;
    const fromMs = base;
    const toMs = base + 4 * HOUR;
    const body = await getOk('/v1/efficiency', { from: iso(fromMs), to: iso(toMs), step: '15m' });
    const series = body.series;
    const differences: string[] = [];
    // `busy` stays undefined where no GPU of the node measured utilisation: unknown, not 0.
    const nodeTotals = new Map<string, Map<number, { energyJ?: number; busy?: number; tokens: number }>>();
    for (const node of NODES) {
      const perBucket = new Map<number, { energyJ?: number; busy?: number; tokens: number }>();
      for (const gpuIndex of [0, 1]) {
        const own = gpus.filter((g) => g.node === node && g.gpuIndex === gpuIndex);
        for (const [t, b] of expectedGpuBuckets(own, { fromMs, toMs, stepMs })) {
          const x = perBucket.get(t) ?? { tokens: 0 };
          if (b.utilization.length > 0) x.busy = (x.busy ?? 0) + b.busySeconds;
          if (b.energyJ !== undefined) x.energyJ = (x.energyJ ?? 0) + b.energyJ;
          perBucket.set(t, x);
        }
      }
      for (const e of tokens.filter((x) => x.node === node)) {
        const t = floorTo(Date.parse(e.time), stepMs);
        const x = perBucket.get(t) ?? { tokens: 0 };
        x.tokens += e.inputTokens + e.outputTokens;
        perBucket.set(t, x);
      }
      nodeTotals.set(node, perBucket);
    }
    expect(series.map((s) => `${s.key.node}/${s.key.model}`).sort()).toEqual(
      NODES.flatMap((n) => MODELS.map((m) => `${n}/${m}`)).sort(),
    );
    for (const s of series) {
      for (const p of s.points) {
        const t = Date.parse(p.t);
        const own = tokens
          .filter((e) => e.node === s.key.node && e.model === s.key.model && floorTo(Date.parse(e.time), stepMs) === t)
          .reduce((sum, e) => sum + e.inputTokens + e.outputTokens, 0);
        const node = nodeTotals.get(s.key.node)?.get(t);
        const share = node !== undefined && node.tokens > 0 ? own / node.tokens : 0;
        const energyJ = node?.energyJ === undefined ? null : node.energyJ * share;
        const gpuSeconds = node?.busy === undefined ? null : node.busy * share;
        const where = `${s.key.node}/${s.key.model} @ ${p.t}`;
        if (p.tokens !== own) differences.push(`${where}: tokens ${p.tokens} != ${own}`);
        const pairs: [string, number | null, number | null][] = [
          ['energyJ', p.energyJ, energyJ],
          ['gpuSeconds', p.gpuSeconds, gpuSeconds],
          ['tokensPerJoule', p.tokensPerJoule, energyJ !== null && energyJ > 0 ? own / energyJ : null],
          [
            'gpuSecondsPer1kTokens',
            p.gpuSecondsPer1kTokens,
            gpuSeconds !== null && own > 0 ? gpuSeconds / (own / 1000) : null,
          ],
        ];
        for (const [name, actual, wanted] of pairs) {
          if (!close(actual, wanted, 1e-8)) differences.push(`${where}: ${name} ${String(actual)} != ${wanted}`);
        }
      }
    }
    expect(differences).toEqual([]);
  });
});

describe('tenant scoping', () => {
  const range = { from: iso(base), to: iso(base + 4 * HOUR) };
  const own = tokens.filter((e) => e.tenant === 'tenant-a');

  it('shows a tenant-scoped key only its tenant, through series, totals and events', async () => {
    for (const groupBy of [[], ['tenant'], ['model', 'node']] as ('model' | 'tenant' | 'node')[][]) {
      const params: Record<string, string> = { ...range, step: '1h' };
      if (groupBy.length > 0) params.groupBy = groupBy.join(',');
      const body = await getOk('/v1/tokens/series', params, securedUrl, TENANT_KEY);
      const opts = { fromMs: base, toMs: base + 4 * HOUR, stepMs: HOUR, groupBy };
      expect(tokenSeriesDifferences(body, own, opts)).toEqual([]);

      const totals = await getOk(
        '/v1/tokens/totals',
        { ...range, ...(groupBy.length > 0 ? { groupBy: groupBy.join(',') } : {}) },
        securedUrl,
        TENANT_KEY,
      );
      const sum = totals.rows.reduce(
        (acc, r) => ({ requests: acc.requests + r.requests, inputTokens: acc.inputTokens + r.inputTokens }),
        { requests: 0, inputTokens: 0 },
      );
      expect(sum).toEqual({ requests: own.length, inputTokens: own.reduce((s, e) => s + e.inputTokens, 0) });
    }
    const byTenant = await getOk('/v1/tokens/totals', { ...range, groupBy: 'tenant' }, securedUrl, TENANT_KEY);
    expect(byTenant.rows.map((r) => r.key)).toEqual([{ tenant: 'tenant-a' }]);

    const listed = await getOk('/v1/events/tokens', { ...range, limit: '1000' }, securedUrl, TENANT_KEY);
    expect(listed.items.every((e) => e.tenant === 'tenant-a')).toBe(true);
    expect(listed.items.length).toBe(own.length);

    const foreign = tokens.find((e) => e.tenant === 'tenant-b') as TokenUsageEvent;
    expect((await get(`${securedUrl}/v1/events/tokens/${foreign.eventId}`, TENANT_KEY)).status).toBe(404);
    expect((await get(`${securedUrl}/v1/events/tokens/${own[0]?.eventId}`, TENANT_KEY)).status).toBe(200);
    // GPU samples here belong to no tenant: a tenant key sees none of them.
    expect((await getOk('/v1/events/gpus', range, securedUrl, TENANT_KEY)).items).toEqual([]);
  });

  it('refuses another tenant and the fleet-wide endpoints to a tenant-scoped key with 403', async () => {
    const refused = [
      `/v1/tokens/series?tenant=tenant-b`,
      `/v1/tokens/totals?tenant=tenant-c`,
      `/v1/events/tokens?tenant=tenant-b`,
      `/v1/gpus`,
      `/v1/gpus/series`,
      `/v1/efficiency`,
    ];
    for (const pathname of refused) {
      const res = await get(`${securedUrl}${pathname}`, TENANT_KEY);
      expect({ pathname, status: res.status, type: typeof res.body.detail }).toEqual({
        pathname,
        status: 403,
        type: 'string',
      });
    }
    // The all-tenant key sees everything, the missing key nothing.
    const all = await getOk('/v1/tokens/totals', range, securedUrl, ADMIN_KEY);
    expect(all.rows[0]?.requests).toBe(tokens.length);
    expect((await get(`${securedUrl}/v1/tokens/totals`)).status).toBe(401);
    expect((await get(`${securedUrl}/v1/gpus`, 'not-a-key')).status).toBe(401);
  });
});

describe('hostile and malformed queries', () => {
  const corpus = [
    '/v1/tokens/series?model[$ne]=x',
    '/v1/tokens/series?model=%7B%22%24gt%22%3A%22%22%7D&from=x',
    '/v1/tokens/series?%24where=1',
    '/v1/tokens/series?model.%24=1',
    '/v1/tokens/series?tenant[$regex]=.*',
    '/v1/tokens/series?step=2m',
    '/v1/tokens/series?step=',
    '/v1/tokens/series?step=1m&from=2026-01-01T00:00:00Z&to=2026-03-01T00:00:00Z',
    '/v1/tokens/series?from=2026-13-01T00:00:00Z',
    '/v1/tokens/series?from=yesterday',
    '/v1/tokens/series?from=1700000000',
    '/v1/tokens/series?from=2026-11-25T00:00:00Z&to=2026-11-24T00:00:00Z',
    '/v1/tokens/series?groupBy=gpu',
    '/v1/tokens/series?groupBy=model,model',
    '/v1/tokens/series?groupBy=model&groupBy=node',
    '/v1/tokens/series?model=a&model=b',
    '/v1/tokens/series?model=' + 'x'.repeat(300),
    '/v1/tokens/series?model=%00',
    '/v1/tokens/series?node=%0d%0aSet-Cookie:x',
    '/v1/tokens/series?tenant[]=a',
    '/v1/tokens/series?__proto__[x]=1',
    '/v1/tokens/series?constructor=1',
    '/v1/tokens/totals?groupBy=%24tenant',
    '/v1/tokens/totals?from=2026-11-25T00:00:00',
    '/v1/tokens/totals?to=NaN',
    '/v1/tokens/totals?step=1m',
    '/v1/tokens/totals?limit=10',
    '/v1/gpus/series?gpuIndex=-1',
    '/v1/gpus/series?gpuIndex=1.5',
    '/v1/gpus/series?gpuIndex=99999',
    '/v1/gpus/series?gpuIndex=0x10',
    '/v1/gpus/series?gpuIndex[$gt]=0',
    '/v1/gpus/series?step=1w',
    '/v1/gpus/series?step=1m&from=2025-01-01T00:00:00Z&to=2026-01-01T00:00:00Z',
    '/v1/gpus?node[$ne]=x',
    '/v1/gpus?gpuIndex=0',
    '/v1/gpus?node=',
    '/v1/efficiency?model[$exists]=true',
    '/v1/efficiency?step=1s',
    '/v1/efficiency?tenant=tenant-a',
    '/v1/efficiency?from=2026-11-25T00:00:00Z&to=2026-11-25T00:00:00Z',
    '/v1/events/tokens?limit=0',
    '/v1/events/tokens?limit=1001',
    '/v1/events/tokens?limit=ten',
    '/v1/events/tokens?cursor=not*a*cursor',
    '/v1/events/tokens?cursor=eyJub3QiOiJhIGN1cnNvciJ9',
    '/v1/events/tokens?cursor=' + Buffer.from('[1,{"$gt":""}]').toString('base64url'),
    '/v1/events/tokens?cursor=' + 'A'.repeat(2000),
    '/v1/events/gpus?gpuIndex=abc',
    '/v1/events/tokens/has%20spaces',
    '/v1/events/tokens/' + 'x'.repeat(200),
    // Over the router's maxParamLength (256): Fastify's router answers before any route runs.
    '/v1/events/tokens/' + 'x'.repeat(5_000),
    '/v1/events/tokens/%E0%A4%A',
    '/v1/events/tokens/%24where',
    '/v1/events/tokens/abc?extra=1',
    '/v1/tokens/series/..%2f..%2fetc%2fpasswd',
    '/v1/nothing-here',
    '/v1/tokens/series?from=2026-11-25T00:00:00Z&from=2026-11-26T00:00:00Z',
    '/v1/tokens/series?' + Array.from({ length: 60 }, (_, i) => `p${i}=1`).join('&'),
  ];

  it(`answers each of the ${corpus.length} with a 4xx problem+json, never a 5xx`, async () => {
    expect(corpus.length).toBeGreaterThanOrEqual(50);
    const outcomes: string[] = [];
    for (const pathname of corpus) {
      const res = await fetch(`${openUrl}${pathname}`);
      const type = (res.headers.get('content-type') ?? '').split(';')[0];
      const body = (await res.json().catch(() => ({}))) as Json;
      const violations = problemViolations(body);
      if (res.status < 400 || res.status >= 500 || type !== 'application/problem+json' || violations.length > 0) {
        outcomes.push(`${pathname.slice(0, 120)} -> ${res.status} ${type} ${violations.join('; ')}`);
      }
    }
    expect(outcomes).toEqual([]);
    // Still serving after all of it.
    expect((await get(`${openUrl}/health/live`)).status).toBe(200);
  });

  it('answers a path segment over the router limit with 414 problem+json that does not echo it, with the usual headers', async () => {
    const res = await fetch(`${openUrl}/v1/events/tokens/${'x'.repeat(5_000)}`);
    const text = await res.text();
    expect({
      status: res.status,
      type: res.headers.get('content-type'),
      nosniff: res.headers.get('x-content-type-options'),
      csp: res.headers.get('content-security-policy'),
    }).toEqual({
      status: 414,
      type: 'application/problem+json; charset=utf-8',
      nosniff: 'nosniff',
      csp: "default-src 'none'; frame-ancestors 'none'",
    });
    expect(JSON.parse(text)).toMatchObject({ status: 414, title: 'URI Too Long' });
    expect(text).not.toContain('xxxx');
  });

  it('names every bad parameter, and says how to narrow a range that is too large', async () => {
    const res = await get(`${openUrl}/v1/tokens/series?step=2m&model[$ne]=x&groupBy=gpu`);
    expect(res.status).toBe(400);
    expect((res.body.errors as { name: string }[]).map((e) => e.name).sort()).toEqual([
      'groupBy',
      'model[$ne]',
      'step',
    ]);
    const tooLarge = await get(`${openUrl}/v1/tokens/series?step=1m&from=2026-01-01T00:00:00Z&to=2026-03-01T00:00:00Z`);
    expect(tooLarge.status).toBe(400);
    expect(JSON.stringify(tooLarge.body.errors)).toMatch(
      /84960 points of 1m per series, more than 10000: narrow from\/to to at most 6d22h40m or use step=15m or coarser/,
    );
  });
});

describe('response schemas', () => {
  it('answers every endpoint within the response schema the OpenAPI document shows', async () => {
    // Costs need a price catalog: test/e2e/costs.e2e-spec.ts checks theirs.
    const range = { from: iso(base), to: iso(base + 4 * HOUR) };
    const paths = (Object.keys(QUERY_API_ANSWERS) as QueryApiPath[]).filter((p) => !p.startsWith('/v1/costs/'));
    for (const pathname of paths) {
      const grouped = pathname === '/v1/tokens/series' || pathname === '/v1/tokens/totals';
      const params = pathname === '/v1/gpus' ? {} : grouped ? { ...range, groupBy: 'model,tenant,node' } : range;
      await expect(getOk(pathname, params)).resolves.toBeDefined();
    }
    const event = tokens[0] as TokenUsageEvent;
    const one = await get(`${openUrl}/v1/events/tokens/${event.eventId}`);
    expect({ status: one.status, violations: schemaViolations(TokenUsageEventSchema, one.body) }).toEqual({
      status: 200,
      violations: [],
    });
  });
});

describe('rate limiting and the API document', () => {
  it('answers 429 with Retry-After once a key exceeds its limit, and keeps other keys and health open', async () => {
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < RATE_LIMIT + 5; i += 1) {
      const res = await get(`${securedUrl}/v1/gpus`, BURST_KEY);
      statuses.push(res.status);
      if (res.status === 429) retryAfter = res.headers.get('retry-after');
    }
    expect(statuses.filter((s) => s === 200).length).toBe(RATE_LIMIT);
    expect(statuses.filter((s) => s === 429).length).toBe(5);
    expect(Number(retryAfter)).toBeGreaterThan(0);
    expect((await get(`${securedUrl}/v1/gpus`, ADMIN_KEY)).status).toBe(200);
    expect((await get(`${securedUrl}/health/live`)).status).toBe(200);
  });

  it('serves the committed OpenAPI document and Swagger UI', async () => {
    const served = await get(`${openUrl}/openapi.json`);
    const committed = JSON.parse(
      readFileSync(path.resolve(__dirname, '..', '..', 'apps', 'query-api', 'openapi.json'), 'utf8'),
    ) as Json;
    expect(served.body).toEqual(committed);
    expect(Object.keys(committed.paths as Json)).toEqual(
      expect.arrayContaining([
        '/v1/tokens/series',
        '/v1/tokens/totals',
        '/v1/gpus/series',
        '/v1/gpus',
        '/v1/efficiency',
      ]),
    );
    // The document shows the response schemas themselves, which every answer here is checked against.
    const paths = served.body.paths as Record<string, { get: { responses: Record<string, Json> } }>;
    for (const [pathname, schema] of Object.entries(QUERY_API_ANSWERS)) {
      expect({ pathname, shown: paths[pathname]?.get.responses['200'] }).toMatchObject({
        pathname,
        shown: { content: { 'application/json': { schema: JSON.parse(JSON.stringify(schema)) as Json } } },
      });
    }
    const docs = await fetch(`${openUrl}/docs`);
    expect(docs.status).toBe(200);
    expect(await docs.text()).toContain('swagger');
  });
});
