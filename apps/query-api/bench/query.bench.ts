/**
 * `npm run bench:query` — a benchmark, not a test: loads N days (default 30) of rollups for 50
 * token series and 16 GPUs (every minute filled) into a scratch database, as the processor stores
 * them (bucket documents: 1m slots per hour, 1h slots per week, 1d slots per month), plus raw
 * token events for the event listings, starts the built query API on it, and reports p50/p99
 * latency of the main queries next to the same reads done directly with the MongoDB driver, as a
 * ratio. Writes bench/results/query-latest.json.
 *
 *   npm run bench:query -- [--days 30] [--runs 5] [--raw-events 1000000] [--keep]
 *
 * Needs MONGO_URL (scripts/bench/query-bench.sh starts the local servers and sets it).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {
  applySlotChange,
  bucketKey,
  bucketStartMs,
  containerEndMs,
  containerStartMs,
  containerStarts,
  emptySlot,
  encodeSlots,
  gpuRollupId,
  gpuSeriesId,
  type GpuSeriesDocument,
  type Resolution,
  RESOLUTIONS,
  RAW_COLLECTIONS,
  ROLLUP_COLLECTIONS,
  type RollupKind,
  type RollupSlot,
  SERIES_COLLECTIONS,
  SLOT_SCHEMAS,
  type SlotSchema,
  slotIndex,
  tokenRollupId,
  tokenSeriesId,
  type TokenSeriesDocument,
  describeServer,
  dialectFor,
  // The query API's concurrency in the point-read dialect (StorageDialect.findByIds).
  POINT_READ_CONCURRENCY,
} from '@tokenmeter/storage';
import { loadRawEvents, rawPageQueries } from './raw-pages';
import { type Collection, type Document, MongoClient } from 'mongodb';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const value = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number`);
  return value;
}

const DAYS = arg('days', 30);
const RUNS = arg('runs', 5);
/** Raw token events stored for the listing queries, spread over the last day (`make dev` stores 1.7 M a day). */
const RAW_EVENTS = arg('raw-events', 1_000_000);
/** `--db NAME`: use (and keep) that database, loading it only if it holds no data yet. */
const REUSE = process.argv.includes('--db') ? process.argv[process.argv.indexOf('--db') + 1] : undefined;
const KEEP = process.argv.includes('--keep') || REUSE !== undefined;
const MONGO_URL = process.env.MONGO_URL ?? 'mongodb://127.0.0.1:27018/tokenmeter';
const DB = REUSE ?? `tm_bench_query_${Date.now().toString(36)}`;

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1_664_525 + 1_013_904_223) >>> 0;
    return s / 2 ** 32;
  };
}
const random = seeded(4242);

interface TokenSeries {
  tenant: string;
  model: string;
  node: string;
}
const NODES = ['node-0', 'node-1', 'node-2', 'node-3'];
const TOKEN_SERIES: TokenSeries[] = [];
for (let i = 0; TOKEN_SERIES.length < 50; i += 1) {
  TOKEN_SERIES.push({
    tenant: `tenant-${i % 5}`,
    model: `model-${Math.floor(i / 5) % 5}`,
    node: NODES[i % 4] as string,
  });
}
const GPUS = NODES.flatMap((node) => [0, 1, 2, 3].map((gpuIndex) => ({ node, gpuIndex })));

function histogram(center: number, count: number): Record<string, number> {
  const h: Record<string, number> = {};
  for (let i = 0; i < count; i += 1) {
    const key = bucketKey(center + Math.floor(random() * 12) - 6);
    h[key] = (h[key] ?? 0) + 1;
  }
  return h;
}

function tokenMinute(): RollupSlot {
  const requests = 1 + Math.floor(random() * 30);
  const errors = random() < 0.1 ? 1 : 0;
  const input = requests * (200 + Math.floor(random() * 2_000));
  const output = requests * (50 + Math.floor(random() * 500));
  return {
    values: {
      requests,
      errors,
      inputTokens: input,
      outputTokens: output,
      cachedInputTokens: Math.floor(input * 0.1),
      durationMsSum: requests * 1_500,
      durationMsMin: 100,
      durationMsMax: 9_000,
      ttftCount: requests,
      ttftMsSum: requests * 150,
      ttftMsMin: 20,
      ttftMsMax: 900,
    },
    histograms: { durationH: histogram(120, requests), ttftH: histogram(95, requests) },
  };
}

function gpuMinute(energy: { value: number }): RollupSlot {
  const samples = 4;
  const util = 30 + random() * 60;
  const energyJMin = energy.value;
  energy.value += (150 + util * 5) * 60;
  return {
    values: {
      samples,
      // Every sample measured utilisation, as on GPUs without MIG.
      samplesWithoutUtilization: 0,
      utilizationPctSum: util * samples,
      utilizationPctMax: Math.min(100, util + 10),
      memoryUsedMiBSum: 40_000 * samples,
      memoryUsedMiBMax: 60_000,
      powerWSum: (150 + util * 5) * samples,
      powerWMax: 700,
      temperatureCMax: 70,
      energySamples: samples,
      energyJMin,
      energyJMax: energy.value,
    },
    histograms: {},
  };
}

/** Adds one slot into another, as the processor's arithmetic does (sums, minimum, maximum). */
function mergeSlot(schema: SlotSchema, into: RollupSlot, from: RollupSlot): void {
  const counts: Record<string, number> = {};
  const sums: Record<string, number> = {};
  const min: Record<string, number> = {};
  const max: Record<string, number> = {};
  for (const f of schema.counts) if (from.values[f] !== undefined) counts[f] = from.values[f];
  for (const f of schema.sums) if (from.values[f] !== undefined) sums[f] = from.values[f];
  for (const f of schema.mins) if (from.values[f] !== undefined) min[f] = from.values[f];
  for (const f of schema.maxes) if (from.values[f] !== undefined) max[f] = from.values[f];
  for (const [name, h] of Object.entries(from.histograms))
    for (const [k, v] of Object.entries(h)) counts[`${name}.${k}`] = v;
  applySlotChange(into, { counts, sums, min, max });
}

/**
 * The bucket documents of one series: its minutes as the 1m tier, merged into hours (1h) and
 * days (1d), each tier packed into its containers.
 */
function bucketDocuments(
  kind: RollupKind,
  idOf: (resolution: Resolution, containerMs: number) => string,
  identity: Record<string, string | number>,
  minutes: Iterable<[number, RollupSlot]>,
): Document[] {
  const schema = SLOT_SCHEMAS[kind];
  const containers = new Map<string, { resolution: Resolution; start: number; slots: Map<number, RollupSlot> }>();
  for (const [minuteMs, slot] of minutes) {
    for (const resolution of RESOLUTIONS) {
      const start = containerStartMs(resolution, minuteMs);
      const id = idOf(resolution, start);
      let c = containers.get(id);
      if (c === undefined) {
        c = { resolution, start, slots: new Map() };
        containers.set(id, c);
      }
      const index = slotIndex(resolution, bucketStartMs(minuteMs, resolution));
      let into = c.slots.get(index);
      if (into === undefined) {
        into = emptySlot();
        c.slots.set(index, into);
      }
      mergeSlot(schema, into, slot);
    }
  }
  return [...containers].map(([_id, c]) => ({
    _id,
    resolution: c.resolution,
    start: new Date(c.start),
    end: new Date(containerEndMs(c.resolution, c.start)),
    ...identity,
    wm: { p0: 1 },
    v: 1,
    s: encodeSlots(schema, c.slots),
  }));
}

class Loader {
  private buffer: Document[] = [];
  loaded = 0;
  private readonly started = Date.now();
  private lastReport = 0;

  constructor(
    private readonly collection: Collection<Document>,
    private readonly total: number,
    private readonly label: string,
  ) {}

  async add(doc: Document): Promise<void> {
    this.buffer.push(doc);
    if (this.buffer.length >= 200) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.buffer.length === 0) return;
    const docs = this.buffer;
    this.buffer = [];
    await this.collection.insertMany(docs, { ordered: false });
    this.loaded += docs.length;
    const now = Date.now();
    if (now - this.lastReport > 2_000 || this.loaded === this.total) {
      this.lastReport = now;
      const rate = this.loaded / ((now - this.started) / 1000);
      const eta = (this.total - this.loaded) / Math.max(1, rate);
      process.stdout.write(
        `\r  ${this.label}: ${this.loaded.toLocaleString('en')} / ${this.total.toLocaleString('en')} docs, ` +
          `${Math.round(rate).toLocaleString('en')}/s, ETA ${Math.round(eta)} s   `,
      );
    }
  }

  done(): void {
    process.stdout.write('\n');
  }
}

function* minutesOf(fromMs: number, toMs: number, slot: () => RollupSlot): Generator<[number, RollupSlot]> {
  for (let m = fromMs; m < toMs; m += MINUTE) yield [m, slot()];
}

async function load(client: MongoClient, fromMs: number, toMs: number): Promise<{ docs: number; seconds: number }> {
  const db = client.db(DB);
  const started = Date.now();
  const perSeries = (resolution: Resolution) => containerStarts(resolution, fromMs, toMs).length;
  const docsPerSeries = RESOLUTIONS.reduce((n, r) => n + perSeries(r), 0);
  const tokens = new Loader(
    db.collection(ROLLUP_COLLECTIONS.tokens),
    TOKEN_SERIES.length * docsPerSeries,
    'token rollups',
  );
  for (const s of TOKEN_SERIES) {
    const docs = bucketDocuments(
      'tokens',
      (r, t) => tokenRollupId(r, s.tenant, s.model, s.node, t),
      { ...s },
      minutesOf(fromMs, toMs, tokenMinute),
    );
    for (const doc of docs) await tokens.add(doc);
  }
  await tokens.flush();
  tokens.done();
  const gpus = new Loader(db.collection(ROLLUP_COLLECTIONS.gpu), GPUS.length * docsPerSeries, 'GPU rollups');
  for (const g of GPUS) {
    const energy = { value: 1e7 };
    const docs = bucketDocuments(
      'gpu',
      (r, t) => gpuRollupId(r, g.node, g.gpuIndex, t),
      { ...g },
      minutesOf(fromMs, toMs, () => gpuMinute(energy)),
    );
    for (const doc of docs) await gpus.add(doc);
  }
  await gpus.flush();
  gpus.done();
  const firstHour = new Date(fromMs);
  const lastHour = new Date(toMs - HOUR);
  await db
    .collection<TokenSeriesDocument>(SERIES_COLLECTIONS.tokens)
    .insertMany(
      TOKEN_SERIES.map((s) => ({ _id: tokenSeriesId(s.tenant, s.model, s.node), ...s, firstHour, lastHour })),
    );
  await db.collection<GpuSeriesDocument>(SERIES_COLLECTIONS.gpu).insertMany(
    GPUS.map((g) => ({
      _id: gpuSeriesId(g.node, g.gpuIndex),
      ...g,
      firstHour,
      lastHour,
      lastSeen: new Date(toMs - 1),
    })),
  );
  return { docs: tokens.loaded + gpus.loaded, seconds: (Date.now() - started) / 1000 };
}

/** The reads the API does for a query, done directly with the driver (point reads by `_id`). */
async function pointReads(client: MongoClient, collection: string, ids: string[]): Promise<number> {
  const c = client.db(DB).collection<{ _id: string }>(collection);
  let found = 0;
  for (let i = 0; i < ids.length; i += POINT_READ_CONCURRENCY) {
    const docs = await Promise.all(
      ids.slice(i, i + POINT_READ_CONCURRENCY).map((_id) => c.findOne({ _id }, { projection: { wm: 0 } })),
    );
    found += docs.filter((d) => d !== null).length;
  }
  return found;
}

/** One query's measurements in bench/results/query-latest.json. */
interface QueryRow {
  query: string;
  apiP50Ms: number;
  apiP99Ms: number;
  directP50Ms: number;
  directP99Ms: number;
  ratioP50: number;
  responseBytes: number;
}

interface Query {
  name: string;
  path: string;
  /**
   * `dashboard`: the panels' queries (`results`, the 250 ms p99 target of docs/PERFORMANCE.md);
   * `report`: cost reports, run on demand (`costs`, measured without that target).
   */
  kind: 'dashboard' | 'report';
  /** The same reads with the driver: registry scan + bucket document point reads. */
  direct: (client: MongoClient) => Promise<number>;
}

/** The pieces a totals query reads (apps/query-api/src/series/series.service.ts coveringPieces). */
function totalsPieces(fromMs: number, toMs: number): [Resolution, number, number][] {
  const h1 = Math.ceil(fromMs / HOUR) * HOUR;
  const h2 = Math.floor(toMs / HOUR) * HOUR;
  const d1 = Math.ceil(h1 / DAY) * DAY;
  const d2 = Math.floor(h2 / DAY) * DAY;
  return (
    [
      ['1m', fromMs, h1],
      ['1h', h1, d1],
      ['1d', d1, d2],
      ['1h', d2, h2],
      ['1m', h2, toMs],
    ] as [Resolution, number, number][]
  ).filter(([, a, b]) => a < b);
}

function queries(endMs: number): Query[] {
  const iso = (ms: number) => new Date(ms).toISOString();
  const registry = async (client: MongoClient, name: string) => client.db(DB).collection(name).find({}).toArray();
  const tokenIds = (series: TokenSeries[], resolution: Resolution, fromMs: number, toMs: number) =>
    series.flatMap((s) =>
      containerStarts(resolution, fromMs, toMs).map((t) => tokenRollupId(resolution, s.tenant, s.model, s.node, t)),
    );
  const gpuIds = (gpus: typeof GPUS, resolution: Resolution, fromMs: number, toMs: number) =>
    gpus.flatMap((g) =>
      containerStarts(resolution, fromMs, toMs).map((t) => gpuRollupId(resolution, g.node, g.gpuIndex, t)),
    );
  const model0 = TOKEN_SERIES.filter((s) => s.model === 'model-0');
  const node0Gpus = GPUS.filter((g) => g.node === 'node-0');
  const last6h = endMs - 6 * HOUR;
  const last24h = endMs - DAY;
  const last7d = endMs - 7 * DAY;
  const all = endMs - DAYS * DAY;
  return [
    {
      name: 'tokens/series 6h step=5m model=model-0 (10 series, 1m buckets)',
      path: `/v1/tokens/series?from=${iso(last6h)}&to=${iso(endMs)}&step=5m&model=model-0`,
      kind: 'dashboard',
      direct: async (c) =>
        (await registry(c, SERIES_COLLECTIONS.tokens)).length +
        (await pointReads(c, ROLLUP_COLLECTIONS.tokens, tokenIds(model0, '1m', last6h, endMs))),
    },
    {
      name: 'tokens/series 7d step=1h groupBy=model (50 series, 1h buckets)',
      path: `/v1/tokens/series?from=${iso(last7d)}&to=${iso(endMs)}&step=1h&groupBy=model`,
      kind: 'dashboard',
      direct: async (c) =>
        (await registry(c, SERIES_COLLECTIONS.tokens)).length +
        (await pointReads(c, ROLLUP_COLLECTIONS.tokens, tokenIds(TOKEN_SERIES, '1h', last7d, endMs))),
    },
    {
      name: `tokens/totals ${DAYS}d groupBy=tenant (50 series, 1d/1h/1m buckets)`,
      path: `/v1/tokens/totals?from=${iso(all)}&to=${iso(endMs)}&groupBy=tenant`,
      kind: 'dashboard',
      direct: async (c) =>
        (await registry(c, SERIES_COLLECTIONS.tokens)).length +
        (await pointReads(c, ROLLUP_COLLECTIONS.tokens, [
          ...new Set(totalsPieces(all, endMs).flatMap(([r, a, b]) => tokenIds(TOKEN_SERIES, r, a, b))),
        ])),
    },
    {
      name: 'gpus/series 24h step=15m node=node-0 (4 GPUs, 1m buckets)',
      path: `/v1/gpus/series?from=${iso(last24h)}&to=${iso(endMs)}&step=15m&node=node-0`,
      kind: 'dashboard',
      direct: async (c) =>
        (await registry(c, SERIES_COLLECTIONS.gpu)).length +
        (await pointReads(c, ROLLUP_COLLECTIONS.gpu, gpuIds(node0Gpus, '1m', last24h - MINUTE, endMs))),
    },
    {
      name: 'gpus (inventory of 16 GPUs)',
      path: '/v1/gpus',
      kind: 'dashboard',
      direct: async (c) => (await registry(c, SERIES_COLLECTIONS.gpu)).length,
    },
    {
      name: 'efficiency 24h step=1h (50 series + 16 GPUs, 1h buckets)',
      path: `/v1/efficiency?from=${iso(last24h)}&to=${iso(endMs)}&step=1h`,
      kind: 'dashboard',
      direct: async (c) =>
        (await registry(c, SERIES_COLLECTIONS.tokens)).length +
        (await registry(c, SERIES_COLLECTIONS.gpu)).length +
        (await pointReads(c, ROLLUP_COLLECTIONS.tokens, tokenIds(TOKEN_SERIES, '1h', last24h, endMs))) +
        (await pointReads(c, ROLLUP_COLLECTIONS.gpu, gpuIds(GPUS, '1h', last24h - HOUR, endMs))),
    },
    {
      // The bench catalog's price change is at a midnight, so the pieces are those of tokens/totals.
      name: `costs/totals ${DAYS}d groupBy=tenant view=tokens (50 series, 1d/1h/1m buckets)`,
      path: `/v1/costs/totals?from=${iso(all)}&to=${iso(endMs)}&groupBy=tenant`,
      kind: 'report',
      direct: async (c) =>
        (await registry(c, SERIES_COLLECTIONS.tokens)).length +
        (await pointReads(c, ROLLUP_COLLECTIONS.tokens, [
          ...new Set(totalsPieces(all, endMs).flatMap(([r, a, b]) => tokenIds(TOKEN_SERIES, r, a, b))),
        ])),
    },
    {
      // GPU-priced cost is attributed per hour: hour buckets of every token series and GPU.
      name: `costs/totals ${DAYS}d groupBy=tenant view=gpus (50 series + 16 GPUs, 1h buckets)`,
      path: `/v1/costs/totals?from=${iso(all)}&to=${iso(endMs)}&groupBy=tenant&view=gpus`,
      kind: 'report',
      direct: async (c) =>
        (await registry(c, SERIES_COLLECTIONS.tokens)).length +
        (await registry(c, SERIES_COLLECTIONS.gpu)).length +
        (await pointReads(c, ROLLUP_COLLECTIONS.tokens, tokenIds(TOKEN_SERIES, '1h', all, endMs))) +
        (await pointReads(c, ROLLUP_COLLECTIONS.gpu, gpuIds(GPUS, '1h', all - HOUR, endMs))),
    },
  ];
}

/**
 * The price catalog the bench's query API runs with: every model and GPU priced, one token price
 * change at the midnight in the middle of the range.
 */
function benchCatalog(fromMs: number, endMs: number): string {
  const start = new Date(Math.floor(fromMs / DAY) * DAY - DAY).toISOString();
  const change = new Date(Math.floor((fromMs + endMs) / 2 / DAY) * DAY).toISOString();
  const catalog = {
    currency: 'USD',
    models: [
      {
        match: 'model-*',
        prices: [
          { validFrom: start, input: '0.20', output: '0.60', cachedInput: '0.05' },
          { validFrom: change, input: '0.25', output: '0.75', cachedInput: '0.05' },
        ],
      },
    ],
    gpus: [{ match: { node: '*' }, prices: [{ validFrom: start, perGpuHour: '2.40' }] }],
    energy: [{ validFrom: start, perKWh: '0.15' }],
  };
  const file = path.join(os.tmpdir(), `tm-bench-catalog-${process.pid}.json`);
  writeFileSync(file, JSON.stringify(catalog));
  return file;
}

function percentile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1] ?? Number.NaN;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

async function startQueryApi(port: number, priceCatalogFile: string): Promise<ChildProcess> {
  const entry = path.join(ROOT, 'dist', 'apps', 'query-api', 'apps', 'query-api', 'src', 'main.js');
  const child = spawn(process.execPath, [entry], {
    env: {
      ...process.env,
      MONGO_URL,
      MONGO_DB: DB,
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: String(port),
      QUERY_RATE_LIMIT_PER_MINUTE: '0',
      LOG_LEVEL: 'warn',
      PRICE_CATALOG_FILE: priceCatalogFile,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`query API exited with ${child.exitCode} (is dist/ built?)`);
    const ok = await fetch(`http://127.0.0.1:${port}/health/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return child;
    if (Date.now() > deadline) throw new Error('query API not ready within 60 s');
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function main(): Promise<void> {
  const client = new MongoClient(MONGO_URL, { maxPoolSize: 32 });
  await client.connect();
  const info = await client.db('admin').command({ buildInfo: 1 });
  const server = describeServer(info);
  // A reused database (--db) keeps the range it was loaded with: the series registry says which.
  const existing = (await client
    .db(DB)
    .collection(SERIES_COLLECTIONS.tokens)
    .findOne({})) as unknown as TokenSeriesDocument | null;
  const endMs = existing === null ? Math.floor(Date.now() / HOUR) * HOUR : existing.lastHour.getTime() + HOUR;
  const fromMs = endMs - DAYS * DAY;
  console.log(`bench:query — ${DAYS} days, 50 token series, 16 GPUs, ${RUNS} runs per query, on ${server} (${DB})`);
  let child: ChildProcess | undefined;
  try {
    let loaded: { docs: number; seconds: number };
    if (existing === null) {
      loaded = await load(client, fromMs, endMs);
      console.log(`  loaded ${loaded.docs.toLocaleString('en')} rollup documents in ${loaded.seconds.toFixed(0)} s`);
    } else {
      const first = existing.firstHour.getTime();
      if (first !== fromMs)
        throw new Error(`--db ${DB} holds ${(endMs - first) / DAY} days of data, not --days ${DAYS}: load a new one`);
      loaded = {
        docs:
          (await client.db(DB).collection(ROLLUP_COLLECTIONS.tokens).countDocuments()) +
          (await client.db(DB).collection(ROLLUP_COLLECTIONS.gpu).countDocuments()),
        seconds: 0,
      };
      console.log(`  reusing ${DB}: ${loaded.docs.toLocaleString('en')} rollup documents`);
    }
    const storedRaw = await client.db(DB).collection(RAW_COLLECTIONS.tokens).estimatedDocumentCount();
    if (storedRaw < RAW_EVENTS) {
      if (storedRaw > 0)
        throw new Error(`--db ${DB} holds ${storedRaw} raw events, fewer than --raw-events: load a new one`);
      const raw = await loadRawEvents(client, DB, {
        events: RAW_EVENTS,
        fromMs: endMs - DAY,
        toMs: endMs,
        dialect: dialectFor(info),
      });
      console.log(
        `  loaded ${RAW_EVENTS.toLocaleString('en')} raw events (${raw.docs.toLocaleString('en')} documents) in ${raw.seconds.toFixed(0)} s`,
      );
    }
    const rawEvents = await client.db(DB).collection(RAW_COLLECTIONS.tokens).countDocuments();
    const port = await freePort();
    child = await startQueryApi(port, benchCatalog(fromMs, endMs));
    const results: QueryRow[] = [];
    const costs: QueryRow[] = [];
    for (const q of queries(endMs)) {
      const api: number[] = [];
      const direct: number[] = [];
      let body = '';
      for (let run = 0; run <= RUNS; run += 1) {
        let t = performance.now();
        const res = await fetch(`http://127.0.0.1:${port}${q.path}`);
        body = await res.text();
        if (res.status !== 200) throw new Error(`${q.path} answered ${res.status}: ${body.slice(0, 300)}`);
        const apiMs = performance.now() - t;
        t = performance.now();
        await q.direct(client);
        const directMs = performance.now() - t;
        if (run > 0) {
          // run 0 warms caches and connections
          api.push(apiMs);
          direct.push(directMs);
        }
      }
      const row: QueryRow = {
        query: q.name,
        apiP50Ms: Math.round(percentile(api, 0.5)),
        apiP99Ms: Math.round(percentile(api, 0.99)),
        directP50Ms: Math.round(percentile(direct, 0.5)),
        directP99Ms: Math.round(percentile(direct, 0.99)),
        ratioP50: Number((percentile(api, 0.5) / percentile(direct, 0.5)).toFixed(2)),
        responseBytes: body.length,
      };
      (q.kind === 'report' ? costs : results).push(row);
      console.log(
        `  ${row.query}\n    API p50 ${row.apiP50Ms} ms, p99 ${row.apiP99Ms} ms | driver p50 ${row.directP50Ms} ms, ` +
          `p99 ${row.directP99Ms} ms | API/driver ${row.ratioP50}x | ${row.responseBytes} bytes`,
      );
    }
    const rawPages = [];
    for (const q of rawPageQueries(endMs)) {
      const pages: number[] = [];
      let items = 0;
      for (let run = 0; run <= RUNS; run += 1) {
        let url = `http://127.0.0.1:${port}${q.path}`;
        for (let page = 0; page <= q.follow; page += 1) {
          const t = performance.now();
          const res = await fetch(url);
          const body = (await res.json()) as { items?: unknown[]; nextCursor?: string | null };
          if (res.status !== 200)
            throw new Error(`${url} answered ${res.status}: ${JSON.stringify(body).slice(0, 300)}`);
          if (run > 0) pages.push(performance.now() - t);
          if (run === 1) items += body.items?.length ?? 0;
          if (typeof body.nextCursor !== 'string') break;
          url = `http://127.0.0.1:${port}${q.path}&cursor=${encodeURIComponent(body.nextCursor)}`;
        }
      }
      const row = {
        query: q.name,
        pagesTimed: pages.length,
        itemsPerRun: items,
        apiP50Ms: Math.round(percentile(pages, 0.5)),
        apiP99Ms: Math.round(percentile(pages, 0.99)),
      };
      rawPages.push(row);
      console.log(
        `  ${row.query}\n    API p50 ${row.apiP50Ms} ms, p99 ${row.apiP99Ms} ms per page | ${row.itemsPerRun} items over ${q.follow + 1} pages`,
      );
    }
    const output = {
      takenAt: new Date().toISOString(),
      machine: {
        cpu: os.cpus()[0]?.model ?? 'unknown',
        cores: os.cpus().length,
        memoryGiB: Math.round(os.totalmem() / 2 ** 30),
        os: `${os.type()} ${os.release()}`,
        node: process.version,
      },
      server,
      dataset: {
        days: DAYS,
        tokenSeries: TOKEN_SERIES.length,
        gpus: GPUS.length,
        rollupDocuments: loaded.docs,
        rawEvents,
      },
      runsPerQuery: RUNS,
      /** Dashboard queries: the target is an API p99 of at most 250 ms each. */
      results,
      /** Cost reports (/v1/costs), with the bench's price catalog (benchCatalog). */
      costs,
      /** Raw-event pages (limit=100, a one-hour range of the last day's events, then nextCursor). */
      rawEvents: { stored: rawEvents, pages: rawPages },
    };
    const dir = path.join(ROOT, 'bench', 'results');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'query-latest.json'), `${JSON.stringify(output, null, 2)}\n`);
    console.log(`  wrote bench/results/query-latest.json`);
  } finally {
    child?.kill('SIGTERM');
    if (!KEEP)
      await client
        .db(DB)
        .dropDatabase()
        .catch(() => undefined);
    await client.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
