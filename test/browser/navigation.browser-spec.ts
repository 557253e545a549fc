// The console's view state: filters and time ranges go into the URL and into every panel's
// request, and the totals follow them; a shared URL restores the controls; Back restores the
// previous view; an empty range shows `empty` states; an API error shows the problem's text.
import type { Page } from 'playwright-core';
import { expectEventually } from '../support/eventually';
import { floorTo } from '../support/query-expectations';
import type { WatchedPage } from './support/browser';
import {
  cellNumber,
  expectStates,
  FILTERED_BY,
  GPU_PANELS,
  openConsole,
  optionValues,
  panel,
  type PanelName,
  PANELS,
  type Panels,
  RANGED_PANELS,
  readTable,
  requestOf,
  selectedValue,
  settledPanels,
  signIn,
  urlQuery,
} from './support/console-page';
import { DAY, datetimeLocal, expectedTotals, HOUR, rowKey, SUM_FIELDS, type TokenFilter } from './support/dataset';
import { ACME, LLAMA, MISTRAL, QWEN, TENANT_A, TENANT_B, useConsoleStack } from './support/spec-fixture';

const ctx = useConsoleStack('cbr-nav');

const rfc3339 = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

type Filters = { tenant?: string; model?: string; node?: string };

async function openSignedIn(watched: WatchedPage, query = 'refresh=off'): Promise<Panels> {
  const { page } = watched;
  await openConsole(page, ctx.stack.url, query);
  await signIn(watched, ctx.stack.adminKey);
  return settledPanels(page, PANELS, (all) => expectStates(all, ['totals'], 'ready'));
}

/** Every panel's request carries exactly the filters its endpoint has (and no others). */
function expectRequestFilters(all: Panels, filters: Filters): void {
  for (const name of RANGED_PANELS) {
    const { params } = requestOf(all, name);
    for (const field of ['tenant', 'model', 'node'] as const) {
      const applies = (FILTERED_BY[field] as readonly PanelName[]).includes(name);
      const expected = applies ? (filters[field] ?? null) : null;
      if (params.get(field) !== expected) {
        throw new Error(`panel ${name} requested ${field}=${params.get(field)}, expected ${expected}`);
      }
    }
  }
}

/** Waits for all panels to settle with these filters in their requests (and totals ready). */
async function settledWith(page: Page, filters: Filters, description: string): Promise<Panels> {
  return settledPanels(
    page,
    PANELS,
    (all) => {
      expectRequestFilters(all, filters);
      expectStates(all, ['totals'], 'ready');
    },
    description,
  );
}

/** The totals table, keyed by tenant and model, with its cells as numbers. */
async function totalsShown(page: Page): Promise<Map<string, Record<string, number>>> {
  const table = await readTable(page, 'totals-table');
  if (table === null) throw new Error('no totals table');
  return new Map(
    table.rows.map((r) => [
      rowKey(r.tenant ?? '', r.model ?? ''),
      Object.fromEntries(SUM_FIELDS.map((f) => [f, cellNumber(r[f])])),
    ]),
  );
}

/** The totals table equals the seeded sums over the totals request's range with these filters. */
async function expectTotalsOfDataset(page: Page, all: Panels, filter: Omit<TokenFilter, 'fromMs' | 'toMs'>) {
  const answer = await ctx.stack.get(panel(all, 'totals').request as string, ctx.stack.adminKey);
  const { from, to } = answer.body as { from: string; to: string };
  const expected = expectedTotals(ctx.dataset.tokens, { fromMs: Date.parse(from), toMs: Date.parse(to), ...filter });
  expect(expected.size).toBeGreaterThan(0);
  await expectEventually(
    async () => {
      const shown = await totalsShown(page);
      expect(shown).toEqual(
        new Map([...expected].map(([k, row]) => [k, Object.fromEntries(SUM_FIELDS.map((f) => [f, row[f]]))])),
      );
    },
    { timeoutMs: 10_000, intervalMs: 100, description: 'the totals table equal to the seeded sums' },
  );
}

/**
 * Every ranged request of a relative range spans the range and ends at "now": a time between
 * `beforeMs` (down to its whole second, as RFC 3339 without fractions) and `afterMs`.
 */
function expectRelativeFrom(all: Panels, rangeMs: number, beforeMs: number, afterMs: number): void {
  for (const name of RANGED_PANELS) {
    const { params } = requestOf(all, name);
    const fromMs = Date.parse(params.get('from') ?? '');
    const toMs = Date.parse(params.get('to') ?? '');
    expect([name, fromMs >= floorTo(beforeMs - rangeMs, 1_000), fromMs <= afterMs - rangeMs]).toEqual([
      name,
      true,
      true,
    ]);
    expect([name, toMs - fromMs]).toEqual([name, rangeMs]);
  }
}

describe('filters', () => {
  it('the filter lists hold the tenants, models and nodes of the range, sorted, after "all"', async () => {
    const watched = await ctx.newPage();
    const { page } = watched;
    await openSignedIn(watched);
    await expectEventually(
      async () => {
        expect(await optionValues(page, 'filter-tenant')).toEqual(['', ACME, TENANT_A, TENANT_B]);
        expect(await optionValues(page, 'filter-model')).toEqual(['', LLAMA, MISTRAL, QWEN]);
        expect(await optionValues(page, 'filter-node')).toEqual(['', 'node-1', 'node-2']);
      },
      { timeoutMs: 10_000, intervalMs: 100, description: 'the filter options' },
    );
  });

  it('a model, tenant and node chosen go into the URL and every request, the totals follow, Back undoes each', async () => {
    const watched = await ctx.newPage();
    const { page } = watched;
    const initial = await openSignedIn(watched);
    expectRequestFilters(initial, {});
    await expectTotalsOfDataset(page, initial, {});

    await page.locator('select[data-testid="filter-model"]').selectOption(QWEN);
    expect(urlQuery(page).get('model')).toBe(QWEN);
    let all = await settledWith(page, { model: QWEN }, 'panels filtered by model');
    await expectTotalsOfDataset(page, all, { model: QWEN });
    const shown = await totalsShown(page);
    expect([...shown.keys()].map((k) => (JSON.parse(k) as string[])[1])).toEqual([QWEN, QWEN, QWEN]);

    await page.locator('select[data-testid="filter-tenant"]').selectOption(TENANT_B);
    expect(Object.fromEntries(urlQuery(page))).toMatchObject({ model: QWEN, tenant: TENANT_B });
    all = await settledWith(page, { model: QWEN, tenant: TENANT_B }, 'panels filtered by model and tenant');
    await expectTotalsOfDataset(page, all, { model: QWEN, tenant: TENANT_B });
    const costs = await readTable(page, 'costs-table');
    expect(costs?.rows.map((r) => [r.tenant, r.model])).toEqual([[TENANT_B, QWEN]]);

    await page.locator('select[data-testid="filter-node"]').selectOption('node-2');
    expect(Object.fromEntries(urlQuery(page))).toMatchObject({ model: QWEN, tenant: TENANT_B, node: 'node-2' });
    all = await settledWith(page, { model: QWEN, tenant: TENANT_B, node: 'node-2' }, 'panels filtered by all three');
    await expectTotalsOfDataset(page, all, { model: QWEN, tenant: TENANT_B, node: 'node-2' });
    // One GPU series left: node-2's only GPU.
    expect(panel(all, 'gpu-utilization').series).toBe('node-2/0');

    // Back: the node filter goes, then the tenant filter; controls, URL, requests and totals follow.
    await page.goBack();
    all = await settledWith(page, { model: QWEN, tenant: TENANT_B }, 'Back to model and tenant');
    expect(urlQuery(page).get('node')).toBeNull();
    expect(await selectedValue(page, 'filter-node')).toBe('');
    expect(await selectedValue(page, 'filter-tenant')).toBe(TENANT_B);
    await expectTotalsOfDataset(page, all, { model: QWEN, tenant: TENANT_B });

    await page.goBack();
    all = await settledWith(page, { model: QWEN }, 'Back to the model');
    expect(urlQuery(page).get('tenant')).toBeNull();
    expect(await selectedValue(page, 'filter-tenant')).toBe('');
    expect(await selectedValue(page, 'filter-model')).toBe(QWEN);
    await expectTotalsOfDataset(page, all, { model: QWEN });
  });

  it('a shared URL restores range, tenant and model in the controls and the requests', async () => {
    const watched = await ctx.newPage();
    const { page } = watched;
    await openSignedIn(watched);
    const before = Date.now();
    await openConsole(page, ctx.stack.url, `range=7d&tenant=${encodeURIComponent(ACME)}&model=${LLAMA}&refresh=off`);
    // The key is kept for the session: no second sign-in.
    const all = await settledWith(page, { tenant: ACME, model: LLAMA }, 'the shared view');
    expect(await selectedValue(page, 'range')).toBe('7d');
    expect(await selectedValue(page, 'filter-tenant')).toBe(ACME);
    expect(await selectedValue(page, 'filter-model')).toBe(LLAMA);
    expect(await selectedValue(page, 'filter-node')).toBe('');
    expect(await selectedValue(page, 'refresh')).toBe('off');
    expectRelativeFrom(all, 7 * DAY, before, Date.now());
    await expectTotalsOfDataset(page, all, { tenant: ACME, model: LLAMA });
  });

  it('a filter value of a shared URL that the range does not have is kept as an option', async () => {
    const watched = await ctx.newPage();
    const { page } = watched;
    await openConsole(page, ctx.stack.url, 'model=retired-model&refresh=off');
    await signIn(watched, ctx.stack.adminKey);
    const all = await settledPanels(page, PANELS, (a) => expectRequestFilters(a, { model: 'retired-model' }));
    expect(await selectedValue(page, 'filter-model')).toBe('retired-model');
    expect(await optionValues(page, 'filter-model')).toContain('retired-model');
    expectStates(all, ['totals', 'costs', 'tokens-per-second', 'efficiency'], 'empty');
  });

  it('unknown values in the URL fall back to the defaults', async () => {
    const watched = await ctx.newPage();
    const { page } = watched;
    await openConsole(page, ctx.stack.url, 'range=fortnight&refresh=sometimes');
    await signIn(watched, ctx.stack.adminKey);
    const before = Date.now();
    await page.reload();
    const all = await settledPanels(page, PANELS, (a) => expectStates(a, ['totals'], 'ready'));
    expect(await selectedValue(page, 'range')).toBe('24h');
    expect(await selectedValue(page, 'refresh')).toBe('1m');
    expectRelativeFrom(all, DAY, before, Date.now());
  });
  it('the refresh choice goes into the URL, and the default view has an empty query', async () => {
    const watched = await ctx.newPage();
    const { page } = watched;
    await openConsole(page, ctx.stack.url);
    await signIn(watched, ctx.stack.adminKey);
    await settledPanels(page, PANELS, (a) => expectStates(a, ['totals'], 'ready'));
    expect(await selectedValue(page, 'refresh')).toBe('1m');
    expect(new URL(page.url()).search).toBe('');
    await page.locator('select[data-testid="refresh"]').selectOption('5m');
    expect(urlQuery(page).get('refresh')).toBe('5m');
    await page.locator('select[data-testid="refresh"]').selectOption('off');
    expect(urlQuery(page).get('refresh')).toBe('off');
    await page.goBack();
    expect(urlQuery(page).get('refresh')).toBe('5m');
    await expectEventually(async () => expect(await selectedValue(page, 'refresh')).toBe('5m'), {
      timeoutMs: 10_000,
      intervalMs: 100,
      description: 'Back restores the refresh control',
    });
  });
});

describe('time range', () => {
  it('7d and 1h change range= in the URL and every request, and the totals follow', async () => {
    const watched = await ctx.newPage();
    const { page } = watched;
    const initial = await openSignedIn(watched);
    expect(urlQuery(page).get('range')).toBeNull();
    expect(await selectedValue(page, 'range')).toBe('24h');
    const first = requestOf(initial, 'totals').params.get('from');

    let before = Date.now();
    await page.locator('select[data-testid="range"]').selectOption('7d');
    expect(urlQuery(page).get('range')).toBe('7d');
    let all = await settledPanels(page, PANELS, (a) => {
      expect(requestOf(a, 'totals').params.get('from')).not.toBe(first);
      expectStates(a, ['totals'], 'ready');
    });
    expectRelativeFrom(all, 7 * DAY, before, Date.now());
    await expectTotalsOfDataset(page, all, {});

    // The last hour has no data (it ended 2 hours ago): empty panels, budgets unaffected.
    before = Date.now();
    await page.locator('select[data-testid="range"]').selectOption('1h');
    expect(urlQuery(page).get('range')).toBe('1h');
    all = await settledPanels(page, PANELS, (a) => expectStates(a, ['totals'], 'empty'));
    expectRelativeFrom(all, HOUR, before, Date.now());
    expectStates(all, ['totals', 'costs', 'tokens-per-second', ...GPU_PANELS, 'efficiency'], 'empty');
    expectStates(all, ['budgets'], 'ready');
    expect(panel(all, 'totals').message).toMatch(/no data/i);

    await page.goBack();
    expect(urlQuery(page).get('range')).toBe('7d');
    all = await settledPanels(page, PANELS, (a) => expectStates(a, ['totals'], 'ready'));
    expect(await selectedValue(page, 'range')).toBe('7d');
    expect(
      Date.parse(requestOf(all, 'totals').params.get('to') ?? '') -
        Date.parse(requestOf(all, 'totals').params.get('from') ?? ''),
    ).toBe(7 * DAY);
  });

  it('a custom range from the from/to inputs is read as UTC and sent as RFC 3339', async () => {
    const watched = await ctx.newPage();
    const { page } = watched;
    await openSignedIn(watched);
    // One whole hour inside the data: the totals are that hour's events only.
    const fromMs = floorTo(ctx.dataset.fromMs, HOUR) + HOUR;
    const toMs = fromMs + HOUR;
    await page.locator('select[data-testid="range"]').selectOption('custom');
    await page.locator('input[data-testid="from"]').fill(datetimeLocal(fromMs));
    await page.locator('input[data-testid="to"]').fill(datetimeLocal(toMs));
    await page.locator('button[data-testid="apply-range"]').click();

    await expectEventually(() => expect(urlQuery(page).get('range')).toBe('custom'), {
      timeoutMs: 10_000,
      intervalMs: 100,
      description: 'range=custom in the URL',
    });
    const query = urlQuery(page);
    expect(query.get('from')).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    expect([Date.parse(query.get('from') ?? ''), Date.parse(query.get('to') ?? '')]).toEqual([fromMs, toMs]);
    const all = await settledPanels(page, PANELS, (a) => {
      for (const name of RANGED_PANELS) {
        const { params } = requestOf(a, name);
        expect([name, Date.parse(params.get('from') ?? ''), Date.parse(params.get('to') ?? '')]).toEqual([
          name,
          fromMs,
          toMs,
        ]);
      }
      expectStates(a, ['totals'], 'ready');
    });
    await expectTotalsOfDataset(page, all, {});
    const inHour = ctx.dataset.tokens.filter((e) => Date.parse(e.time) >= fromMs && Date.parse(e.time) < toMs);
    expect(inHour.length).toBeLessThan(ctx.dataset.tokens.length);

    // Opened from the URL, the custom range fills the inputs again.
    await page.reload();
    await settledPanels(page, PANELS);
    expect(await selectedValue(page, 'range')).toBe('custom');
    expect(await selectedValue(page, 'from')).toBe(datetimeLocal(fromMs));
    expect(await selectedValue(page, 'to')).toBe(datetimeLocal(toMs));
  });

  it('a range without data shows the empty state in the data panels', async () => {
    const watched = await ctx.newPage();
    const { page } = watched;
    const fromMs = floorTo(Date.now() - 6 * DAY, HOUR);
    await openConsole(
      page,
      ctx.stack.url,
      `range=custom&from=${rfc3339(fromMs)}&to=${rfc3339(fromMs + 2 * HOUR)}&refresh=off`,
    );
    await signIn(watched, ctx.stack.adminKey);
    const all = await settledPanels(page, PANELS);
    expectStates(all, ['totals', 'costs', 'tokens-per-second', ...GPU_PANELS, 'efficiency'], 'empty');
    for (const name of ['totals', 'costs', 'tokens-per-second', 'efficiency'] as const) {
      expect([name, panel(all, name).message.length > 0]).toEqual([name, true]);
    }
    expect((await readTable(page, 'totals-table'))?.rows ?? []).toEqual([]);
    expectStates(all, ['budgets'], 'ready');
  });
});

describe('API errors', () => {
  it('a 400 shows the problem title, detail and each invalid parameter in the panels that asked; the others stay', async () => {
    const watched = await ctx.newPage();
    const { page, allowStatuses } = watched;
    allowStatuses(400);
    // A valid custom range the console accepts but the series endpoints refuse: more than
    // 10,000 points per series even at the coarsest step (1d).
    const fromMs = Date.parse('1990-01-01T00:00:00Z');
    const toMs = floorTo(Date.now(), HOUR);
    await openConsole(page, ctx.stack.url, `range=custom&from=${rfc3339(fromMs)}&to=${rfc3339(toMs)}&refresh=off`);
    await signIn(watched, ctx.stack.adminKey);
    const seriesPanels = ['tokens-per-second', 'requests', 'latency', ...GPU_PANELS, 'efficiency'] as const;
    const all = await settledPanels(page, PANELS, (a) => expectStates(a, seriesPanels, 'error'));
    for (const name of seriesPanels) {
      const answer = await ctx.stack.get(panel(all, name).request as string, ctx.stack.adminKey);
      expect([name, answer.status]).toEqual([name, 400]);
      const problem = answer.body as { title: string; detail: string; errors: { name: string; message: string }[] };
      expect(problem.errors.length).toBeGreaterThan(0);
      const message = panel(all, name).message;
      expect([name, message]).toEqual([name, expect.stringContaining(problem.title)]);
      expect([name, message]).toEqual([name, expect.stringContaining(problem.detail)]);
      for (const e of problem.errors) {
        expect([name, message]).toEqual([name, expect.stringContaining(`${e.name}: ${e.message}`)]);
      }
    }
    // The panels that could answer did: one failing panel never blanks the others.
    expectStates(all, ['totals', 'budgets'], 'ready');
    await expectTotalsOfDataset(page, all, {});
  });
});
