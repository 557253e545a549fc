// The console's charts and efficiency table for an all-tenant key: each chart plots the series
// its endpoint answers (data-series labels), charts follow the window's size, the efficiency
// table is the API's per-node/model sums, and the range label shows the API's aligned range.
import type { Page } from 'playwright-core';
import { expectEventually } from '../support/eventually';
import type { WatchedPage } from './support/browser';
import {
  cellNumber,
  CHART_PANELS,
  expectStates,
  GPU_PANELS,
  openConsole,
  panel,
  PANELS,
  type Panels,
  readTable,
  requestOf,
  settledPanels,
  signIn,
} from './support/console-page';
import { useConsoleStack } from './support/spec-fixture';

const ctx = useConsoleStack('cbr-charts');

async function openSignedIn(watched: WatchedPage): Promise<Panels> {
  await openConsole(watched.page, ctx.stack.url, 'refresh=off');
  await signIn(watched, ctx.stack.adminKey);
  return settledPanels(watched.page, PANELS, (all) => expectStates(all, [...CHART_PANELS, 'totals'], 'ready'));
}

const sorted = (labels: string | null) => (labels ?? '').split('|').sort();

async function chartWidth(page: Page, name: string): Promise<number> {
  const box = await page.locator(`[data-panel="${name}"] [data-role="chart"] canvas`).first().boundingBox();
  if (box === null) throw new Error(`no chart canvas in panel ${name}`);
  return box.width;
}

/** `shown` is `exact` rounded to the decimals `shown` has (en-US text). */
function expectRounded(what: string, shown: string | undefined, exact: number): void {
  const decimals = (shown ?? '').split('.')[1]?.length ?? 0;
  const difference = Math.abs(cellNumber(shown) - exact);
  expect([what, shown, difference <= 0.5 * 10 ** -decimals + 1e-9]).toEqual([what, shown, true]);
}

describe('the charts', () => {
  it('plot one series per model, GPU and node/model, and the request and latency series', async () => {
    const watched = await ctx.newPage();
    const all = await openSignedIn(watched);
    const { tokens, samples } = ctx.dataset;
    expect(sorted(panel(all, 'tokens-per-second').series)).toEqual([...new Set(tokens.map((e) => e.model))].sort());
    expect(panel(all, 'requests').series).toBe('requests|errors');
    expect(panel(all, 'latency').series).toBe('ttft p50|ttft p95|ttft p99|duration p50|duration p95|duration p99');
    const gpus = [...new Set(samples.map((s) => `${s.node}/${s.gpuIndex}`))].sort();
    for (const name of GPU_PANELS) expect([name, sorted(panel(all, name).series)]).toEqual([name, gpus]);
    expect(sorted(panel(all, 'efficiency').series)).toEqual(
      [...new Set(tokens.map((e) => `${e.node}/${e.model}`))].sort(),
    );
    // uPlot drew each of them.
    for (const name of CHART_PANELS) {
      expect([
        name,
        await watched.page.locator(`[data-panel="${name}"] [data-role="chart"] .uplot canvas`).count(),
      ]).toEqual([name, 1]);
    }
  });

  it('follow the window size', async () => {
    const watched = await ctx.newPage({ viewport: { width: 1920, height: 1080 } });
    await openSignedIn(watched);
    const wide = await chartWidth(watched.page, 'tokens-per-second');
    await watched.page.setViewportSize({ width: 1280, height: 800 });
    await expectEventually(async () => expect(await chartWidth(watched.page, 'tokens-per-second')).toBeLessThan(wide), {
      timeoutMs: 10_000,
      intervalMs: 100,
      description: 'the chart narrower in a narrower window',
    });
  });
});

describe('the efficiency table', () => {
  it('sums tokens and energy of /v1/efficiency per node and model; tokens per joule is their ratio', async () => {
    const watched = await ctx.newPage();
    const all = await openSignedIn(watched);
    const answer = await ctx.stack.get(panel(all, 'efficiency').request as string, ctx.stack.adminKey);
    expect(answer.status).toBe(200);
    const { series } = answer.body as {
      series: { key: { node: string; model: string }; points: { tokens: number; energyJ: number | null }[] }[];
    };
    const expected = new Map(
      series.map(({ key, points }) => [
        `${key.node}/${key.model}`,
        {
          tokens: points.reduce((n, p) => n + p.tokens, 0),
          energyJ: points.reduce((n, p) => n + (p.energyJ ?? 0), 0),
        },
      ]),
    );
    // The API's tokens are the seeded ones (input + output) of each node and model.
    for (const [key, sums] of expected) {
      const seeded = ctx.dataset.tokens
        .filter((e) => `${e.node}/${e.model}` === key)
        .reduce((n, e) => n + e.inputTokens + e.outputTokens, 0);
      expect([key, sums.tokens]).toEqual([key, seeded]);
    }

    const table = await readTable(watched.page, 'efficiency-table');
    expect(table?.rows.length).toBe(expected.size);
    for (const row of table?.rows ?? []) {
      const key = `${row.node}/${row.model}`;
      const sums = expected.get(key);
      if (sums === undefined) throw new Error(`the efficiency table shows ${key}, which the API has not`);
      expect([key, cellNumber(row.tokens)]).toEqual([key, sums.tokens]);
      expect(sums.energyJ).toBeGreaterThan(0);
      expectRounded(`${key} energyJ`, row.energyJ, sums.energyJ);
      expectRounded(`${key} tokensPerJoule`, row.tokensPerJoule, sums.tokens / sums.energyJ);
    }
  });
});

describe('auto-refresh', () => {
  it('reloads the panels every 30 s, keeping their data on screen (aria-busy) meanwhile', async () => {
    const watched = await ctx.newPage();
    const { page } = watched;
    await openConsole(page, ctx.stack.url, 'refresh=30s');
    await signIn(watched, ctx.stack.adminKey);
    const first = await settledPanels(page, PANELS, (all) => expectStates(all, ['totals'], 'ready'));
    // Record what the totals panel shows each time it turns busy.
    await page.evaluate(`(() => {
      const el = document.querySelector('[data-panel="totals"]');
      window.busyLog = [];
      new MutationObserver(() => {
        if (el.getAttribute('aria-busy') === 'true') {
          window.busyLog.push({ state: el.dataset.state, rows: el.querySelectorAll('tbody tr').length });
        }
      }).observe(el, { attributes: true, attributeFilter: ['aria-busy'] });
    })()`);
    const firstTo = requestOf(first, 'totals').params.get('to');
    const refreshed = await expectEventually(
      async () => {
        const all = await settledPanels(page, ['totals']);
        expect(requestOf(all, 'totals').params.get('to')).not.toBe(firstTo);
        return all;
      },
      { timeoutMs: 90_000, intervalMs: 250, description: 'a refresh with a new range end' },
    );
    expectStates(refreshed, ['totals'], 'ready');
    const busyLog = await page.evaluate<{ state: string; rows: number }[]>('window.busyLog');
    expect(busyLog.length).toBeGreaterThan(0);
    // Busy, it still showed its 9 rows (3 tenants × 3 models), never a blank or loading table.
    for (const seen of busyLog) expect(seen).toEqual({ state: 'ready', rows: 9 });
  });
});

describe('the range label', () => {
  it('shows the range the API answered for, in UTC', async () => {
    const watched = await ctx.newPage();
    const all = await openSignedIn(watched);
    const answer = await ctx.stack.get(panel(all, 'totals').request as string, ctx.stack.adminKey);
    const { from, to } = answer.body as { from: string; to: string };
    const minute = (iso: string) => iso.slice(0, 16).replace('T', ' ');
    const label = ((await watched.page.locator('[data-testid="range-label"]').textContent()) ?? '').trim();
    expect(label).toContain(minute(from));
    expect(label).toContain(minute(to));
    expect(label).toMatch(/UTC/);
  });
});
