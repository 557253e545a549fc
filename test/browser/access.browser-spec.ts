// Who sees what in the console: the key dialog (a wrong key refused with the API's detail and no
// data shown, a right key kept in sessionStorage only, sign-out), a tenant key limited to its
// tenant in every panel and refused the fleet-wide GPU and efficiency panels with the API's
// message, the costs and budgets an all-tenant key sees; and the page's CSP.
import type { Page } from 'playwright-core';
import { expectedCostRows, expectedMonthToDate } from '../support/cost-expectations';
import { expectEventually } from '../support/eventually';
import {
  cellNumber,
  expectStates,
  GPU_PANELS,
  openConsole,
  optionValues,
  panel,
  panels,
  PANELS,
  readTable,
  settledPanels,
  signIn,
  submitKey,
} from './support/console-page';
import { expectedTotals, SUM_FIELDS } from './support/dataset';
import { ACME, CATALOG, KEY_TENANTS, TENANT_A, useConsoleStack } from './support/spec-fixture';

const ctx = useConsoleStack('cbr-access');

interface Problem {
  title: string;
  detail: string;
}

interface CostsAnswer {
  from: string;
  to: string;
  currency: string;
  rows: { key: { tenant: string; model: string }; [figure: string]: unknown }[];
}

describe('the API key dialog', () => {
  it('refuses a wrong key with the API detail and shows no data; takes a right one into sessionStorage only', async () => {
    const watched = await ctx.newPage();
    const { page, allowStatuses } = watched;
    allowStatuses(401);
    await openConsole(page, ctx.stack.url, 'refresh=off');

    const form = page.locator('form[data-testid="key-form"]');
    await form.waitFor({ state: 'visible' });
    const input = page.getByLabel('API key', { exact: true });
    expect(await input.getAttribute('data-testid')).toBe('key-input');
    expect(await input.getAttribute('type')).toBe('password');
    expect(await form.locator('button[type="submit"], input[type="submit"]').count()).toBe(1);
    const focusInForm = `document.querySelector('[data-testid="key-form"]').contains(document.activeElement)`;
    await expectEventually(async () => expect(await page.evaluate<boolean>(focusInForm)).toBe(true), {
      timeoutMs: 10_000,
      intervalMs: 100,
      description: 'focus moved into the key dialog',
    });
    // The dialog traps focus: Tab and Shift+Tab stay inside it.
    for (const key of ['Tab', 'Tab', 'Tab', 'Tab', 'Shift+Tab', 'Shift+Tab', 'Shift+Tab']) {
      await page.keyboard.press(key);
      expect([key, await page.evaluate<boolean>(focusInForm)]).toEqual([key, true]);
    }

    const wrongKey = 'tm_not_a_key_of_this_api';
    await submitKey(page, wrongKey);
    const refused = await ctx.stack.get('/v1/tokens/totals', wrongKey);
    expect(refused.status).toBe(401);
    const { detail } = refused.body as Problem;
    const error = page.locator('[data-testid="key-error"]');
    await expectEventually(
      async () => {
        const text = ((await error.textContent()) ?? '').trim();
        expect(text.startsWith('The API key was not accepted.')).toBe(true);
        expect(text).toContain(detail);
      },
      { timeoutMs: 10_000, intervalMs: 100, description: 'the key error' },
    );
    expect(await error.isVisible()).toBe(true);
    expect(await form.isVisible()).toBe(true);
    expect(await page.evaluate<string | null>("sessionStorage.getItem('tokenmeter.apiKey')")).toBeNull();
    // No data anywhere: no panel ready, no row in any table.
    const all = await panels(page);
    expect(PANELS.filter((name) => all[name]?.state === 'ready')).toEqual([]);
    for (const table of ['totals-table', 'costs-table', 'efficiency-table']) {
      expect([table, (await readTable(page, table))?.rows.length ?? 0]).toEqual([table, 0]);
    }

    await signIn(watched, ctx.stack.adminKey);
    await settledPanels(page, PANELS, (a) => expectStates(a, ['totals', ...GPU_PANELS], 'ready'));
    expect(await page.evaluate<string | null>("sessionStorage.getItem('tokenmeter.apiKey')")).toBe(ctx.stack.adminKey);
    const elsewhere = await page.evaluate<string>(
      'JSON.stringify(Object.keys(localStorage).map((k) => localStorage.getItem(k))) + document.cookie',
    );
    expect(elsewhere).not.toContain(ctx.stack.adminKey);
    expect(await page.evaluate<string>('document.cookie')).toBe('');

    // Sign out: the key is forgotten and asked for again.
    const signOut = page.locator('button[data-testid="sign-out"]');
    expect(await signOut.isVisible()).toBe(true);
    await signOut.click();
    await form.waitFor({ state: 'visible' });
    expect(await page.evaluate<string | null>("sessionStorage.getItem('tokenmeter.apiKey')")).toBeNull();
  });

  it('keeps the key for the browser tab: a reload needs no new sign-in', async () => {
    const watched = await ctx.newPage();
    const { page } = watched;
    await openConsole(page, ctx.stack.url, 'refresh=off');
    await signIn(watched, ctx.stack.adminKey);
    await page.reload();
    await settledPanels(page, PANELS, (a) => expectStates(a, ['totals'], 'ready'));
    expect(await page.locator('form[data-testid="key-form"]').isVisible()).toBe(false);
  });

  it('is never shown when the API has no keys; without a price catalog costs and budgets are empty', async () => {
    const openUrl = await ctx.stack.startOpenQueryApi({ catalog: false });
    const watched = await ctx.newPage();
    const { page, allowStatuses } = watched;
    allowStatuses(404); // the cost endpoints without a catalog
    await openConsole(page, openUrl, 'refresh=off');
    const all = await settledPanels(page, PANELS, (a) =>
      expectStates(a, ['totals', ...GPU_PANELS, 'efficiency'], 'ready'),
    );
    expect(await page.locator('form[data-testid="key-form"]').isVisible()).toBe(false);
    expect(await page.locator('button[data-testid="sign-out"]').isVisible()).toBe(false);
    expect(await page.evaluate<string | null>("sessionStorage.getItem('tokenmeter.apiKey')")).toBeNull();

    expectStates(all, ['costs', 'budgets'], 'empty');
    const noCatalog = await fetch(`${openUrl}${panel(all, 'costs').request as string}`);
    expect(noCatalog.status).toBe(404);
    const { detail } = (await noCatalog.json()) as Problem;
    expect(panel(all, 'costs').message).toContain(detail);
  });
});

describe('a tenant key', () => {
  it('sees only its tenant in the filter, totals, costs and budgets, and the fleet panels are forbidden', async () => {
    const watched = await ctx.newPage();
    const { page, allowStatuses } = watched;
    allowStatuses(401, 403);
    const key = ctx.stack.tenantKey;
    await openConsole(page, ctx.stack.url, 'refresh=off');
    await signIn(watched, key);
    const all = await settledPanels(page, PANELS, (a) => expectStates(a, ['totals', 'costs'], 'ready'));

    await expectEventually(
      async () => expect(await optionValues(page, 'filter-tenant')).toEqual(['', ...KEY_TENANTS]),
      { timeoutMs: 10_000, intervalMs: 100, description: 'only the key’s tenant to choose' },
    );

    // Totals: the API's rows for this key, which are the seeded sums of its tenant only.
    const totals = await ctx.stack.get(panel(all, 'totals').request as string, key);
    expect(totals.status).toBe(200);
    const { from, to } = totals.body as { from: string; to: string };
    const expected = expectedTotals(ctx.dataset.tokens, {
      fromMs: Date.parse(from),
      toMs: Date.parse(to),
      tenantIn: KEY_TENANTS,
    });
    const totalsTable = await readTable(page, 'totals-table');
    expect(totalsTable?.rows.map((r) => r.tenant)).toEqual([TENANT_A, TENANT_A, TENANT_A]);
    expect(
      new Map(
        totalsTable?.rows.map((r) => [
          JSON.stringify([r.tenant, r.model]),
          Object.fromEntries(SUM_FIELDS.map((f) => [f, cellNumber(r[f])])),
        ]),
      ),
    ).toEqual(new Map([...expected].map(([k, row]) => [k, Object.fromEntries(SUM_FIELDS.map((f) => [f, row[f]]))])));

    const costs = await readTable(page, 'costs-table');
    expect(costs?.rows.length).toBeGreaterThan(0);
    expect(new Set(costs?.rows.map((r) => r.tenant))).toEqual(new Set([TENANT_A]));

    // GPU and efficiency data are fleet-wide: forbidden, with the API's own words.
    const refused = await ctx.stack.get(panel(all, 'gpu-utilization').request as string, key);
    expect(refused.status).toBe(403);
    const { detail } = refused.body as Problem;
    expectStates(all, [...GPU_PANELS, 'efficiency'], 'forbidden');
    for (const name of [...GPU_PANELS, 'efficiency'] as const) {
      expect([name, panel(all, name).message]).toEqual([name, expect.stringContaining(detail)]);
    }

    expectStates(all, ['budgets'], 'ready');
    expect(await budgetCells(page, 'tenant')).toEqual([TENANT_A]);
  });
});

/** The budgets panel's `td[data-col=C]` texts, whatever element holds its rows. */
async function budgetCells(page: Page, col: string): Promise<string[]> {
  return page.evaluate<string[]>(
    `[...document.querySelectorAll('[data-panel="budgets"] [data-col=${JSON.stringify(col)}]')]` +
      `.filter((el) => el.tagName !== 'TH').map((el) => (el.textContent ?? '').trim())`,
  );
}

describe('an all-tenant key', () => {
  it('sees every tenant’s costs as the catalog prices them, and every budgeted tenant', async () => {
    const watched = await ctx.newPage();
    const { page, allowStatuses } = watched;
    allowStatuses(401);
    await openConsole(page, ctx.stack.url, 'refresh=off');
    await signIn(watched, ctx.stack.adminKey);
    const all = await settledPanels(page, PANELS, (a) => expectStates(a, ['costs', 'budgets'], 'ready'));

    const answer = await ctx.stack.get(panel(all, 'costs').request as string, ctx.stack.adminKey);
    expect(answer.status).toBe(200);
    const body = answer.body as CostsAnswer;
    const expected = expectedCostRows(ctx.dataset.tokens, CATALOG, {
      fromMs: Date.parse(body.from),
      toMs: Date.parse(body.to),
      groupBy: ['tenant', 'model'],
    });
    const costs = await readTable(page, 'costs-table');
    const figures = ['inputTokens', 'outputTokens', 'cachedInputTokens', 'unpricedTokens'] as const;
    const shown = (costs?.rows ?? [])
      .map((r) => ({
        key: { tenant: r.tenant ?? '', model: r.model ?? '' },
        ...Object.fromEntries(figures.map((f) => [f, cellNumber(r[f])])),
        cost: r.cost,
      }))
      .sort((a, b) => JSON.stringify(a.key).localeCompare(JSON.stringify(b.key)));
    expect(shown).toEqual(
      expected
        .map(({ key, ...figures }) => ({ key: { tenant: key.tenant, model: key.model }, ...figures }))
        .sort((a, b) => JSON.stringify(a.key).localeCompare(JSON.stringify(b.key))),
    );
    expect(body.currency).toBe('USD');
    expect(await page.locator('[data-panel="costs"] h2').textContent()).toContain('USD');

    // Every budgeted tenant (tenant-b has no budget), each with the API's month-to-date spend.
    const budgets = await ctx.stack.get('/v1/costs/budgets', ctx.stack.adminKey);
    expect(budgets.status).toBe(200);
    const items = (budgets.body as { items: { tenant: string; monthToDate: string }[] }).items;
    const spent = expectedMonthToDate(ctx.dataset.tokens, CATALOG, Date.now());
    expect(new Map(items.map((i) => [i.tenant, i.monthToDate]))).toEqual(
      new Map([...spent].filter(([tenant]) => tenant === ACME || tenant === TENANT_A)),
    );
    expect((await budgetCells(page, 'tenant')).sort()).toEqual([ACME, TENANT_A]);
  });
});

describe('the page', () => {
  it('is served with the strict CSP, in English, titled, linking the API docs', async () => {
    const watched = await ctx.newPage();
    const { page, allowStatuses } = watched;
    allowStatuses(401);
    const response = await openConsole(page, ctx.stack.url, 'refresh=off');
    expect(response.status()).toBe(200);
    const csp = response.headers()['content-security-policy'] ?? '';
    for (const directive of [
      "default-src 'none'",
      "script-src 'self'",
      "style-src 'self'",
      "connect-src 'self'",
      "frame-ancestors 'none'",
    ]) {
      expect([directive, csp.includes(directive)]).toEqual([directive, true]);
    }
    expect(await page.title()).toBe('tokenmeter');
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
    expect(await page.locator('header a[href="/docs"]').count()).toBe(1);
    // No inline script, no style element in the page as served.
    expect(await page.locator('script:not([src]), style').count()).toBe(0);
    await signIn(watched, ctx.stack.adminKey);
    await settledPanels(page, PANELS, (a) => expectStates(a, ['totals'], 'ready'));
  });
});
