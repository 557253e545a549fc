/**
 * The view state kept in the query string of `/` so a view can be shared (console contract,
 * "URL state"). Parsing never throws: anything unknown or malformed falls back to the default.
 */
// The API's own rules for filter values (a 400 there), checked before asking.
import { CONTROL_CHARACTERS, MAX_STRING_PARAM_LENGTH } from '@tokenmeter/contracts/query-api/params';

export const RANGES = ['1h', '24h', '7d', '30d', 'custom'] as const;
export type RangeName = (typeof RANGES)[number];
export type RelativeRange = Exclude<RangeName, 'custom'>;

export const REFRESHES = ['off', '30s', '1m', '5m'] as const;
export type RefreshName = (typeof REFRESHES)[number];

export const FILTERS = ['tenant', 'model', 'node'] as const;
export type FilterName = (typeof FILTERS)[number];

export const DEFAULT_RANGE: RelativeRange = '24h';
export const DEFAULT_REFRESH: RefreshName = '1m';

export type ViewRange =
  { readonly name: RelativeRange } | { readonly name: 'custom'; readonly from: string; readonly to: string };

export interface ViewState {
  readonly range: ViewRange;
  /** `''` means "all". */
  readonly filters: Readonly<Record<FilterName, string>>;
  readonly refresh: RefreshName;
}

export const DEFAULT_VIEW: ViewState = {
  range: { name: DEFAULT_RANGE },
  filters: { tenant: '', model: '', node: '' },
  refresh: DEFAULT_REFRESH,
};

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/i;

function oneOf<T extends string>(allowed: readonly T[], value: string | null): T | undefined {
  return allowed.find((candidate) => candidate === value);
}

/** RFC 3339 normalised to UTC with whole seconds (`2026-12-06T10:00:00Z`), or undefined. */
export function normalizeRfc3339(value: string | null): string | undefined {
  if (value === null || !RFC3339.test(value)) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : toRfc3339(ms);
}

/** Milliseconds since the epoch as RFC 3339 UTC, truncated to the second. */
export function toRfc3339(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

function parseFilter(value: string | null): string {
  if (value === null || value.length > MAX_STRING_PARAM_LENGTH || CONTROL_CHARACTERS.test(value)) return '';
  return value;
}

function parseRange(params: URLSearchParams): ViewRange {
  const name = oneOf(RANGES, params.get('range'));
  if (name === undefined) return { name: DEFAULT_RANGE };
  if (name !== 'custom') return { name };
  const from = normalizeRfc3339(params.get('from'));
  const to = normalizeRfc3339(params.get('to'));
  // A custom range the API would reject (missing or reversed bounds) falls back like any bad value.
  if (from === undefined || to === undefined || Date.parse(from) >= Date.parse(to)) return { name: DEFAULT_RANGE };
  return { name, from, to };
}

export function parseViewState(search: string): ViewState {
  const params = new URLSearchParams(search);
  return {
    range: parseRange(params),
    filters: {
      tenant: parseFilter(params.get('tenant')),
      model: parseFilter(params.get('model')),
      node: parseFilter(params.get('node')),
    },
    refresh: oneOf(REFRESHES, params.get('refresh')) ?? DEFAULT_REFRESH,
  };
}

/** The query string for a state (`''` for the default view), defaults left out. */
export function serializeViewState(state: ViewState): string {
  const params = new URLSearchParams();
  if (state.range.name !== DEFAULT_RANGE) params.set('range', state.range.name);
  if (state.range.name === 'custom') {
    params.set('from', state.range.from);
    params.set('to', state.range.to);
  }
  for (const filter of FILTERS) {
    if (state.filters[filter] !== '') params.set(filter, state.filters[filter]);
  }
  if (state.refresh !== DEFAULT_REFRESH) params.set('refresh', state.refresh);
  const query = params.toString();
  return query === '' ? '' : `?${query}`;
}
