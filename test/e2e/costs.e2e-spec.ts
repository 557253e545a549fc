// The cost endpoints end to end: a known dataset of token events and GPU samples posted through
// the producer, stored by the processor, priced by the query API from a catalog file, and every
// figure of /v1/costs/totals (JSON and CSV) and /v1/costs/series, token-priced (`view=tokens`) and
// GPU-priced (`view=gpus`), checked against values computed here with BigInt from the raw events,
// samples and the same catalog (test/support/cost-expectations.ts); the month-to-date spend and
// budget gauges of /metrics; tenant scoping; hostile queries; a catalog the query API must refuse
// at boot.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { GpuSample, TokenUsageEvent } from '@tokenmeter/contracts';
import { buildGpuSample, buildTokenUsageEvent } from '@tokenmeter/contracts/testing/factories';
import { hashApiKey, parsePrometheusText } from '@tokenmeter/telemetry';
import {
  attributeGpus,
  expectedCostRows,
  expectedCostSeries,
  expectedGpuCostSeries,
  expectedGpuCostTotals,
  expectedMonthToDate,
  formatCost,
  gpuHourMicros,
  kWhMicros,
  modelMatches,
  parseCsv,
  type PriceCatalog,
  priceMicros,
  type TokenGroupField,
  totalsBuckets,
} from '../support/cost-expectations';
import { serverEnv, runId } from '../support/env';
import { expectEventually } from '../support/eventually';
import type {
  GpuSeriesResponse,
  TokenKey,
  TokenSeriesResponse,
  TokenTotalsResponse,
} from '@tokenmeter/contracts/query-api';
import { getAnswer, type QueryApiPath } from '../support/query-answers';
import { floorTo } from '../support/query-expectations';
import { portBlock, type RunningService, runUntilExit, startService, stopService } from '../support/services';
import { dropDatabase } from '../support/mongo-test-utils';

const id = runId();
const dbName = `tm_ce2e_${id}`;
const { kafkaBrokers, mongoUrl } = serverEnv();
const ports = portBlock();
const logDir = path.resolve(__dirname, '..', '..', '.local', 'test-logs', `costs-e2e-${id}`);
const env = {
  KAFKA_BROKERS: kafkaBrokers,
  MONGO_URL: mongoUrl,
  MONGO_DB: dbName,
  KAFKA_TOPIC_TOKENS: `ce2e-${id}.tokens`,
  KAFKA_TOPIC_GPU: `ce2e-${id}.gpu`,
  KAFKA_TOPIC_DLQ: `ce2e-${id}.dlq`,
  KAFKA_TOPIC_PARTITIONS: '3',
  PROCESSOR_GROUP_PREFIX: `ce2e-${id}`,
  QUERY_RATE_LIMIT_PER_MINUTE: '0',
  LOG_LEVEL: 'info',
};

const HOUR = 3_600_000;
const MINUTE = 60_000;
const TENANT_KEY = `tm_ce2e_${randomUUID()}`;
const ADMIN_KEY = `tm_ce2e_${randomUUID()}`;

// The dataset: 2 h 50 min of traffic starting 7 minutes past a UTC hour; llama's price changes
// at the start of the third hour, inside the data.
const base = floorTo(Date.now() - 4 * HOUR, HOUR);
const spanMs = 2 * HOUR + 50 * MINUTE;
const dataFrom = base + 7 * MINUTE;
const PRICE_CHANGE = base + 2 * HOUR;
// A tenant name with a comma and quotes: CSV must quote it.
const TENANTS = ['tenant-a', 'tenant-b', 'acme, "east"'];
const LLAMA = 'llama-3.1-8b';
const QWEN = 'qwen2.5-72b';
const UNPRICED = 'mistral-7b';
const MODELS = [LLAMA, QWEN, UNPRICED];
const NODES = ['node-1', 'node-2'];
/** Only the hand-checked events below run on this node. */
const EDGE_NODE = 'node-3';

const wholeHour = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
const A100 = 'NVIDIA A100-SXM4-80GB';
const H100 = 'NVIDIA H100 80GB HBM3';
const L4 = 'NVIDIA L4';
/** GPUs that served no tokens: all their cost is idle. */
const IDLE_NODE = 'node-4';
/** Energy gets dearer an hour into the data. */
const ENERGY_CHANGE = base + HOUR;
const CATALOG: PriceCatalog = {
  currency: 'USD',
  models: [
    {
      match: LLAMA,
      prices: [
        { validFrom: '2026-12-01T00:00:00Z', input: '0.20', output: '0.60', cachedInput: '0.05' },
        { validFrom: wholeHour(PRICE_CHANGE), input: '0.25', output: '0.75', cachedInput: '0.05' },
      ],
    },
    { match: 'qwen*', prices: [{ validFrom: '2026-12-01T00:00:00Z', input: '0.90', output: '0.90' }] },
    // Never applies: `qwen*` comes first in the file.
    { match: QWEN, prices: [{ validFrom: '2026-12-01T00:00:00Z', input: '7.000001', output: '9' }] },
    // Match neither `mistral-7b`: a pattern must match the whole name.
    { match: 'mistral-7b-*', prices: [{ validFrom: '2026-12-01T00:00:00Z', input: '1', output: '1' }] },
    { match: '*mistral', prices: [{ validFrom: '2026-12-01T00:00:00Z', input: '1', output: '1' }] },
  ],
  gpus: [
    // node-1's GPUs by node, cheaper from the price change on.
    {
      match: { node: 'node-1' },
      prices: [
        { validFrom: '2026-12-01T00:00:00Z', perGpuHour: '2.49' },
        { validFrom: wholeHour(PRICE_CHANGE), perGpuHour: '1.999999' },
      ],
    },
    { match: { node: 'node-4*' }, prices: [{ validFrom: '2026-12-01T00:00:00Z', perGpuHour: '1.25' }] },
    { match: { gpuModel: 'NVIDIA H100*' }, prices: [{ validFrom: '2026-12-01T00:00:00Z', perGpuHour: '3.10' }] },
    // Never applies: node-1's A100s match the node entry first.
    { match: { gpuModel: 'NVIDIA A100*' }, prices: [{ validFrom: '2026-12-01T00:00:00Z', perGpuHour: '99' }] },
    // Matches no L4: a pattern must match the whole model name.
    { match: { gpuModel: 'NVIDIA L' }, prices: [{ validFrom: '2026-12-01T00:00:00Z', perGpuHour: '99' }] },
    // The L4 is unpriced until the price change.
    { match: { gpuModel: L4 }, prices: [{ validFrom: wholeHour(PRICE_CHANGE), perGpuHour: '0.70' }] },
  ],
  energy: [
    { validFrom: '2026-12-01T00:00:00Z', perKWh: '0.15' },
    { validFrom: wholeHour(ENERGY_CHANGE), perKWh: '0.210001' },
  ],
  // Tenants with usage (one whose name needs escaping in a label value) and one without any (its
  // spend gauge shows 0); tenant-b has usage and no budget, so no gauge.
  budgets: [
    { tenant: 'tenant-a', monthly: '500.00' },
    { tenant: 'acme, "east"', monthly: '1000.000001' },
    { tenant: 'nobody', monthly: '75.125' },
  ],
};

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1_664_525 + 1_013_904_223) >>> 0;
    return s / 2 ** 32;
  };
}
const random = seeded(20261207);

const randomEvents = Array.from({ length: 600 }, (_, i) => {
  const error = random() < 0.06;
  const inputTokens = Math.floor(random() * 120_000);
  const cachedRoll = random();
  const cachedInputTokens =
    cachedRoll < 0.05 ? inputTokens : cachedRoll < 0.35 ? Math.floor(random() * inputTokens) : undefined;
  return buildTokenUsageEvent({
    eventId: `ce2e-${id}-t${i}`,
    time: new Date(dataFrom + Math.floor(random() * spanMs)).toISOString(),
    tenant: TENANTS[i % 3] as string,
    model: MODELS[Math.floor(random() * 3)] as string,
    node: NODES[Math.floor(random() * 2)] as string,
    inputTokens,
    outputTokens: error ? 0 : 1 + Math.floor(random() * 30_000),
    ...(cachedInputTokens === undefined ? {} : { cachedInputTokens }),
    durationMs: 2_000,
    ttftMs: 100,
    status: error ? 'error' : 'ok',
  });
});

// Hand-checked events on their own node: llama just before and exactly at the price change
// (0.320000 and 0.395000), and a qwen event of 5 tokens at 0.90 = 4.5 micro-dollars, which
// rounds half-up to 0.000005.
const EDGE_TOKENS = { inputTokens: 1_000_000, cachedInputTokens: 400_000, outputTokens: 300_000 };
const TIE_TIME = base + HOUR + 30 * MINUTE + 10_000;
const edgeEvents = [
  { suffix: 'before-change', time: PRICE_CHANGE - 1, model: LLAMA, ...EDGE_TOKENS },
  { suffix: 'at-change', time: PRICE_CHANGE, model: LLAMA, ...EDGE_TOKENS },
  { suffix: 'tie', time: TIE_TIME, model: QWEN, inputTokens: 3, outputTokens: 2 },
].map(({ suffix, time, ...rest }) =>
  buildTokenUsageEvent({
    eventId: `ce2e-${id}-${suffix}`,
    time: new Date(time).toISOString(),
    tenant: 'tenant-b',
    node: EDGE_NODE,
    durationMs: 1_000,
    status: 'ok',
    ...rest,
  }),
);

const tokens: TokenUsageEvent[] = [...randomEvents, ...edgeEvents].map(
  (e) => JSON.parse(JSON.stringify(e)) as TokenUsageEvent,
);

// GPUs on the token nodes (node-3 has none: its tokens cost nothing in view=gpus) and on an idle
// node, each sampled every `everyMs` with its energy counter rising with power. node-1/1 stops
// reporting for 12 minutes and its counter restarts (a driver reload); the L4 reports no energy
// for 15 minutes.
const RESET_AT = base + HOUR + 40 * MINUTE;
const GAP = { fromMs: base + 50 * MINUTE, toMs: base + HOUR + 2 * MINUTE };
const NO_ENERGY = { fromMs: base + HOUR + 10 * MINUTE, toMs: base + HOUR + 25 * MINUTE };
const FLEET = [
  {
    node: 'node-1',
    gpuIndex: 0,
    gpuModel: A100,
    fromMs: dataFrom - 3 * MINUTE,
    toMs: dataFrom + spanMs,
    everyMs: 30_000,
  },
  { node: 'node-1', gpuIndex: 1, gpuModel: A100, fromMs: dataFrom, toMs: dataFrom + spanMs, everyMs: 45_000 },
  { node: 'node-2', gpuIndex: 0, gpuModel: H100, fromMs: dataFrom + 5_000, toMs: dataFrom + spanMs, everyMs: 60_000 },
  { node: 'node-2', gpuIndex: 1, gpuModel: L4, fromMs: dataFrom, toMs: dataFrom + spanMs, everyMs: 40_000 },
  {
    node: IDLE_NODE,
    gpuIndex: 0,
    gpuModel: H100,
    fromMs: base + 30 * MINUTE,
    toMs: base + HOUR + 40 * MINUTE,
    everyMs: 50_000,
  },
];
const samples: GpuSample[] = FLEET.flatMap(({ fromMs, toMs, everyMs, ...gpu }) => {
  const out: GpuSample[] = [];
  let energyJ = 2_000_000 + gpu.gpuIndex * 70_000;
  let reset = false;
  for (let t = fromMs; t < toMs; t += everyMs) {
    const powerW = Math.round((90 + random() * 600) * 10) / 10;
    energyJ += powerW * (everyMs / 1_000);
    const thisGpu = gpu.node === 'node-1' && gpu.gpuIndex === 1;
    if (thisGpu && t >= GAP.fromMs && t < GAP.toMs) continue;
    if (thisGpu && t >= RESET_AT && !reset) {
      reset = true;
      energyJ = 150;
    }
    const sample = buildGpuSample({
      eventId: `ce2e-${id}-g-${gpu.node}-${gpu.gpuIndex}-${t}`,
      time: new Date(t).toISOString(),
      ...gpu,
      gpuUuid: `GPU-ce2e-${gpu.node}-${gpu.gpuIndex}`,
      powerW,
      energyJ: Math.round(energyJ * 10) / 10,
    });
    const { energyJ: _unreported, ...withoutEnergy } = sample;
    out.push(gpu.gpuModel === L4 && t >= NO_ENERGY.fromMs && t < NO_ENERGY.toMs ? withoutEnergy : sample);
  }
  return out;
}).map((s) => JSON.parse(JSON.stringify(s)) as GpuSample);

let services: RunningService[] = [];
let catalogDir = '';
let openUrl = '';
let securedUrl = '';
let queryEnv: Record<string, string> = {};

interface Json {
  [key: string]: unknown;
}

interface Answer {
  status: number;
  body: Json;
  text: string;
  contentType: string;
}

async function get(url: string, opts: { key?: string; accept?: string } = {}): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (opts.key !== undefined) headers.authorization = `Bearer ${opts.key}`;
  if (opts.accept !== undefined) headers.accept = opts.accept;
  const res = await fetch(url, { headers });
  const text = await res.text();
  let body: Json;
  try {
    body = text.length > 0 ? (JSON.parse(text) as Json) : {};
  } catch {
    body = { text };
  }
  return { status: res.status, body, text, contentType: res.headers.get('content-type') ?? '' };
}

function query(params: Record<string, string>): string {
  return new URLSearchParams(params).toString();
}

function getOk<P extends QueryApiPath>(pathname: P, params: Record<string, string>, url = openUrl, key?: string) {
  return getAnswer(url, pathname, params, key);
}

const iso = (ms: number) => new Date(ms).toISOString();

function withGroupBy(params: Record<string, string>, groupBy: readonly TokenGroupField[]): Record<string, string> {
  return groupBy.length > 0 ? { ...params, groupBy: groupBy.join(',') } : params;
}

beforeAll(async () => {
  catalogDir = mkdtempSync(path.join(tmpdir(), 'tm-costs-e2e-'));
  const catalogFile = path.join(catalogDir, 'prices.json');
  writeFileSync(catalogFile, JSON.stringify(CATALOG, null, 2));
  queryEnv = { ...env, PRICE_CATALOG_FILE: catalogFile, COST_METRICS_INTERVAL_SECONDS: '1' };

  const processor = await startService('processor', ports.processor, env, logDir);
  const producer = await startService('producer', ports.producer, env, logDir);
  const open = await startService('query-api', ports.queryApi, queryEnv, path.join(logDir, 'open'));
  const secured = await startService(
    'query-api',
    ports.queryApi + 5,
    {
      ...queryEnv,
      API_KEYS: [`sha256:${hashApiKey(TENANT_KEY)}=tenant-a`, `sha256:${hashApiKey(ADMIN_KEY)}=*`].join(';'),
    },
    path.join(logDir, 'secured'),
  );
  services = [producer, processor, open, secured];
  openUrl = open.baseUrl;
  securedUrl = secured.baseUrl;

  for (const [pathname, items] of [
    ['/v1/tokens', tokens],
    ['/v1/gpus', samples],
  ] as const) {
    for (let i = 0; i < items.length; i += 500) {
      const res = await fetch(`${producer.baseUrl}${pathname}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(items.slice(i, i + 500)),
      });
      if (res.status !== 202) throw new Error(`posting to ${pathname} answered ${res.status}: ${await res.text()}`);
    }
  }
  // Stored and rolled up at both resolutions: totals over whole hours (1h rollups) and over a
  // range starting mid-hour (1m rollups for the partial hour), and series at 1h and 5m, all
  // count every event.
  const requests = (body: TokenTotalsResponse | TokenSeriesResponse) =>
    'rows' in body
      ? body.rows.reduce((n, r) => n + r.requests, 0)
      : body.series.flatMap((s) => s.points).reduce((n, p) => n + p.requests, 0);
  const sampleCount = (body: GpuSeriesResponse) =>
    body.series.flatMap((s) => s.points).reduce((n, p) => n + p.samples, 0);
  await expectEventually(
    async () => {
      const to = iso(base + 4 * HOUR);
      const counts = [
        requests(await getOk('/v1/tokens/totals', { from: iso(base), to })),
        requests(await getOk('/v1/tokens/totals', { from: iso(base + MINUTE), to })),
        requests(await getOk('/v1/tokens/series', { from: iso(base), to, step: '1h' })),
        requests(await getOk('/v1/tokens/series', { from: iso(base), to, step: '5m' })),
      ];
      const gpuCounts = [
        sampleCount(await getOk('/v1/gpus/series', { from: iso(base), to, step: '1h' })),
        sampleCount(await getOk('/v1/gpus/series', { from: iso(base), to, step: '5m' })),
      ];
      if (counts.some((c) => c !== tokens.length) || gpuCounts.some((c) => c !== samples.length)) {
        throw new Error(
          `rolled up ${counts.join('/')} of ${tokens.length} events, ${gpuCounts.join('/')} of ${samples.length} samples`,
        );
      }
    },
    { timeoutMs: 120_000, intervalMs: 1_000, description: 'dataset rolled up at 1m and 1h' },
  );
}, 240_000);

afterAll(async () => {
  await Promise.all(services.map((s) => stopService(s)));
  await dropDatabase(mongoUrl, dbName).catch(() => undefined);
  if (catalogDir !== '') rmSync(catalogDir, { recursive: true, force: true });
});

describe('the expectation itself', () => {
  it('prices the hand-checked events as worked out by hand', () => {
    expect(priceMicros('0.25')).toBe(250_000n);
    expect(priceMicros('7.000001')).toBe(7_000_001n);
    expect(formatCost(4_500_000n)).toBe('0.000005');
    expect(formatCost(4_499_999n)).toBe('0.000004');
    expect(formatCost(12_345_678_000_000n)).toBe('12.345678');
    expect(formatCost(0n)).toBe('0.000000');
    expect([
      modelMatches('qwen*', QWEN),
      modelMatches('mistral-7b-*', UNPRICED),
      modelMatches('*mistral', UNPRICED),
    ]).toEqual([true, false, false]);
    const edge = { fromMs: base, toMs: base + 4 * HOUR, groupBy: [] };
    // (600,000 x 0.20 + 400,000 x 0.05 + 300,000 x 0.60) / 1e6, then at 0.25 / 0.05 / 0.75.
    expect(expectedCostRows(edgeEvents.slice(0, 1), CATALOG, edge)[0]?.cost).toBe('0.320000');
    expect(expectedCostRows(edgeEvents.slice(1, 2), CATALOG, edge)[0]?.cost).toBe('0.395000');
    expect(expectedCostRows(edgeEvents.slice(2), CATALOG, edge)[0]?.cost).toBe('0.000005');
  });

  it('covers every case the contract names', () => {
    const rows = expectedCostRows(tokens, CATALOG, { fromMs: base, toMs: base + 4 * HOUR, groupBy: ['model'] });
    const byModel = new Map(rows.map((r) => [r.key.model, r]));
    expect(byModel.get(UNPRICED)?.cost).toBe('0.000000');
    expect(byModel.get(UNPRICED)?.unpricedTokens).toBeGreaterThan(0);
    expect(byModel.get(LLAMA)?.unpricedTokens).toBe(0);
    expect(byModel.get(QWEN)?.unpricedTokens).toBe(0);
    const llama = tokens.filter((e) => e.model === LLAMA && e.node !== EDGE_NODE).map((e) => Date.parse(e.time));
    expect(llama.some((t) => t < PRICE_CHANGE) && llama.some((t) => t >= PRICE_CHANGE)).toBe(true);
    expect(tokens.filter((e) => (e.cachedInputTokens ?? 0) > 0).length).toBeGreaterThan(50);
    expect(tokens.filter((e) => e.status === 'error').length).toBeGreaterThan(10);
  });
});

describe('cost totals', () => {
  const cases: { name: string; from: number; to: number; groupBy: TokenGroupField[] }[] = [
    { name: 'everything', from: base, to: base + 4 * HOUR, groupBy: [] },
    { name: 'everything by tenant', from: base, to: base + 4 * HOUR, groupBy: ['tenant'] },
    { name: 'everything by model and node', from: base, to: base + 4 * HOUR, groupBy: ['model', 'node'] },
    {
      name: 'mid-hour to mid-hour (aligned outward to the minute)',
      from: dataFrom + 30 * MINUTE + 20_000,
      to: base + 2 * HOUR + 41 * MINUTE + 5_000,
      groupBy: [],
    },
    {
      name: 'mid-hour to mid-hour by model',
      from: dataFrom + 30 * MINUTE + 20_000,
      to: base + 2 * HOUR + 41 * MINUTE + 5_000,
      groupBy: ['model'],
    },
    { name: 'entirely before the price change', from: base + 10 * MINUTE, to: PRICE_CHANGE - 5 * MINUTE, groupBy: [] },
    {
      name: 'entirely before the price change by model',
      from: base + 10 * MINUTE,
      to: PRICE_CHANGE,
      groupBy: ['model'],
    },
    {
      name: 'straddling the price change by model and tenant',
      from: PRICE_CHANGE - 30 * MINUTE,
      to: PRICE_CHANGE + 30 * MINUTE,
      groupBy: ['model', 'tenant'],
    },
    {
      name: 'straddling the price change',
      from: PRICE_CHANGE - 47 * MINUTE,
      to: PRICE_CHANGE + 13 * MINUTE,
      groupBy: [],
    },
    { name: 'an empty range', from: base + 3 * HOUR + 10 * MINUTE, to: base + 3 * HOUR + 40 * MINUTE, groupBy: [] },
    {
      name: 'an empty range by tenant',
      from: base + 3 * HOUR + 10 * MINUTE,
      to: base + 3 * HOUR + 40 * MINUTE,
      groupBy: ['tenant'],
    },
  ];

  it.each(cases)('match the dataset: $name', async ({ from, to, groupBy }) => {
    const fromMs = floorTo(from, MINUTE);
    const toMs = Math.ceil(to / MINUTE) * MINUTE;
    const body = await getOk('/v1/costs/totals', withGroupBy({ from: iso(from), to: iso(to) }, groupBy));
    expect(body).toEqual({
      from: iso(fromMs),
      to: iso(toMs),
      currency: 'USD',
      view: 'tokens',
      rows: expectedCostRows(tokens, CATALOG, { fromMs, toMs, groupBy }),
    });
  });

  it('apply filters, price each side of the change hour, and round a half micro-dollar up', async () => {
    const range = { from: iso(base), to: iso(base + 4 * HOUR) };
    const filters: Partial<Record<TokenGroupField, string>>[] = [
      { model: UNPRICED },
      { model: QWEN, tenant: 'acme, "east"' },
      { node: 'node-2' },
    ];
    for (const filter of filters) {
      const body = await getOk('/v1/costs/totals', { ...range, ...filter, groupBy: 'tenant' });
      const subset = tokens.filter((e) => Object.entries(filter).every(([k, v]) => e[k as TokenGroupField] === v));
      expect(subset.length).toBeGreaterThan(0);
      expect(body.rows).toEqual(
        expectedCostRows(subset, CATALOG, { fromMs: base, toMs: base + 4 * HOUR, groupBy: ['tenant'] }),
      );
    }

    const tie = await getOk('/v1/costs/totals', { ...range, node: EDGE_NODE, model: QWEN });
    expect(tie.rows).toEqual([
      { key: {}, inputTokens: 3, cachedInputTokens: 0, outputTokens: 2, unpricedTokens: 0, cost: '0.000005' },
    ]);

    const change = { from: iso(PRICE_CHANGE - MINUTE), to: iso(PRICE_CHANGE + MINUTE), node: EDGE_NODE };
    const both = await getOk('/v1/costs/totals', change);
    expect(both.rows).toEqual([
      {
        key: {},
        inputTokens: 2_000_000,
        cachedInputTokens: 800_000,
        outputTokens: 600_000,
        unpricedTokens: 0,
        cost: '0.715000',
      },
    ]);
    const perMinute = await getOk('/v1/costs/series', { ...change, step: '1m' });
    expect(perMinute.series).toEqual([
      {
        key: {},
        points: [
          {
            t: iso(PRICE_CHANGE - MINUTE),
            ...EDGE_TOKENS,
            unpricedTokens: 0,
            cost: '0.320000',
          },
          { t: iso(PRICE_CHANGE), ...EDGE_TOKENS, unpricedTokens: 0, cost: '0.395000' },
        ],
      },
    ]);
  });

  it('answer the same rows as CSV (RFC 4180) with Accept: text/csv', async () => {
    for (const groupBy of [[], ['tenant', 'model'], ['node', 'tenant']] as TokenGroupField[][]) {
      const params = withGroupBy({ from: iso(dataFrom + 3 * MINUTE), to: iso(base + 3 * HOUR) }, groupBy);
      const json = await getOk('/v1/costs/totals', params);
      const csv = await get(`${openUrl}/v1/costs/totals?${query(params)}`, { accept: 'text/csv' });
      expect(csv.status).toBe(200);
      expect(csv.contentType.toLowerCase()).toBe('text/csv; charset=utf-8');
      const { records, crlfOnly } = parseCsv(csv.text);
      expect(crlfOnly).toBe(true);
      expect(csv.text).toContain('\r\n');
      if (json.view !== 'tokens') throw new Error(`view ${json.view} answered for view=tokens`);
      const numbers = ['inputTokens', 'cachedInputTokens', 'outputTokens', 'unpricedTokens'] as const;
      expect(records).toEqual([
        [...groupBy, 'currency', ...numbers, 'cost'],
        ...json.rows.map((r) => [
          ...groupBy.map((field) => r.key[field]),
          'USD',
          ...numbers.map((n) => String(r[n])),
          r.cost,
        ]),
      ]);
      if (groupBy.includes('tenant')) expect(csv.text).toContain('"acme, ""east"""');
    }
  });
});

describe('cost series', () => {
  it.each([
    { step: '1h', stepMs: HOUR, from: base, to: base + 4 * HOUR, groupBy: ['model'] as TokenGroupField[] },
    {
      step: '1h',
      stepMs: HOUR,
      from: dataFrom + 20 * MINUTE,
      to: base + 3 * HOUR + 5 * MINUTE,
      groupBy: [] as TokenGroupField[],
    },
    { step: '5m', stepMs: 5 * MINUTE, from: base, to: base + 4 * HOUR, groupBy: ['model'] as TokenGroupField[] },
    {
      step: '5m',
      stepMs: 5 * MINUTE,
      from: PRICE_CHANGE - 33 * MINUTE,
      to: PRICE_CHANGE + 27 * MINUTE,
      groupBy: ['model', 'tenant'] as TokenGroupField[],
    },
  ])('matches the dataset at step $step grouped by [$groupBy]', async ({ step, stepMs, from, to, groupBy }) => {
    const fromMs = floorTo(from, stepMs);
    const toMs = Math.ceil(to / stepMs) * stepMs;
    const body = await getOk('/v1/costs/series', withGroupBy({ from: iso(from), to: iso(to), step }, groupBy));
    const series = [...body.series].sort((a, b) => (JSON.stringify(a.key) < JSON.stringify(b.key) ? -1 : 1));
    expect({ ...body, series }).toEqual({
      from: iso(fromMs),
      to: iso(toMs),
      step,
      currency: 'USD',
      view: 'tokens',
      series: expectedCostSeries(tokens, CATALOG, { fromMs, toMs, stepMs, groupBy }),
    });
  });
});

describe('the GPU-priced view (view=gpus)', () => {
  const everything = { fromMs: base, toMs: base + 4 * HOUR };

  it('works out a hand-checked node as by hand', () => {
    // One A100 on node-1 at 2.49 an hour (and energy at 0.15 a kWh) before the price change: an
    // hour with 3,600 J, shared 1 : 2 by two tenants, then an idle hour with 3,600 J more.
    const hour = base;
    const gpu = { node: 'node-1', gpuIndex: 0, gpuModel: A100 };
    const handSamples = [
      buildGpuSample({ ...gpu, time: iso(hour + 10_000), energyJ: 1_000 }),
      buildGpuSample({ ...gpu, time: iso(hour + 20 * MINUTE), energyJ: 4_600 }),
      buildGpuSample({ ...gpu, time: iso(hour + HOUR + 5 * MINUTE), energyJ: 8_200 }),
    ];
    const handTokens = [
      buildTokenUsageEvent({ tenant: 'a', node: 'node-1', time: iso(hour + MINUTE), inputTokens: 1, outputTokens: 0 }),
      buildTokenUsageEvent({
        tenant: 'b',
        node: 'node-1',
        time: iso(hour + 2 * MINUTE),
        inputTokens: 1,
        outputTokens: 1,
      }),
    ];
    expect(gpuHourMicros(CATALOG, gpu, hour)).toBe(2_490_000n);
    expect(gpuHourMicros(CATALOG, gpu, PRICE_CHANGE)).toBe(1_999_999n);
    expect(gpuHourMicros(CATALOG, { node: 'node-2', gpuModel: L4 }, PRICE_CHANGE - 1)).toBeUndefined();
    expect(gpuHourMicros(CATALOG, { node: 'node-2', gpuModel: L4 }, PRICE_CHANGE)).toBe(700_000n);
    expect(gpuHourMicros(CATALOG, { node: 'node-4', gpuModel: H100 }, hour)).toBe(1_250_000n);
    expect(gpuHourMicros(CATALOG, { node: 'node-2', gpuModel: H100 }, hour)).toBe(3_100_000n);
    expect(kWhMicros(CATALOG, hour)).toBe(150_000n);
    expect(kWhMicros(CATALOG, ENERGY_CHANGE)).toBe(210_001n);
    const totals = expectedGpuCostTotals(handTokens, handSamples, CATALOG, {
      fromMs: hour,
      toMs: hour + 2 * HOUR,
      groupBy: ['tenant'],
      fleet: true,
    });
    expect(totals).toEqual({
      rows: [
        { key: { tenant: 'a' }, tokens: 1, gpuCost: '0.830000', energyCost: '0.000050', cost: '0.830050' },
        { key: { tenant: 'b' }, tokens: 2, gpuCost: '1.660000', energyCost: '0.000100', cost: '1.660100' },
      ],
      // The second hour: 2.49, and 0.001 kWh at the new energy price 0.210001 (ENERGY_CHANGE).
      unattributed: { gpuCost: '2.490000', energyCost: '0.000210', cost: '2.490210' },
      unpricedGpuMinutes: 0,
    });
    // A minute bucket is charged a minute of the hour price: 2.49 / 60 = 0.0415.
    const minute = attributeGpus(handTokens, handSamples, CATALOG, [{ startMs: hour, sizeMs: MINUTE }], {
      groupBy: [],
    });
    expect(minute.idle).toEqual([{ startMs: hour, gpuPicos: 41_500_000_000n, energyPicos: 0n }]);
  });

  it('covers every case the contract names', () => {
    const fleet = expectedGpuCostTotals(tokens, samples, CATALOG, { ...everything, groupBy: ['node'], fleet: true });
    const byNode = new Map(fleet.rows.map((r) => [r.key.node, r]));
    expect(byNode.get(EDGE_NODE)?.cost).toBe('0.000000');
    expect(byNode.get(EDGE_NODE)?.tokens).toBeGreaterThan(0);
    expect(byNode.get(IDLE_NODE)).toBeUndefined();
    expect(byNode.get('node-1')?.energyCost).not.toBe('0.000000');
    expect(fleet.unattributed?.cost).not.toBe('0.000000');
    expect(fleet.unpricedGpuMinutes).toBeGreaterThan(0);
    expect(samples.some((s) => s.energyJ === undefined)).toBe(true);
    // Idle minutes on the token nodes too, not only on the idle node.
    const minutes = attributeGpus(tokens, samples, CATALOG, totalsBuckets(dataFrom, base + HOUR), {
      groupBy: [],
      filter: { node: 'node-1' },
    });
    expect(minutes.idle.length).toBeGreaterThan(0);
  });

  const cases: { name: string; from: number; to: number; groupBy: TokenGroupField[] }[] = [
    { name: 'everything', from: base, to: base + 4 * HOUR, groupBy: [] },
    { name: 'everything by tenant', from: base, to: base + 4 * HOUR, groupBy: ['tenant'] },
    { name: 'everything by model and node', from: base, to: base + 4 * HOUR, groupBy: ['model', 'node'] },
    {
      name: 'mid-hour to mid-hour (hours inside, minutes at the ends)',
      from: dataFrom + 30 * MINUTE + 20_000,
      to: base + 2 * HOUR + 41 * MINUTE + 5_000,
      groupBy: [],
    },
    {
      name: 'mid-hour to mid-hour by tenant',
      from: dataFrom + 30 * MINUTE + 20_000,
      to: base + 2 * HOUR + 41 * MINUTE + 5_000,
      groupBy: ['tenant'],
    },
    {
      name: 'straddling the GPU price change, no whole hour inside (minutes only)',
      from: PRICE_CHANGE - 47 * MINUTE,
      to: PRICE_CHANGE + 13 * MINUTE,
      groupBy: ['node'],
    },
    {
      name: 'straddling the GPU price change with whole hours each side',
      from: PRICE_CHANGE - 90 * MINUTE,
      to: PRICE_CHANGE + 75 * MINUTE,
      groupBy: ['tenant', 'node'],
    },
    { name: 'before any data', from: base - 2 * HOUR, to: base, groupBy: [] },
  ];

  it.each(cases)('totals match the dataset: $name', async ({ from, to, groupBy }) => {
    const fromMs = floorTo(from, MINUTE);
    const toMs = Math.ceil(to / MINUTE) * MINUTE;
    const body = await getOk('/v1/costs/totals', withGroupBy({ from: iso(from), to: iso(to), view: 'gpus' }, groupBy));
    expect(body).toEqual({
      from: iso(fromMs),
      to: iso(toMs),
      currency: 'USD',
      view: 'gpus',
      ...expectedGpuCostTotals(tokens, samples, CATALOG, { fromMs, toMs, groupBy, fleet: true }),
    });
  });

  it('totals apply filters, sharing each node over all its tokens', async () => {
    const filters: Partial<Record<TokenGroupField, string>>[] = [
      { tenant: 'tenant-b' },
      { model: QWEN },
      { node: 'node-2' },
    ];
    for (const filter of filters) {
      const params = { from: iso(base), to: iso(base + 4 * HOUR), view: 'gpus', groupBy: 'tenant,model' };
      const body = await getOk('/v1/costs/totals', { ...params, ...filter });
      expect({ filter, body }).toEqual({
        filter,
        body: {
          from: iso(base),
          to: iso(base + 4 * HOUR),
          currency: 'USD',
          view: 'gpus',
          ...expectedGpuCostTotals(tokens, samples, CATALOG, {
            ...everything,
            groupBy: ['tenant', 'model'],
            filter,
            fleet: true,
          }),
        },
      });
    }
  });

  it.each([
    { step: '1h', stepMs: HOUR, from: base, to: base + 4 * HOUR, groupBy: ['tenant'] as TokenGroupField[] },
    {
      step: '1h',
      stepMs: HOUR,
      from: dataFrom + 20 * MINUTE,
      to: base + 3 * HOUR + 5 * MINUTE,
      groupBy: ['model', 'node'] as TokenGroupField[],
    },
    { step: '5m', stepMs: 5 * MINUTE, from: base, to: base + 4 * HOUR, groupBy: [] as TokenGroupField[] },
    {
      step: '5m',
      stepMs: 5 * MINUTE,
      from: PRICE_CHANGE - 33 * MINUTE,
      to: PRICE_CHANGE + 27 * MINUTE,
      groupBy: ['tenant'] as TokenGroupField[],
    },
  ])('series match the dataset at step $step grouped by [$groupBy]', async ({ step, stepMs, from, to, groupBy }) => {
    const fromMs = floorTo(from, stepMs);
    const toMs = Math.ceil(to / stepMs) * stepMs;
    const body = await getOk(
      '/v1/costs/series',
      withGroupBy({ from: iso(from), to: iso(to), step, view: 'gpus' }, groupBy),
    );
    const series = [...body.series].sort((a, b) => (JSON.stringify(a.key) < JSON.stringify(b.key) ? -1 : 1));
    expect({ ...body, series }).toEqual({
      from: iso(fromMs),
      to: iso(toMs),
      step,
      currency: 'USD',
      view: 'gpus',
      ...expectedGpuCostSeries(tokens, samples, CATALOG, { fromMs, toMs, stepMs, groupBy, fleet: true }),
    });
  });

  it('shows a tenant-scoped key only its tenant, shared over every tenant, without the fleet figures', async () => {
    const range = { from: iso(base), to: iso(base + 4 * HOUR), view: 'gpus' };
    const scope = { tenantIn: ['tenant-a'] };
    for (const groupBy of [[], ['tenant'], ['model', 'node']] as TokenGroupField[][]) {
      const totals = await getOk('/v1/costs/totals', withGroupBy(range, groupBy), securedUrl, TENANT_KEY);
      expect(totals).toEqual({
        from: range.from,
        to: range.to,
        currency: 'USD',
        view: 'gpus',
        ...expectedGpuCostTotals(tokens, samples, CATALOG, { ...everything, groupBy, filter: scope, fleet: false }),
      });

      const series = await getOk(
        '/v1/costs/series',
        withGroupBy({ ...range, step: '1h' }, groupBy),
        securedUrl,
        TENANT_KEY,
      );
      const sorted = [...series.series].sort((a, b) => (JSON.stringify(a.key) < JSON.stringify(b.key) ? -1 : 1));
      expect({ ...series, series: sorted }).toEqual({
        from: range.from,
        to: range.to,
        step: '1h',
        currency: 'USD',
        view: 'gpus',
        ...expectedGpuCostSeries(tokens, samples, CATALOG, {
          ...everything,
          stepMs: HOUR,
          groupBy,
          filter: scope,
          fleet: false,
        }),
      });
    }
    // Its row is the all-tenant key's row for tenant-a: shares are taken over every tenant's tokens.
    const own = await getOk('/v1/costs/totals', { ...range, groupBy: 'tenant' }, securedUrl, TENANT_KEY);
    const all = await getOk('/v1/costs/totals', { ...range, groupBy: 'tenant' }, securedUrl, ADMIN_KEY);
    expect(all).toEqual({
      from: range.from,
      to: range.to,
      currency: 'USD',
      view: 'gpus',
      ...expectedGpuCostTotals(tokens, samples, CATALOG, { ...everything, groupBy: ['tenant'], fleet: true }),
    });
    expect(all.rows.length).toBe(TENANTS.length);
    expect(own.rows).toEqual(all.rows.filter((r: { key: TokenKey }) => r.key.tenant === 'tenant-a'));
  });

  it('answers totals as CSV (RFC 4180) without the unattributed cost', async () => {
    for (const groupBy of [[], ['tenant', 'model'], ['node', 'tenant']] as TokenGroupField[][]) {
      const params = withGroupBy({ from: iso(dataFrom + 3 * MINUTE), to: iso(base + 3 * HOUR), view: 'gpus' }, groupBy);
      const csv = await get(`${openUrl}/v1/costs/totals?${query(params)}`, { accept: 'text/csv' });
      expect(csv.status).toBe(200);
      expect(csv.contentType.toLowerCase()).toBe('text/csv; charset=utf-8');
      const { records, crlfOnly } = parseCsv(csv.text);
      expect(crlfOnly).toBe(true);
      const { rows } = expectedGpuCostTotals(tokens, samples, CATALOG, {
        fromMs: dataFrom + 3 * MINUTE,
        toMs: base + 3 * HOUR,
        groupBy,
        fleet: true,
      });
      expect(records).toEqual([
        [...groupBy, 'currency', 'tokens', 'gpuCost', 'energyCost', 'cost'],
        ...rows.map((r) => [
          ...groupBy.map((field) => r.key[field]),
          'USD',
          String(r.tokens),
          r.gpuCost,
          r.energyCost,
          r.cost,
        ]),
      ]);
      if (groupBy.includes('tenant')) expect(csv.text).toContain('"acme, ""east"""');
    }
  });
});

describe('tenant scoping', () => {
  const range = { from: iso(base), to: iso(base + 4 * HOUR) };
  const own = tokens.filter((e) => e.tenant === 'tenant-a');

  it('shows a tenant-scoped key only its tenant, through totals and series', async () => {
    for (const groupBy of [[], ['tenant'], ['model', 'node']] as TokenGroupField[][]) {
      const totals = await getOk('/v1/costs/totals', withGroupBy(range, groupBy), securedUrl, TENANT_KEY);
      expect(totals.rows).toEqual(expectedCostRows(own, CATALOG, { fromMs: base, toMs: base + 4 * HOUR, groupBy }));

      const series = await getOk(
        '/v1/costs/series',
        withGroupBy({ ...range, step: '1h' }, groupBy),
        securedUrl,
        TENANT_KEY,
      );
      const sorted = [...series.series].sort((a, b) => (JSON.stringify(a.key) < JSON.stringify(b.key) ? -1 : 1));
      expect(sorted).toEqual(
        expectedCostSeries(own, CATALOG, { fromMs: base, toMs: base + 4 * HOUR, stepMs: HOUR, groupBy }),
      );
    }
    const byTenant = await getOk('/v1/costs/totals', { ...range, groupBy: 'tenant' }, securedUrl, TENANT_KEY);
    expect(byTenant.rows.map((r) => r.key)).toEqual([{ tenant: 'tenant-a' }]);
    const csv = await get(`${securedUrl}/v1/costs/totals?${query({ ...range, groupBy: 'tenant' })}`, {
      key: TENANT_KEY,
      accept: 'text/csv',
    });
    expect(
      parseCsv(csv.text)
        .records.slice(1)
        .map((r) => r[0]),
    ).toEqual(['tenant-a']);

    // The all-tenant key sees every tenant.
    const all = await getOk('/v1/costs/totals', { ...range, groupBy: 'tenant' }, securedUrl, ADMIN_KEY);
    expect(all.rows).toEqual(
      expectedCostRows(tokens, CATALOG, { fromMs: base, toMs: base + 4 * HOUR, groupBy: ['tenant'] }),
    );
  });

  it('refuses another tenant with 403 problem+json, and a missing key with 401', async () => {
    for (const pathname of [
      `/v1/costs/totals?tenant=tenant-b`,
      `/v1/costs/series?tenant=${encodeURIComponent('acme, "east"')}`,
      `/v1/costs/totals?tenant=tenant-c&groupBy=tenant`,
    ]) {
      const res = await get(`${securedUrl}${pathname}`, { key: TENANT_KEY });
      expect({
        pathname,
        status: res.status,
        type: res.contentType.split(';')[0],
        detail: typeof res.body.detail,
      }).toEqual({ pathname, status: 403, type: 'application/problem+json', detail: 'string' });
    }
    expect((await get(`${securedUrl}/v1/costs/totals`)).status).toBe(401);
    expect((await get(`${securedUrl}/v1/costs/series`, { key: 'not-a-key' })).status).toBe(401);
  });
});

describe('hostile and malformed queries', () => {
  const corpus = [
    '/v1/costs/totals?groupBy=gpu',
    '/v1/costs/totals?groupBy=model,model',
    '/v1/costs/totals?groupBy=%24tenant',
    '/v1/costs/totals?from=2026-12-02T00:00:00Z&to=2026-12-01T00:00:00Z',
    '/v1/costs/totals?from=2026-12-02T00:00:00Z&to=2026-12-02T00:00:00Z',
    '/v1/costs/totals?from=yesterday',
    '/v1/costs/totals?from=2026-12-01T00:00:00',
    '/v1/costs/totals?to=2026-13-01T00:00:00Z',
    '/v1/costs/totals?step=1h',
    '/v1/costs/totals?currency=EUR',
    '/v1/costs/totals?model[$ne]=x',
    '/v1/costs/totals?tenant=a&tenant=b',
    '/v1/costs/totals?__proto__[x]=1',
    '/v1/costs/series?step=2m',
    '/v1/costs/series?step=1w',
    '/v1/costs/series?step=',
    '/v1/costs/series?step=1m&from=2026-01-01T00:00:00Z&to=2026-03-01T00:00:00Z',
    '/v1/costs/series?groupBy=gpu',
    '/v1/costs/series?from=1700000000',
    '/v1/costs/series?node=%0d%0aSet-Cookie:x',
    '/v1/costs/series?constructor=1',
    '/v1/costs/totals?view=bogus',
    '/v1/costs/totals?view=',
    '/v1/costs/totals?view=gpus&view=tokens',
    '/v1/costs/series?view=bogus',
    '/v1/costs/series?view=gpus&groupBy=gpu',
  ];

  it(`answers each of the ${corpus.length} with 400 problem+json, in JSON or CSV`, async () => {
    const outcomes: string[] = [];
    for (const pathname of corpus) {
      for (const accept of [undefined, 'text/csv']) {
        const res = await get(`${openUrl}${pathname}`, accept === undefined ? {} : { accept });
        const type = res.contentType.split(';')[0];
        if (res.status !== 400 || type !== 'application/problem+json' || typeof res.body.detail !== 'string') {
          outcomes.push(`${pathname} (accept ${accept ?? 'none'}) -> ${res.status} ${type}`);
        }
      }
    }
    expect(outcomes).toEqual([]);
    expect((await get(`${openUrl}/health/live`)).status).toBe(200);
  });

  it('names every bad parameter', async () => {
    const res = await get(`${openUrl}/v1/costs/series?step=2m&model[$ne]=x&groupBy=gpu`);
    expect(res.status).toBe(400);
    expect((res.body.errors as { name: string }[]).map((e) => e.name).sort()).toEqual([
      'groupBy',
      'model[$ne]',
      'step',
    ]);
    const totals = await get(`${openUrl}/v1/costs/totals?from=yesterday&foo=1`);
    expect((totals.body.errors as { name: string }[]).map((e) => e.name).sort()).toEqual(['foo', 'from']);
  });
});

describe('month-to-date spend and budget gauges on /metrics', () => {
  const SPEND = 'tokenmeter_cost_month_to_date';
  const BUDGET = 'tokenmeter_cost_budget_monthly';
  const BUDGETED = (CATALOG.budgets ?? []).map((b) => b.tenant);

  it('budgets tenants with usage and one with none, and leaves one with usage unbudgeted', () => {
    expect(BUDGETED).toEqual(['tenant-a', 'acme, "east"', 'nobody']);
    expect(tokens.some((e) => e.tenant === 'tenant-a')).toBe(true);
    expect(tokens.some((e) => e.tenant === 'nobody')).toBe(false);
    expect(tokens.some((e) => e.tenant === 'tenant-b')).toBe(true);
  });

  it('shows each budgeted tenant its token-priced spend since the UTC month start and its budget, without a key', async () => {
    const byTenant = (a: { labels: Record<string, string> }, b: { labels: Record<string, string> }) =>
      (a.labels.tenant ?? '') < (b.labels.tenant ?? '') ? -1 : 1;
    const gauge = (tenant: string, value: number) => ({ labels: { tenant, currency: 'USD' }, value });
    for (const url of [openUrl, securedUrl]) {
      await expectEventually(
        async () => {
          const res = await get(`${url}/metrics`);
          // The API's month is that of its own refresh, just before this answer.
          const nowMs = Date.now();
          expect(res.status).toBe(200);
          const { samples, errors } = parsePrometheusText(res.text);
          expect(errors).toEqual([]);
          const shown = (name: string) =>
            samples
              .filter((s) => s.name === name)
              .map(({ labels, value }) => ({ labels, value }))
              .sort(byTenant);
          // From the events' own times: near a month start part of the dataset is last month's.
          // A budgeted tenant without events this month shows 0; a tenant without a budget, none.
          const monthToDate = expectedMonthToDate(tokens, CATALOG, nowMs);
          const spend = BUDGETED.map((tenant) => gauge(tenant, Number(monthToDate.get(tenant)))).sort(byTenant);
          expect({ url, spend: shown(SPEND), budget: shown(BUDGET) }).toEqual({
            url,
            spend,
            budget: [gauge('acme, "east"', 1000.000001), gauge('nobody', 75.125), gauge('tenant-a', 500)],
          });
          expect(shown(SPEND).find((s) => s.labels.tenant === 'nobody')?.value).toBe(0);
          return monthToDate;
        },
        { timeoutMs: 30_000, intervalMs: 500, description: `cost gauges of ${url}/metrics` },
      );
    }
  });
});

describe('GET /v1/costs/budgets', () => {
  const BUDGETS: Record<string, string> = {
    'tenant-a': '500.000000',
    'acme, "east"': '1000.000001',
    nobody: '75.125000',
  };
  const item = (tenant: string, monthToDate: Map<string, string>) => {
    const budget = BUDGETS[tenant] ?? '';
    const spent = monthToDate.get(tenant) ?? '';
    // Truncated to 2 decimals, from the exact micro-unit figures.
    const micros = (decimal: string) => BigInt(decimal.replace('.', ''));
    return { tenant, budget, monthToDate: spent, usedPct: Number((micros(spent) * 10_000n) / micros(budget)) / 100 };
  };

  it('answers every budgeted tenant with its spend since the UTC month start, the budget and the share used', async () => {
    await expectEventually(
      async () => {
        const before = Date.now();
        const body = await getOk('/v1/costs/budgets', {}, securedUrl, ADMIN_KEY);
        // The month of the answer: the spend is the same for any "now" after the dataset.
        const monthToDate = expectedMonthToDate(tokens, CATALOG, before);
        expect(body).toEqual({
          currency: 'USD',
          month: new Date(before).toISOString().slice(0, 7),
          from: new Date(Date.UTC(new Date(before).getUTCFullYear(), new Date(before).getUTCMonth(), 1)).toISOString(),
          to: expect.any(String) as unknown,
          items: ['acme, "east"', 'nobody', 'tenant-a'].map((tenant) => item(tenant, monthToDate)),
        });
        expect(Date.parse(body.to)).toBeGreaterThanOrEqual(before);
      },
      { timeoutMs: 30_000, intervalMs: 500, description: 'budgets of the admin key' },
    );
  });

  it('shows a tenant key only its own budget', async () => {
    const body = await getOk('/v1/costs/budgets', {}, securedUrl, TENANT_KEY);
    const monthToDate = expectedMonthToDate(tokens, CATALOG, Date.now());
    expect(body.items).toEqual([item('tenant-a', monthToDate)]);
  });

  it('needs a key when keys are on, and refuses any parameter', async () => {
    expect((await get(`${securedUrl}/v1/costs/budgets`)).status).toBe(401);
    const res = await get(`${securedUrl}/v1/costs/budgets?tenant=tenant-b`, { key: TENANT_KEY });
    expect({ status: res.status, type: res.contentType.split(';')[0] }).toEqual({
      status: 400,
      type: 'application/problem+json',
    });
  });
});

describe('the price catalog at boot', () => {
  it('refuses to start on a catalog with a validFrom that is not a whole UTC hour', async () => {
    const bad: PriceCatalog = {
      currency: 'USD',
      models: [{ match: LLAMA, prices: [{ validFrom: '2026-12-01T00:30:00Z', input: '0.20', output: '0.60' }] }],
    };
    const file = path.join(catalogDir, 'bad-prices.json');
    writeFileSync(file, JSON.stringify(bad));
    const exited = await runUntilExit(
      'query-api',
      ports.queryApi + 6,
      { ...queryEnv, PRICE_CATALOG_FILE: file },
      30_000,
    );
    expect(exited.code).not.toBeNull();
    expect(exited.code).not.toBe(0);
    expect(exited.output).toMatch(/validFrom/);
  });
});
