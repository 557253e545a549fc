// Writes the console screenshots of the docs from a real stack:
//   node -r @swc-node/register test/browser/screenshots.ts
// Starts Kafka and FerretDB if needed (as the test tiers do), then processor, producer and query
// API from dist/ (build first: `npx nest build <app>`, `npm run build:console`), posts 24 hours
// of traffic of several tenants, models and nodes with 4 GPUs, and saves, at 1440×900 with the
// whole page: docs/screenshots/console-light.png and console-dark.png (all-tenant key) and
// console-tenant-light.png (a key for one tenant). Stops everything it started, also on failure.
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { expectedMonthToDate, type PriceCatalog } from '../support/cost-expectations';
import { expectEventually } from '../support/eventually';
import { launchChromium, newWatchedPage, type WatchedPage } from './support/browser';
import { expectStates, openConsole, PANELS, type PanelName, settledPanels, signIn } from './support/console-page';
import { type ConsoleStack, startConsoleStack } from './support/console-stack';
import { buildDataset, DAY, HOUR, MINUTE } from './support/dataset';

const ROOT = path.resolve(__dirname, '..', '..');
const OUT = path.join(ROOT, 'docs', 'screenshots');
const VIEWPORT = { width: 1440, height: 900 };

const TENANTS = ['acme', 'globex', 'initech', 'umbrella', 'hooli'];
const TENANT_OF_KEY = 'acme';
const MODELS = ['llama-3.1-8b', 'llama-3.1-70b', 'qwen2.5-72b', 'mistral-7b'];
const GPUS = [
  { node: 'gpu-node-1', gpuIndex: 0, gpuModel: 'NVIDIA H100 80GB HBM3', loadScale: 1 },
  { node: 'gpu-node-1', gpuIndex: 1, gpuModel: 'NVIDIA H100 80GB HBM3', loadScale: 0.8 },
  { node: 'gpu-node-2', gpuIndex: 0, gpuModel: 'NVIDIA A100-SXM4-80GB', loadScale: 0.6 },
  { node: 'gpu-node-3', gpuIndex: 0, gpuModel: 'NVIDIA L40S', loadScale: 0.4 },
];

const log = (line: string) => console.log(`[screenshots ${new Date().toISOString().slice(11, 19)}] ${line}`);

/** A working day: quiet at night (UTC), busiest in the afternoon, with some jitter. */
function dailyLoad(timeMs: number): number {
  const hour = (timeMs % DAY) / HOUR;
  const daily = 0.5 - 0.5 * Math.cos((2 * Math.PI * (hour - 3)) / 24);
  const wobble = 0.08 * Math.sin(timeMs / (17 * MINUTE)) + 0.05 * Math.sin(timeMs / (5 * MINUTE));
  return Math.min(1, Math.max(0.05, 0.2 + 0.75 * daily + wobble));
}

function catalogWithBudgets(spentByTenant: Map<string, string>): PriceCatalog {
  // Budgets that put the tenants at about 45 %, 85 % (a warning) and 110 % (over) of their month.
  const budgetFor = (tenant: string, share: number) =>
    (Math.max(0.01, Number(spentByTenant.get(tenant) ?? '0') / share) + 0.005).toFixed(2);
  return {
    currency: 'USD',
    models: [
      {
        match: 'llama-3.1-8b',
        prices: [{ validFrom: '2026-01-01T00:00:00Z', input: '0.20', output: '0.60', cachedInput: '0.05' }],
      },
      {
        match: 'llama-3.1-70b',
        prices: [{ validFrom: '2026-01-01T00:00:00Z', input: '0.90', output: '2.70', cachedInput: '0.20' }],
      },
      { match: 'qwen*', prices: [{ validFrom: '2026-01-01T00:00:00Z', input: '0.90', output: '0.90' }] },
      { match: 'mistral-7b', prices: [{ validFrom: '2026-01-01T00:00:00Z', input: '0.15', output: '0.45' }] },
    ],
    gpus: [
      { match: { gpuModel: 'NVIDIA H100*' }, prices: [{ validFrom: '2026-01-01T00:00:00Z', perGpuHour: '2.40' }] },
      { match: { gpuModel: 'NVIDIA A100*' }, prices: [{ validFrom: '2026-01-01T00:00:00Z', perGpuHour: '1.60' }] },
      { match: { gpuModel: 'NVIDIA L40S' }, prices: [{ validFrom: '2026-01-01T00:00:00Z', perGpuHour: '0.90' }] },
    ],
    energy: [{ validFrom: '2026-01-01T00:00:00Z', perKWh: '0.30' }],
    budgets: [
      { tenant: 'acme', monthly: budgetFor('acme', 0.45) },
      { tenant: 'globex', monthly: budgetFor('globex', 0.85) },
      { tenant: 'initech', monthly: budgetFor('initech', 1.1) },
    ],
  };
}

async function setTheme(page: Page, theme: 'light' | 'dark'): Promise<void> {
  const button = page.locator('button[data-testid="theme"]');
  for (let i = 0; i < 3; i += 1) {
    if ((await page.evaluate<string | null>('document.documentElement.dataset.theme ?? null')) === theme) break;
    await button.click();
  }
  const applied = await page.evaluate<string | null>('document.documentElement.dataset.theme ?? null');
  if (applied !== theme) throw new Error(`the theme button never set data-theme="${theme}" (it is "${applied}")`);
  // Charts are redrawn on theme change: let two frames pass before the picture.
  await page.evaluate('new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)))');
}

async function shoot(
  browser: Browser,
  stack: ConsoleStack,
  key: string,
  expectReady: readonly PanelName[],
  shots: { theme: 'light' | 'dark'; file: string }[],
): Promise<void> {
  const watched: WatchedPage = await newWatchedPage(browser, {
    viewport: VIEWPORT,
    colorScheme: 'light',
    timezoneId: 'UTC',
    locale: 'en-US',
  });
  watched.allowStatuses(403); // a tenant key's GPU and efficiency panels
  try {
    await openConsole(watched.page, stack.url, 'refresh=off');
    await signIn(watched, key);
    await settledPanels(watched.page, PANELS, (all) => expectStates(all, expectReady, 'ready'), 'panels ready');
    await expectEventually(
      async () => {
        const charts = await watched.page.locator('[data-role="chart"] canvas').count();
        if (charts === 0) throw new Error('no chart drawn yet');
      },
      { timeoutMs: 30_000, intervalMs: 200, description: 'charts drawn' },
    );
    for (const shot of shots) {
      await setTheme(watched.page, shot.theme);
      const file = path.join(OUT, shot.file);
      await watched.page.screenshot({ path: file, fullPage: true, animations: 'disabled' });
      log(`wrote ${path.relative(ROOT, file)}`);
    }
    const problems = watched.problems();
    if (problems.length > 0) log(`the console reported problems:\n  ${problems.join('\n  ')}`);
  } finally {
    await watched.close();
  }
}

async function main(): Promise<void> {
  const globalSetup = createRequire(__filename)('../support/global-setup.js') as () => Promise<void>;
  log('starting Kafka and FerretDB if needed');
  await globalSetup();

  const nowMs = Date.now();
  const dataset = buildDataset({
    idPrefix: `shots-${nowMs.toString(36)}`,
    seed: 424242,
    // The last 24 hours but a few minutes at each end, so all of it is inside the console's range.
    fromMs: nowMs - DAY + 10 * MINUTE,
    toMs: nowMs - 2 * MINUTE,
    tokenEvents: 24_000,
    tenants: TENANTS,
    models: MODELS,
    gpus: GPUS,
    sampleEveryMs: MINUTE,
    load: dailyLoad,
  });
  // The budgets are set from the dataset's own month-to-date spend (priced without budgets).
  const spent = expectedMonthToDate(dataset.tokens, catalogWithBudgets(new Map()), nowMs);
  const catalog = catalogWithBudgets(spent);

  let stack: ConsoleStack | null = null;
  let browser: Browser | null = null;
  const stopAll = async () => {
    await browser?.close().catch(() => undefined);
    browser = null;
    if (stack !== null) {
      log('stopping the services');
      const running = stack;
      stack = null;
      await running.stop();
    }
  };
  process.once('SIGINT', () => {
    log('interrupted');
    void stopAll().finally(() => process.exit(130));
  });
  try {
    browser = await launchChromium();
    stack = await startConsoleStack({
      name: 'shots',
      dataset,
      catalog,
      tenantKeyTenants: [TENANT_OF_KEY],
      seedTimeoutMs: 600_000,
      progress: log,
    });
    mkdirSync(OUT, { recursive: true });
    const everything: PanelName[] = PANELS.filter((p) => p !== 'budgets');
    await shoot(
      browser,
      stack,
      stack.adminKey,
      [...everything, 'budgets'],
      [
        { theme: 'light', file: 'console-light.png' },
        { theme: 'dark', file: 'console-dark.png' },
      ],
    );
    await shoot(
      browser,
      stack,
      stack.tenantKey,
      ['tokens-per-second', 'requests', 'latency', 'totals', 'costs', 'budgets'],
      [{ theme: 'light', file: 'console-tenant-light.png' }],
    );
  } finally {
    await stopAll();
  }
  log('done');
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exitCode = 1;
});
