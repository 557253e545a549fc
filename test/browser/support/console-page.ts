// Reading the console through the hooks of its contract (.local/console-contract.md):
// `data-panel`/`data-state`/`data-request` on each panel, `data-testid` on controls and tables,
// `data-col` on cells. Snapshots are taken in one evaluation, so a panel that re-renders between
// two reads cannot mix old and new values. The page functions are strings: the tests' tsconfig
// has no DOM library.
import type { Page, Response } from 'playwright-core';
import { expectEventually } from '../../support/eventually';
import type { WatchedPage } from './browser';

export const CHART_PANELS = [
  'tokens-per-second',
  'requests',
  'latency',
  'gpu-utilization',
  'gpu-memory',
  'gpu-power',
  'gpu-temperature',
  'efficiency',
] as const;
export const GPU_PANELS = ['gpu-utilization', 'gpu-memory', 'gpu-power', 'gpu-temperature'] as const;
export const PANELS = [
  'tokens-per-second',
  'requests',
  'latency',
  'totals',
  ...GPU_PANELS,
  'efficiency',
  'costs',
  'budgets',
] as const;
export type PanelName = (typeof PANELS)[number];

/** Panels whose request carries the range, and each filter (contract "Panels"). */
export const RANGED_PANELS = PANELS.filter((p) => p !== 'budgets');
export const FILTERED_BY = {
  tenant: ['tokens-per-second', 'requests', 'latency', 'totals', 'costs'],
  model: ['tokens-per-second', 'requests', 'latency', 'totals', 'efficiency', 'costs'],
  node: ['tokens-per-second', 'requests', 'latency', 'totals', ...GPU_PANELS, 'efficiency', 'costs'],
} as const satisfies Record<string, readonly PanelName[]>;

export type PanelState = 'loading' | 'ready' | 'empty' | 'error' | 'forbidden';

export interface PanelSnapshot {
  state: string | null;
  request: string | null;
  message: string;
  busy: boolean;
  series: string | null;
}

export type Panels = Partial<Record<PanelName, PanelSnapshot>>;

export async function openConsole(page: Page, baseUrl: string, query = ''): Promise<Response> {
  const response = await page.goto(`${baseUrl}/${query === '' ? '' : `?${query}`}`);
  if (response === null) throw new Error(`no response for ${baseUrl}/?${query}`);
  if (response.status() !== 200) {
    throw new Error(
      `GET / answered ${response.status()}: is the console built? (\`npm run build:console\` writes ` +
        'dist/apps/query-api/console/, which the query API serves)',
    );
  }
  return response;
}

/** Enters a key in the key dialog (which must be open) and waits for the dialog to close. */
export async function signIn(watched: WatchedPage, key: string): Promise<void> {
  await submitKey(watched.page, key);
  await watched.page.locator('[data-testid="key-form"]').waitFor({ state: 'hidden' });
  watched.signedIn();
}

export async function submitKey(page: Page, key: string): Promise<void> {
  const input = page.locator('input[data-testid="key-input"]');
  await input.waitFor({ state: 'visible' });
  await input.fill(key);
  await input.press('Enter');
}

export async function panels(page: Page): Promise<Panels> {
  return page.evaluate<Panels>(`(() => {
    const out = {};
    for (const el of document.querySelectorAll('section[data-panel]')) {
      const message = el.querySelector('[data-role="message"]');
      out[el.dataset.panel] = {
        state: el.dataset.state ?? null,
        request: el.dataset.request ?? null,
        message: message === null ? '' : (message.textContent ?? '').trim(),
        busy: el.getAttribute('aria-busy') === 'true',
        series: el.dataset.series ?? null,
      };
    }
    return out;
  })()`);
}

export function panel(all: Panels, name: PanelName): PanelSnapshot {
  const found = all[name];
  if (found === undefined) throw new Error(`no section[data-panel="${name}"] on the page`);
  return found;
}

/** The query of a panel's last request, and its path. */
export function requestOf(all: Panels, name: PanelName): { path: string; params: URLSearchParams } {
  const request = panel(all, name).request;
  if (request === null || request === '') throw new Error(`panel ${name} has no data-request`);
  const url = new URL(request, 'http://console.invalid');
  return { path: url.pathname, params: url.searchParams };
}

/**
 * Polls until every named panel has settled (not loading, not busy) and `check` passes on the
 * snapshot; returns that snapshot.
 */
export async function settledPanels(
  page: Page,
  names: readonly PanelName[],
  check: (all: Panels) => void = () => undefined,
  description = 'panels settled',
): Promise<Panels> {
  return expectEventually(
    async () => {
      const all = await panels(page);
      for (const name of names) {
        const p = panel(all, name);
        if (p.state === null || p.state === 'loading' || p.busy) {
          throw new Error(`panel ${name} is ${p.state ?? 'without data-state'}${p.busy ? ' (busy)' : ''}`);
        }
      }
      check(all);
      return all;
    },
    { timeoutMs: 30_000, intervalMs: 100, description },
  );
}

export function expectStates(all: Panels, names: readonly PanelName[], state: PanelState): void {
  const wrong = names
    .map((n) => [n, panel(all, n)] as const)
    .filter(([, p]) => p.state !== state)
    .map(([n, p]) => `${n}=${p.state ?? 'null'} (${p.message})`);
  if (wrong.length > 0) throw new Error(`expected ${state}: ${wrong.join(', ')}`);
}

export interface TableSnapshot {
  /** `data-col` and `aria-sort` of each `thead th`. */
  head: { col: string | null; sort: string | null }[];
  /** One record per `tbody tr`: `data-col` → text. */
  rows: Record<string, string>[];
  /** Each cell of each `tfoot tr`: its `data-col` (if any), text and column span. */
  foot: { col: string | null; text: string; span: number }[][];
}

export async function readTable(page: Page, testid: string): Promise<TableSnapshot | null> {
  return page.evaluate<TableSnapshot | null>(`(() => {
    const table = document.querySelector('table[data-testid=${JSON.stringify(testid)}]');
    if (table === null) return null;
    const text = (el) => (el.textContent ?? '').trim();
    return {
      head: [...table.querySelectorAll('thead th')].map((th) => ({
        col: th.dataset.col ?? null,
        sort: th.getAttribute('aria-sort'),
      })),
      rows: [...table.querySelectorAll('tbody tr')].map((tr) =>
        Object.fromEntries([...tr.querySelectorAll('[data-col]')].map((td) => [td.dataset.col, text(td)])),
      ),
      foot: [...table.querySelectorAll('tfoot tr')].map((tr) =>
        [...tr.children].map((c) => ({ col: c.dataset.col ?? null, text: text(c), span: c.colSpan || 1 })),
      ),
    };
  })()`);
}

/** The values of a select's options, in order. */
export async function optionValues(page: Page, testid: string): Promise<string[]> {
  return page.evaluate<string[]>(
    `[...document.querySelectorAll('select[data-testid=${JSON.stringify(testid)}] option')].map((o) => o.value)`,
  );
}

export async function selectedValue(page: Page, testid: string): Promise<string> {
  return page.locator(`[data-testid="${testid}"]`).inputValue();
}

export function urlQuery(page: Page): URLSearchParams {
  return new URL(page.url()).searchParams;
}

const EN_US = new Intl.NumberFormat('en-US');

/** How the contract formats an integer in a table: `Intl.NumberFormat('en-US')`. */
export function enUs(n: number): string {
  return EN_US.format(n);
}

/** A table cell back to its number: the en-US grouping commas stripped. */
export function cellNumber(text: string | undefined): number {
  if (text === undefined) throw new Error('no such cell');
  const n = Number(text.replace(/,/g, ''));
  if (!Number.isFinite(n)) throw new Error(`"${text}" is not a number`);
  return n;
}
