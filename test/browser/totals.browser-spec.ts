// The totals table of the console: every figure equal to what /v1/tokens/totals answers for the
// same key and range and to the sums of the seeded events; its CSV download; sorting by each
// column with aria-sort; the controls' labels and keyboard reach; the theme switch.
import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { parseCsv } from '../support/cost-expectations';
import { expectEventually } from '../support/eventually';
import type { WatchedPage } from './support/browser';
import {
  cellNumber,
  enUs,
  expectStates,
  openConsole,
  panel,
  PANELS,
  type Panels,
  readTable,
  requestOf,
  settledPanels,
  signIn,
  type TableSnapshot,
} from './support/console-page';
import { expectedTotals, rowKey, SUM_FIELDS, sumRows, type TotalsRow } from './support/dataset';
import { ACME, QWEN, useConsoleStack } from './support/spec-fixture';

const ctx = useConsoleStack('cbr-totals');

const COLUMNS = ['tenant', 'model', ...SUM_FIELDS] as const;

interface TotalsAnswer {
  from: string;
  to: string;
  rows: ({ key: { tenant: string; model: string } } & Record<(typeof SUM_FIELDS)[number], number>)[];
}

/** Signs in with the admin key at `query` and waits for the totals panel to be ready. */
async function openTotals(
  watched: WatchedPage,
  query = 'refresh=off',
): Promise<{ all: Panels; request: string; answer: TotalsAnswer }> {
  const { page } = watched;
  await openConsole(page, ctx.stack.url, query);
  await signIn(watched, ctx.stack.adminKey);
  const all = await settledPanels(page, ['totals'], (a) => expectStates(a, ['totals'], 'ready'));
  const request = panel(all, 'totals').request as string;
  const api = await ctx.stack.get(request, ctx.stack.adminKey);
  expect(api.status).toBe(200);
  return { all, request, answer: api.body as TotalsAnswer };
}

function apiRows(answer: TotalsAnswer): Map<string, TotalsRow> {
  return new Map(answer.rows.map((r) => [rowKey(r.key.tenant, r.key.model), { ...r.key, ...pickSums(r) }]));
}

function pickSums(r: Record<(typeof SUM_FIELDS)[number], number>): Record<(typeof SUM_FIELDS)[number], number> {
  return Object.fromEntries(SUM_FIELDS.map((f) => [f, r[f]])) as Record<(typeof SUM_FIELDS)[number], number>;
}

async function totalsTable(page: Page): Promise<TableSnapshot> {
  const table = await readTable(page, 'totals-table');
  if (table === null) throw new Error('no table[data-testid="totals-table"]');
  return table;
}

/** The first footer row's cells by the column they sit under (a cell may span several). */
function footerByColumn(table: TableSnapshot): Map<string, string> {
  const out = new Map<string, string>();
  let at = 0;
  for (const cell of table.foot[0] ?? []) {
    const col = cell.col ?? (cell.span === 1 ? table.head[at]?.col : null);
    if (col !== null && col !== undefined) out.set(col, cell.text);
    at += cell.span;
  }
  return out;
}

/** Each table row equals the API row of its tenant and model, cell by cell, en-US formatted. */
function expectTableEqualsApi(table: TableSnapshot, rows: Map<string, TotalsRow>): void {
  expect(table.head.map((h) => h.col)).toEqual([...COLUMNS]);
  expect(table.rows).toHaveLength(rows.size);
  for (const shown of table.rows) {
    const expected = rows.get(rowKey(shown.tenant ?? '', shown.model ?? ''));
    if (expected === undefined) throw new Error(`the table shows a row the API has not: ${JSON.stringify(shown)}`);
    expect(shown).toEqual({
      tenant: expected.tenant,
      model: expected.model,
      ...Object.fromEntries(SUM_FIELDS.map((f) => [f, enUs(expected[f])])),
    });
  }
  const foot = footerByColumn(table);
  const total = sumRows(rows.values());
  for (const f of SUM_FIELDS) expect([f, foot.get(f)]).toEqual([f, enUs(total[f])]);
}

function sortedRows(rows: Iterable<TotalsRow>): TotalsRow[] {
  return [...rows].sort((a, b) => rowKey(a.tenant, a.model).localeCompare(rowKey(b.tenant, b.model)));
}

describe('the totals table', () => {
  it('shows exactly the figures of /v1/tokens/totals for the same key and range, which are the seeded sums', async () => {
    const watched = await ctx.newPage();
    const { page } = watched;
    const { all, answer } = await openTotals(watched);

    const { path, params } = requestOf(all, 'totals');
    expect(path).toBe('/v1/tokens/totals');
    expect(params.get('groupBy')).toBe('tenant,model');
    expect(params.get('from')).not.toBeNull();
    expect(params.get('to')).not.toBeNull();

    // The API against the events posted: all of them lie inside the default 24 h range.
    const seeded = expectedTotals(ctx.dataset.tokens, { fromMs: Date.parse(answer.from), toMs: Date.parse(answer.to) });
    expect(sumRows(seeded.values()).requests).toBe(ctx.dataset.tokens.length);
    const api = apiRows(answer);
    expect(sortedRows(api.values())).toEqual(sortedRows(seeded.values()));
    expect(api.size).toBe(9);

    // The page against the API, every row and cell, and the footer's sums.
    await expectEventually(async () => expectTableEqualsApi(await totalsTable(page), api), {
      timeoutMs: 10_000,
      intervalMs: 100,
      description: 'the totals table equal to the API',
    });
    // The contract's number format, e.g. 12,345 (the browser's locale is de-DE).
    const big = (await totalsTable(page)).rows.map((r) => r.inputTokens ?? '').find((t) => cellNumber(t) >= 1_000);
    expect(big).toMatch(/^\d{1,3}(,\d{3})+$/);
  });

  it('downloads the rows shown as an RFC 4180 CSV with raw integers', async () => {
    const watched = await ctx.newPage();
    const { page } = watched;
    const { answer } = await openTotals(watched);
    const table = await totalsTable(page);

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.locator('button[data-testid="totals-csv"]').click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^tokenmeter-totals-.+-.+\.csv$/);
    const text = readFileSync(await download.path(), 'utf8');
    const { records, crlfOnly } = parseCsv(text);
    expect(crlfOnly).toBe(true);
    expect(records[0]).toEqual([...COLUMNS]);
    const api = apiRows(answer);
    // In the order shown, each record is its API row with raw integers.
    expect(records.slice(1)).toEqual(
      table.rows.map((shown) => {
        const row = api.get(rowKey(shown.tenant ?? '', shown.model ?? '')) as TotalsRow;
        return [row.tenant, row.model, ...SUM_FIELDS.map((f) => String(row[f]))];
      }),
    );
    // The tenant with a comma and quotes is quoted, its quotes doubled.
    expect(text).toContain('"acme, ""east"""');
    expect(records.slice(1).filter((r) => r[0] === ACME)).toHaveLength(3);
  });

  it('downloads only the rows of the filtered view', async () => {
    const watched = await ctx.newPage();
    const { page } = watched;
    const { answer } = await openTotals(watched, `refresh=off&model=${encodeURIComponent(QWEN)}`);
    expect(answer.rows.map((r) => r.key.model)).toEqual([QWEN, QWEN, QWEN]);
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.locator('button[data-testid="totals-csv"]').click(),
    ]);
    const { records } = parseCsv(readFileSync(await download.path(), 'utf8'));
    expect(records.slice(1).map((r) => r[1])).toEqual([QWEN, QWEN, QWEN]);
    const seeded = expectedTotals(ctx.dataset.tokens, {
      fromMs: Date.parse(answer.from),
      toMs: Date.parse(answer.to),
      model: QWEN,
    });
    expect(records.slice(1).reduce((n, r) => n + Number(r[5]), 0)).toBe(sumRows(seeded.values()).outputTokens);
  });

  it('sorts by a column with its button (mouse and keyboard) and says so in aria-sort', async () => {
    const watched = await ctx.newPage();
    const { page } = watched;
    await openTotals(watched);
    const sortOf = (t: TableSnapshot): Record<string, string> =>
      Object.fromEntries(t.head.map((h): [string, string] => [h.col ?? '', h.sort ?? 'none']));
    const numbers = (t: TableSnapshot, col: string) => t.rows.map((r) => cellNumber(r[col]));
    const expectOrder = (values: number[], direction: string) => {
      const sorted = [...values].sort((a, b) => (direction === 'ascending' ? a - b : b - a));
      expect(values).toEqual(sorted);
    };

    // Default: output tokens, descending; every other column none.
    let table = await totalsTable(page);
    expect(sortOf(table)).toEqual({
      ...Object.fromEntries(COLUMNS.map((c) => [c, 'none'])),
      outputTokens: 'descending',
    });
    expectOrder(numbers(table, 'outputTokens'), 'descending');
    const defaultOrder = table.rows.map((r) => rowKey(r.tenant ?? '', r.model ?? ''));

    // A click on input tokens sorts by it; a second click reverses.
    const button = page.locator('thead th[data-col="inputTokens"] button');
    await button.click();
    table = await expectEventually(
      async () => {
        const t = await totalsTable(page);
        expect(['ascending', 'descending']).toContain(sortOf(t).inputTokens);
        expect(sortOf(t).outputTokens).toBe('none');
        return t;
      },
      { timeoutMs: 10_000, intervalMs: 100, description: 'sorted by input tokens' },
    );
    const first = sortOf(table).inputTokens as string;
    expectOrder(numbers(table, 'inputTokens'), first);
    expect(table.rows.map((r) => rowKey(r.tenant ?? '', r.model ?? ''))).not.toEqual(defaultOrder);
    await button.click();
    table = await expectEventually(
      async () => {
        const t = await totalsTable(page);
        expect(sortOf(t).inputTokens).toBe(first === 'ascending' ? 'descending' : 'ascending');
        return t;
      },
      { timeoutMs: 10_000, intervalMs: 100, description: 'input tokens sort reversed' },
    );
    expectOrder(numbers(table, 'inputTokens'), sortOf(table).inputTokens as string);

    // The keyboard: Enter and Space on the requests column's button.
    const requests = page.locator('thead th[data-col="requests"] button');
    await requests.focus();
    await page.keyboard.press('Enter');
    const byKeyboard = await expectEventually(
      async () => {
        const t = await totalsTable(page);
        expect(['ascending', 'descending']).toContain(sortOf(t).requests);
        expect(sortOf(t).inputTokens).toBe('none');
        return sortOf(t).requests as string;
      },
      { timeoutMs: 10_000, intervalMs: 100, description: 'sorted by requests with Enter' },
    );
    expectOrder(numbers(await totalsTable(page), 'requests'), byKeyboard);
    await page.keyboard.press('Space');
    await expectEventually(async () => expect(sortOf(await totalsTable(page)).requests).not.toBe(byKeyboard), {
      timeoutMs: 10_000,
      intervalMs: 100,
      description: 'requests sort reversed with Space',
    });
  });
});

describe('the controls', () => {
  const CONTROLS = ['range', 'filter-tenant', 'filter-model', 'filter-node', 'refresh'];

  it('each have a visible label and are reached with Tab', async () => {
    const watched = await ctx.newPage();
    const { page } = watched;
    await openTotals(watched);
    for (const testid of CONTROLS) {
      const label = await page.evaluate<string | null>(`(() => {
        const el = document.querySelector('[data-testid=${JSON.stringify(testid)}]');
        if (el === null || el.id === '') return null;
        const label = document.querySelector('label[for="' + CSS.escape(el.id) + '"]');
        return label === null || label.offsetParent === null ? null : (label.textContent ?? '').trim();
      })()`);
      expect([testid, label === null ? null : label.length > 0]).toEqual([testid, true]);
    }

    // From the top of the page, Tab reaches every control, the theme button and the sort buttons.
    await page.evaluate('document.activeElement instanceof HTMLElement && document.activeElement.blur()');
    const reached = new Set<string>();
    for (let i = 0; i < 60; i += 1) {
      await page.keyboard.press('Tab');
      const focused = await page.evaluate<string | null>(`(() => {
        const el = document.activeElement;
        if (el === null) return null;
        if (el.dataset.testid) return el.dataset.testid;
        const th = el.closest('th[data-col]');
        return th === null ? null : 'sort:' + th.dataset.col;
      })()`);
      if (focused !== null) reached.add(focused);
    }
    for (const expected of [...CONTROLS, 'theme', 'sign-out', 'totals-csv', 'sort:tenant', 'sort:outputTokens']) {
      expect([expected, reached.has(expected)]).toEqual([expected, true]);
    }
  });

  it('the theme button cycles auto, light, dark and remembers the choice', async () => {
    const watched = await ctx.newPage({ colorScheme: 'dark' });
    const { page } = watched;
    await openTotals(watched);
    const theme = () =>
      page.evaluate<[string | null, string | null]>(
        "[document.documentElement.dataset.theme ?? null, localStorage.getItem('tokenmeter.theme')]",
      );
    const button = page.locator('button[data-testid="theme"]');
    const seen: string[] = [];
    for (let i = 0; i < 3; i += 1) {
      await button.click();
      const [applied, stored] = await theme();
      seen.push(stored ?? 'auto');
      if (stored === 'light' || stored === 'dark') expect(applied).toBe(stored);
    }
    // Three clicks from any start visit all three settings.
    expect([...seen].sort()).toEqual(['auto', 'dark', 'light']);
    // Set to dark, the choice survives a reload; the panels still load.
    for (let i = 0; i < 3 && (await theme())[1] !== 'dark'; i += 1) await button.click();
    expect(await theme()).toEqual(['dark', 'dark']);
    await page.reload();
    expect(await theme()).toEqual(['dark', 'dark']);
    await settledPanels(page, [...PANELS], (a) => expectStates(a, ['totals'], 'ready'));
  });
});
