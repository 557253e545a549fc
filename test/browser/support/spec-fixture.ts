// The dataset, price catalog and keys every browser spec runs on, and the per-file lifecycle:
// one stack and one Chromium per spec file, a fresh browser context per test, and after each
// test the check that no CSP violation, page error or console error happened.
import type { Browser } from 'playwright-core';
import type { PriceCatalog } from '../../support/cost-expectations';
import { floorTo } from '../../support/query-expectations';
import { launchChromium, newWatchedPage, type WatchedPage } from './browser';
import { type ConsoleStack, startConsoleStack } from './console-stack';
import { buildDataset, type Dataset, HOUR, MINUTE } from './dataset';

export const LLAMA = 'llama-3.1-8b';
export const QWEN = 'qwen2.5-72b';
/** No catalog entry: its tokens are unpriced. */
export const MISTRAL = 'mistral-7b';
/** A tenant whose name needs quoting in CSV. */
export const ACME = 'acme, "east"';
export const TENANT_A = 'tenant-a';
export const TENANT_B = 'tenant-b';

/**
 * 2 h 43 min of traffic from 7 minutes past the hour that began 5 to 6 hours ago: well inside
 * the default 24 h range (and 7 d), and at least 2 hours before now, so the last hour is empty.
 */
export function specDataset(idPrefix: string, nowMs = Date.now()): Dataset {
  const base = floorTo(nowMs - 5 * HOUR, HOUR);
  return buildDataset({
    idPrefix,
    seed: 20261207,
    fromMs: base + 7 * MINUTE,
    toMs: base + 2 * HOUR + 50 * MINUTE,
    tokenEvents: 360,
    tenants: [TENANT_A, TENANT_B, ACME],
    models: [LLAMA, QWEN, MISTRAL],
    gpus: [
      { node: 'node-1', gpuIndex: 0, gpuModel: 'NVIDIA A100-SXM4-80GB' },
      { node: 'node-1', gpuIndex: 1, gpuModel: 'NVIDIA A100-SXM4-80GB' },
      { node: 'node-2', gpuIndex: 0, gpuModel: 'NVIDIA H100 80GB HBM3' },
    ],
    // Two samples a minute: the 1-minute buckets of the 24 h view measure energy.
    sampleEveryMs: 30_000,
  });
}

export const CATALOG: PriceCatalog = {
  currency: 'USD',
  models: [
    {
      match: LLAMA,
      prices: [{ validFrom: '2026-01-01T00:00:00Z', input: '0.20', output: '0.60', cachedInput: '0.05' }],
    },
    { match: 'qwen*', prices: [{ validFrom: '2026-01-01T00:00:00Z', input: '0.90', output: '0.90' }] },
  ],
  gpus: [{ match: { gpuModel: 'NVIDIA*' }, prices: [{ validFrom: '2026-01-01T00:00:00Z', perGpuHour: '2.40' }] }],
  energy: [{ validFrom: '2026-01-01T00:00:00Z', perKWh: '0.30' }],
  // tenant-b has no budget: the budgets panel never lists it.
  budgets: [
    { tenant: TENANT_A, monthly: '500.00' },
    { tenant: ACME, monthly: '0.50' },
  ],
};

/** The single tenant of the tenant key. */
export const KEY_TENANTS = [TENANT_A];

/** What a spec file runs on; the getters throw until beforeAll has run. */
export class SpecContext {
  stackOrNull: ConsoleStack | null = null;
  datasetOrNull: Dataset | null = null;
  browserOrNull: Browser | null = null;
  readonly pages: WatchedPage[] = [];

  get stack(): ConsoleStack {
    if (this.stackOrNull === null) throw new Error('the console stack did not start (see beforeAll)');
    return this.stackOrNull;
  }

  get dataset(): Dataset {
    if (this.datasetOrNull === null) throw new Error('no dataset (see beforeAll)');
    return this.datasetOrNull;
  }

  /** A watched page in a fresh browser context (so with a fresh sessionStorage). */
  async newPage(opts?: Parameters<typeof newWatchedPage>[1]): Promise<WatchedPage> {
    if (this.browserOrNull === null) throw new Error('Chromium did not start (see beforeAll)');
    const watched = await newWatchedPage(this.browserOrNull, opts);
    this.pages.push(watched);
    return watched;
  }
}

/**
 * Registers beforeAll/afterEach/afterAll for a spec file: one stack and one Chromium for the
 * file; after each test, its pages are closed and must have seen no CSP violation, page error
 * or console error.
 */
export function useConsoleStack(name: string): SpecContext {
  const ctx = new SpecContext();
  beforeAll(async () => {
    ctx.browserOrNull = await launchChromium();
    ctx.datasetOrNull = specDataset(`${name}-${Date.now().toString(36)}`);
    ctx.stackOrNull = await startConsoleStack({
      name,
      dataset: ctx.datasetOrNull,
      catalog: CATALOG,
      tenantKeyTenants: KEY_TENANTS,
    });
  }, 300_000);
  afterEach(async () => {
    const problems = ctx.pages.flatMap((p) => p.problems());
    await Promise.all(ctx.pages.map((p) => p.close()));
    ctx.pages.length = 0;
    expect(problems).toEqual([]);
  });
  afterAll(async () => {
    await ctx.browserOrNull?.close();
    await ctx.stackOrNull?.stop();
  });
  return ctx;
}
