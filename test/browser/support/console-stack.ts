// The services behind the console for the browser tier and the screenshot script: processor,
// producer and query API started from dist/ with their own database, topics and ports; an
// all-tenant key and a key for some tenants; a price catalog with budgets; a dataset posted
// through the producer's HTTP API, and a wait until the query API counts every event and sample
// at each resolution the console's panels read (1-minute, 1-hour and 1-day rollups).
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { hashApiKey } from '@tokenmeter/telemetry';
import type { PriceCatalog } from '../../support/cost-expectations';
import { runId, serverEnv } from '../../support/env';
import { expectEventually } from '../../support/eventually';
import { floorTo } from '../../support/query-expectations';
import { portBlock, type RunningService, startService, stopService } from '../../support/services';
import { DAY, type Dataset, HOUR, MINUTE } from './dataset';
import { dropDatabase } from '../../support/mongo-test-utils';

export interface ApiAnswer {
  status: number;
  body: unknown;
  text: string;
}

export interface ConsoleStack {
  /** The query API, which serves the console at `/`. */
  url: string;
  adminKey: string;
  /** A key for `tenantKeyTenants` only. */
  tenantKey: string;
  tenantKeyTenants: readonly string[];
  logDir: string;
  /**
   * Starts another query API on the same data, without API_KEYS (authentication off) and, when
   * asked, without the price catalog; its URL.
   */
  startOpenQueryApi(opts?: { catalog: boolean }): Promise<string>;
  /** GET a path with query (e.g. a panel's `data-request`) from the query API. */
  get(pathAndQuery: string, key?: string): Promise<ApiAnswer>;
  stop(): Promise<void>;
}

export interface ConsoleStackOptions {
  /** Short name for the log folder, database and topics. */
  name: string;
  dataset: Dataset;
  catalog: PriceCatalog;
  tenantKeyTenants: readonly string[];
  /** How long the processor may take to store the dataset. */
  seedTimeoutMs?: number;
  progress?: (line: string) => void;
}

const ROOT = path.resolve(__dirname, '..', '..', '..');

export async function startConsoleStack(opts: ConsoleStackOptions): Promise<ConsoleStack> {
  const progress = opts.progress ?? (() => undefined);
  const id = runId();
  const dbName = `tm_${opts.name}_${id}`;
  const { kafkaBrokers, mongoUrl } = serverEnv();
  const ports = portBlock();
  const logDir = path.join(ROOT, '.local', 'test-logs', `${opts.name}-${id}`);
  const adminKey = `tm_${opts.name}_admin_${randomUUID()}`;
  const tenantKey = `tm_${opts.name}_tenant_${randomUUID()}`;
  const catalogDir = mkdtempSync(path.join(tmpdir(), `tm-${opts.name}-`));
  const catalogFile = path.join(catalogDir, 'prices.json');
  writeFileSync(catalogFile, JSON.stringify(opts.catalog, null, 2));
  const env = {
    KAFKA_BROKERS: kafkaBrokers,
    MONGO_URL: mongoUrl,
    MONGO_DB: dbName,
    KAFKA_TOPIC_TOKENS: `${opts.name}-${id}.tokens`,
    KAFKA_TOPIC_GPU: `${opts.name}-${id}.gpu`,
    KAFKA_TOPIC_DLQ: `${opts.name}-${id}.dlq`,
    KAFKA_TOPIC_PARTITIONS: '3',
    PROCESSOR_GROUP_PREFIX: `${opts.name}-${id}`,
    // The console sends several requests per view; the tests must never meet a 429.
    QUERY_RATE_LIMIT_PER_MINUTE: '0',
    LOG_LEVEL: 'info',
  };
  const queryEnv = {
    ...env,
    PRICE_CATALOG_FILE: catalogFile,
    API_KEYS: [
      `sha256:${hashApiKey(tenantKey)}=${opts.tenantKeyTenants.join('|')}`,
      `sha256:${hashApiKey(adminKey)}=*`,
    ].join(';'),
  };

  const services: RunningService[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(services.map((s) => stopService(s)));
    services.length = 0;
    await dropDatabase(mongoUrl, dbName).catch(() => undefined);
    rmSync(catalogDir, { recursive: true, force: true });
  };

  try {
    progress(`starting processor, producer and query API (logs in ${path.relative(ROOT, logDir)})`);
    const started = await Promise.allSettled([
      startService('processor', ports.processor, env, logDir),
      startService('producer', ports.producer, env, logDir),
      startService('query-api', ports.queryApi, queryEnv, logDir),
    ]);
    for (const s of started) if (s.status === 'fulfilled') services.push(s.value);
    const failed = started.find((s) => s.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
    const [, producer, queryApi] = services as [RunningService, RunningService, RunningService];

    const get = async (pathAndQuery: string, key?: string): Promise<ApiAnswer> => {
      const res = await fetch(`${queryApi.baseUrl}${pathAndQuery}`, {
        headers: key === undefined ? {} : { authorization: `Bearer ${key}` },
      });
      const text = await res.text();
      let body: unknown;
      try {
        body = JSON.parse(text) as unknown;
      } catch {
        body = undefined;
      }
      return { status: res.status, body, text };
    };

    progress(`posting ${opts.dataset.tokens.length} token events and ${opts.dataset.samples.length} GPU samples`);
    await post(producer.baseUrl, '/v1/tokens', opts.dataset.tokens);
    await post(producer.baseUrl, '/v1/gpus', opts.dataset.samples);
    await waitUntilStored(opts.dataset, adminKey, get, opts.seedTimeoutMs ?? 180_000, progress);
    progress('every event and sample is stored and rolled up');
    let extraPorts = 0;
    const startOpenQueryApi = async ({ catalog } = { catalog: true }): Promise<string> => {
      const { API_KEYS: _keys, PRICE_CATALOG_FILE: _catalog, ...openEnv } = queryEnv;
      extraPorts += 1;
      const open = await startService(
        'query-api',
        ports.queryApi + extraPorts,
        catalog ? { ...openEnv, PRICE_CATALOG_FILE: catalogFile } : openEnv,
        path.join(logDir, `open-${extraPorts}`),
      );
      services.push(open);
      return open.baseUrl;
    };
    return {
      url: queryApi.baseUrl,
      startOpenQueryApi,
      adminKey,
      tenantKey,
      tenantKeyTenants: opts.tenantKeyTenants,
      logDir,
      get,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function post(producerUrl: string, pathname: string, items: readonly unknown[]): Promise<void> {
  for (let i = 0; i < items.length; i += 500) {
    const res = await fetch(`${producerUrl}${pathname}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(items.slice(i, i + 500)),
    });
    if (res.status !== 202) throw new Error(`POST ${pathname} answered ${res.status}: ${await res.text()}`);
  }
}

const iso = (ms: number) => new Date(ms).toISOString();

interface CountedRows {
  rows?: { requests: number }[];
  series?: { points: { requests?: number; samples?: number }[] }[];
}

/**
 * Polls until the query API counts the whole dataset over ranges that read each rollup
 * resolution: totals over whole hours (1-hour rollups), from a minute past the hour (1-minute
 * rollups for the partial hour), over the last 7 days (1-day rollups for whole days), and token
 * and GPU series at 1h and 5m steps.
 */
async function waitUntilStored(
  dataset: Dataset,
  adminKey: string,
  get: (pathAndQuery: string, key?: string) => Promise<ApiAnswer>,
  timeoutMs: number,
  progress: (line: string) => void,
): Promise<void> {
  const fromMs = floorTo(dataset.fromMs, HOUR);
  const toMs = floorTo(dataset.toMs, HOUR) + HOUR;
  const tokensIn = (a: number, b: number) =>
    dataset.tokens.filter((e) => Date.parse(e.time) >= a && Date.parse(e.time) < b).length;
  const body = async (pathname: string, params: Record<string, string>): Promise<CountedRows> => {
    const answer = await get(`${pathname}?${new URLSearchParams(params).toString()}`, adminKey);
    if (answer.status !== 200) throw new Error(`${pathname} answered ${answer.status}: ${answer.text}`);
    return answer.body as CountedRows;
  };
  const requests = (b: CountedRows) =>
    (b.rows ?? []).reduce((n, r) => n + r.requests, 0) +
    (b.series ?? []).flatMap((s) => s.points).reduce((n, p) => n + (p.requests ?? 0), 0);
  const samples = (b: CountedRows) =>
    (b.series ?? []).flatMap((s) => s.points).reduce((n, p) => n + (p.samples ?? 0), 0);
  let last = '';
  await expectEventually(
    async () => {
      const nowMs = Date.now();
      const checks: [string, number, number][] = [
        [
          'totals by hour',
          requests(await body('/v1/tokens/totals', { from: iso(fromMs), to: iso(toMs) })),
          tokensIn(fromMs, toMs),
        ],
        [
          'totals by minute',
          requests(await body('/v1/tokens/totals', { from: iso(fromMs + MINUTE), to: iso(toMs) })),
          tokensIn(fromMs + MINUTE, toMs),
        ],
        [
          'totals by day',
          requests(await body('/v1/tokens/totals', { from: iso(nowMs - 7 * DAY), to: iso(nowMs) })),
          tokensIn(nowMs - 7 * DAY, nowMs),
        ],
        ...(await Promise.all(
          (['1h', '5m'] as const).map(async (step): Promise<[string, number, number]> => [
            `token series ${step}`,
            requests(await body('/v1/tokens/series', { from: iso(fromMs), to: iso(toMs), step })),
            dataset.tokens.length,
          ]),
        )),
        ...(await Promise.all(
          (['1h', '5m'] as const).map(async (step): Promise<[string, number, number]> => [
            `GPU series ${step}`,
            samples(await body('/v1/gpus/series', { from: iso(fromMs), to: iso(toMs), step })),
            dataset.samples.length,
          ]),
        )),
      ];
      const report = checks.map(([name, got, want]) => `${name} ${got}/${want}`).join(', ');
      if (report !== last) progress(`stored: ${report}`);
      last = report;
      if (checks.some(([, got, want]) => got !== want)) throw new Error(report);
    },
    { timeoutMs, intervalMs: 1_000, description: 'the dataset stored and rolled up' },
  );
}
