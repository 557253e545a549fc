// What the cost endpoints must answer for a known dataset and price catalog, computed from the
// raw events with BigInt arithmetic that shares nothing with the query API's pricing: prices in
// micro-units per million tokens, an event's cost in units of 1e-12, each row or point rounded
// once, half-up, to 6 decimals. The GPU-priced view (`view=gpus`) is worked out from the raw GPU
// samples the same way: each GPU's hour price and energy per attribution bucket, shared among the
// groups a node served by their tokens in that bucket.
import type { GpuSample, TokenUsageEvent } from '@tokenmeter/contracts';
import type {
  CostFigures,
  GpuCostFigures,
  GpuCostSeriesResponse,
  GpuCostTotalsResponse,
  IdleCost,
  TokenCostSeriesResponse,
  TokenCostTotalsResponse,
} from '@tokenmeter/contracts/query-api';
import type { TokenKey } from '@tokenmeter/contracts/query-api';
import { floorTo } from './query-expectations';

export type TokenGroupField = keyof TokenKey;

export interface CatalogPrice {
  /** RFC 3339, a whole UTC hour. */
  validFrom: string;
  /** Per million tokens, a decimal string with at most 6 fractional digits. */
  input: string;
  output: string;
  cachedInput?: string;
}

export interface GpuCatalogEntry {
  match: { node: string } | { gpuModel: string };
  prices: { validFrom: string; perGpuHour: string }[];
}

export interface PriceCatalog {
  currency: string;
  models: { match: string; prices: CatalogPrice[] }[];
  gpus?: GpuCatalogEntry[];
  energy?: { validFrom: string; perKWh: string }[];
  budgets?: { tenant: string; monthly: string }[];
}

/** "0.25" -> 250000n: a price per million tokens in micro-units. */
export function priceMicros(price: string): bigint {
  const match = /^(\d+)(?:\.(\d{1,6}))?$/.exec(price);
  if (match === null) throw new Error(`not a catalog price: ${price}`);
  return BigInt(match[1] as string) * 1_000_000n + BigInt((match[2] ?? '').padEnd(6, '0'));
}

/** Exact name, or `*` standing for any run of characters; the whole name must match. */
export function modelMatches(pattern: string, model: string): boolean {
  const parts = pattern.split('*');
  if (parts.length === 1) return pattern === model;
  const first = parts[0] as string;
  const last = parts[parts.length - 1] as string;
  if (!model.startsWith(first) || model.length < first.length + last.length) return false;
  let at = first.length;
  for (const middle of parts.slice(1, -1)) {
    const found = model.indexOf(middle, at);
    if (found < 0) return false;
    at = found + middle.length;
  }
  return model.length - last.length >= at && model.endsWith(last);
}

interface Rates {
  input: bigint;
  cachedInput: bigint;
  output: bigint;
}

/** The first entry (file order) matching the model; in it, the latest price valid at the time. */
export function ratesAt(catalog: PriceCatalog, model: string, timeMs: number): Rates | undefined {
  const entry = catalog.models.find((m) => modelMatches(m.match, model));
  if (entry === undefined) return undefined;
  let chosen: CatalogPrice | undefined;
  for (const price of entry.prices) if (Date.parse(price.validFrom) <= timeMs) chosen = price;
  if (chosen === undefined) return undefined;
  return {
    input: priceMicros(chosen.input),
    cachedInput: priceMicros(chosen.cachedInput ?? chosen.input),
    output: priceMicros(chosen.output),
  };
}

/** Running sums of one row or point; `picos` is the exact cost in units of 1e-12. */
class CostSum {
  inputTokens = 0;
  cachedInputTokens = 0;
  outputTokens = 0;
  unpricedTokens = 0;
  picos = 0n;

  add(event: TokenUsageEvent, catalog: PriceCatalog): void {
    const cached = event.cachedInputTokens ?? 0;
    this.inputTokens += event.inputTokens;
    this.cachedInputTokens += cached;
    this.outputTokens += event.outputTokens;
    const rates = ratesAt(catalog, event.model, Date.parse(event.time));
    if (rates === undefined) {
      this.unpricedTokens += event.inputTokens + event.outputTokens;
      return;
    }
    this.picos +=
      BigInt(event.inputTokens - cached) * rates.input +
      BigInt(cached) * rates.cachedInput +
      BigInt(event.outputTokens) * rates.output;
  }

  figures(): CostFigures {
    return {
      inputTokens: this.inputTokens,
      cachedInputTokens: this.cachedInputTokens,
      outputTokens: this.outputTokens,
      unpricedTokens: this.unpricedTokens,
      cost: formatCost(this.picos),
    };
  }
}

/** Units of 1e-12 -> "12.345678", rounded half-up to 6 decimals. */
export function formatCost(picos: bigint): string {
  if (picos < 0n) throw new Error(`negative cost ${picos}`);
  const micros = (picos + 500_000n) / 1_000_000n;
  return `${micros / 1_000_000n}.${(micros % 1_000_000n).toString().padStart(6, '0')}`;
}

function keyOf(event: TokenUsageEvent, groupBy: readonly TokenGroupField[]): TokenKey {
  const key: TokenKey = {};
  for (const field of groupBy) key[field] = event[field];
  return key;
}

function byKeyJson(a: { key: unknown }, b: { key: unknown }): number {
  const x = JSON.stringify(a.key);
  const y = JSON.stringify(b.key);
  return x < y ? -1 : x > y ? 1 : 0;
}

export type ExpectedCostRow = TokenCostTotalsResponse['rows'][number];

/** The rows of /v1/costs/totals over [fromMs, toMs), sorted by the JSON of their key. */
export function expectedCostRows(
  events: readonly TokenUsageEvent[],
  catalog: PriceCatalog,
  opts: { fromMs: number; toMs: number; groupBy: readonly TokenGroupField[] },
): ExpectedCostRow[] {
  const rows = new Map<string, { key: TokenKey; sum: CostSum }>();
  if (opts.groupBy.length === 0) rows.set('{}', { key: {}, sum: new CostSum() });
  for (const e of events) {
    const t = Date.parse(e.time);
    if (t < opts.fromMs || t >= opts.toMs) continue;
    const key = keyOf(e, opts.groupBy);
    const id = JSON.stringify(key);
    const row = rows.get(id) ?? { key, sum: new CostSum() };
    rows.set(id, row);
    row.sum.add(e, catalog);
  }
  return [...rows.values()].map(({ key, sum }) => ({ key, ...sum.figures() })).sort(byKeyJson);
}

export type ExpectedCostPoint = TokenCostSeriesResponse['series'][number]['points'][number];

/** The series of /v1/costs/series on the grid [fromMs, toMs) of stepMs, sorted by key JSON. */
export function expectedCostSeries(
  events: readonly TokenUsageEvent[],
  catalog: PriceCatalog,
  opts: { fromMs: number; toMs: number; stepMs: number; groupBy: readonly TokenGroupField[] },
): { key: TokenKey; points: ExpectedCostPoint[] }[] {
  const series = new Map<string, { key: TokenKey; buckets: Map<number, CostSum> }>();
  if (opts.groupBy.length === 0) series.set('{}', { key: {}, buckets: new Map() });
  for (const e of events) {
    const t = Date.parse(e.time);
    if (t < opts.fromMs || t >= opts.toMs) continue;
    const key = keyOf(e, opts.groupBy);
    const id = JSON.stringify(key);
    const s = series.get(id) ?? { key, buckets: new Map<number, CostSum>() };
    series.set(id, s);
    const start = opts.fromMs + floorTo(t - opts.fromMs, opts.stepMs);
    const sum = s.buckets.get(start) ?? new CostSum();
    s.buckets.set(start, sum);
    sum.add(e, catalog);
  }
  return [...series.values()]
    .map(({ key, buckets }) => {
      const points: ExpectedCostPoint[] = [];
      for (let t = opts.fromMs; t < opts.toMs; t += opts.stepMs) {
        points.push({ t: new Date(t).toISOString(), ...(buckets.get(t) ?? new CostSum()).figures() });
      }
      return { key, points };
    })
    .sort(byKeyJson);
}

// ---- The GPU-priced view --------------------------------------------------------------------

const HOUR_MS = 3_600_000;
const MINUTE_MS = 60_000;
/** Pico-units per (micro-unit price x 1e6) x ms x 1,000 of a GPU-hour, or per mJ of a kWh. */
const D = 3_600_000_000n;

/** The price of the latest of `prices` (by validFrom) in force at `timeMs`, in micro-units. */
function inForce<P extends { validFrom: string }>(prices: readonly P[], timeMs: number): P | undefined {
  let chosen: P | undefined;
  for (const price of prices) {
    if (Date.parse(price.validFrom) <= timeMs && (chosen === undefined || price.validFrom > chosen.validFrom)) {
      chosen = price;
    }
  }
  return chosen;
}

/** Micro-units per GPU-hour of a GPU at `timeMs`: the first entry (file order) matching its node or model. */
export function gpuHourMicros(
  catalog: PriceCatalog,
  gpu: { node: string; gpuModel?: string },
  timeMs: number,
): bigint | undefined {
  const entry = (catalog.gpus ?? []).find((g) =>
    'node' in g.match
      ? modelMatches(g.match.node, gpu.node)
      : gpu.gpuModel !== undefined && modelMatches(g.match.gpuModel, gpu.gpuModel),
  );
  const price = entry === undefined ? undefined : inForce(entry.prices, timeMs);
  return price === undefined ? undefined : priceMicros(price.perGpuHour);
}

export function kWhMicros(catalog: PriceCatalog, timeMs: number): bigint | undefined {
  const price = inForce(catalog.energy ?? [], timeMs);
  return price === undefined ? undefined : priceMicros(price.perKWh);
}

export interface AttributionBucket {
  startMs: number;
  sizeMs: number;
}

/** Totals over [fromMs, toMs) (whole minutes): the whole hours inside, minutes at the partial hours. */
export function totalsBuckets(fromMs: number, toMs: number): AttributionBucket[] {
  const h1 = Math.ceil(fromMs / HOUR_MS) * HOUR_MS;
  const h2 = Math.floor(toMs / HOUR_MS) * HOUR_MS;
  if (h1 >= h2) return evenBuckets(fromMs, toMs, MINUTE_MS);
  return [...evenBuckets(fromMs, h1, MINUTE_MS), ...evenBuckets(h1, h2, HOUR_MS), ...evenBuckets(h2, toMs, MINUTE_MS)];
}

export function evenBuckets(fromMs: number, toMs: number, sizeMs: number): AttributionBucket[] {
  const out: AttributionBucket[] = [];
  for (let t = fromMs; t < toMs; t += sizeMs) out.push({ startMs: t, sizeMs });
  return out;
}

/** Which token events count for the returned groups, and which node the whole query is limited to. */
export interface GpuCostFilter {
  tenant?: string;
  model?: string;
  node?: string;
  /** A tenant-scoped key's tenants. */
  tenantIn?: readonly string[];
}

interface GpuBucketSamples {
  samples: number;
  energyMax?: number;
  energyMin?: number;
}

/** Every GPU's samples per bucket of `sizeMs` (aligned to the size), and its model (newest sample's). */
function gpuBuckets(samples: readonly GpuSample[], sizeMs: number) {
  const gpus = new Map<
    string,
    { node: string; gpuModel?: string; newestMs: number; buckets: Map<number, GpuBucketSamples> }
  >();
  for (const s of samples) {
    const t = Date.parse(s.time);
    const id = JSON.stringify([s.node, s.gpuIndex]);
    const gpu = gpus.get(id) ?? { node: s.node, newestMs: -Infinity, buckets: new Map<number, GpuBucketSamples>() };
    gpus.set(id, gpu);
    if (t > gpu.newestMs) {
      gpu.newestMs = t;
      if (s.gpuModel === undefined) delete gpu.gpuModel;
      else gpu.gpuModel = s.gpuModel;
    }
    const start = floorTo(t, sizeMs);
    const b = gpu.buckets.get(start) ?? { samples: 0 };
    gpu.buckets.set(start, b);
    b.samples += 1;
    if (s.energyJ !== undefined) {
      b.energyMax = Math.max(b.energyMax ?? -Infinity, s.energyJ);
      b.energyMin = Math.min(b.energyMin ?? Infinity, s.energyJ);
    }
  }
  return gpus;
}

export interface GpuShare {
  startMs: number;
  key: TokenKey;
  tokens: number;
  gpuPicos: bigint;
  energyPicos: bigint;
}

export interface GpuAttribution {
  shares: GpuShare[];
  idle: { startMs: number; gpuPicos: bigint; energyPicos: bigint }[];
  unpricedGpuMinutes: number;
}

/**
 * Each node's GPU cost per bucket (numerators over D), shared by the wanted groups in proportion
 * to their tokens among ALL the node's tokens of the bucket; idle when the node served none.
 */
export function attributeGpus(
  tokenEvents: readonly TokenUsageEvent[],
  samples: readonly GpuSample[],
  catalog: PriceCatalog,
  buckets: readonly AttributionBucket[],
  opts: { groupBy: readonly TokenGroupField[]; filter?: GpuCostFilter },
): GpuAttribution {
  const filter = opts.filter ?? {};
  const onNode = <T extends { node: string }>(list: readonly T[]) =>
    filter.node === undefined ? list : list.filter((x) => x.node === filter.node);
  const wanted = (e: TokenUsageEvent) =>
    (filter.tenant === undefined || e.tenant === filter.tenant) &&
    (filter.model === undefined || e.model === filter.model) &&
    (filter.tenantIn === undefined || filter.tenantIn.includes(e.tenant));
  const bySize = new Map<number, ReturnType<typeof gpuBuckets>>();
  const gpusAt = (sizeMs: number) => {
    const found = bySize.get(sizeMs) ?? gpuBuckets(onNode(samples), sizeMs);
    bySize.set(sizeMs, found);
    return found;
  };
  const events = onNode(tokenEvents).map((e) => ({ e, t: Date.parse(e.time), n: e.inputTokens + e.outputTokens }));

  const out: GpuAttribution = { shares: [], idle: [], unpricedGpuMinutes: 0 };
  for (const { startMs, sizeMs } of buckets) {
    // Node -> numerators of the bucket.
    const costs = new Map<string, { gpu: bigint; energy: bigint }>();
    for (const gpu of gpusAt(sizeMs).values()) {
      const here = gpu.buckets.get(startMs);
      if (here === undefined || here.samples === 0) continue;
      const cost = costs.get(gpu.node) ?? { gpu: 0n, energy: 0n };
      costs.set(gpu.node, cost);
      const hourPrice = gpuHourMicros(catalog, gpu, startMs);
      if (hourPrice === undefined) out.unpricedGpuMinutes += sizeMs / MINUTE_MS;
      else cost.gpu += hourPrice * 1_000_000n * BigInt(sizeMs) * 1_000n;
      const kWh = kWhMicros(catalog, startMs);
      if (here.energyMax !== undefined && here.energyMin !== undefined && kWh !== undefined) {
        const before = gpu.buckets.get(startMs - sizeMs)?.energyMax;
        const joules =
          before !== undefined && before <= here.energyMax ? here.energyMax - before : here.energyMax - here.energyMin;
        cost.energy += BigInt(Math.round(joules * 1_000)) * kWh * 1_000_000n;
      }
    }
    // Node -> all its tokens of the bucket, and the wanted groups' tokens.
    const totals = new Map<string, number>();
    const groups = new Map<string, Map<string, { key: TokenKey; tokens: number }>>();
    for (const { e, t, n } of events) {
      if (t < startMs || t >= startMs + sizeMs) continue;
      totals.set(e.node, (totals.get(e.node) ?? 0) + n);
      if (!wanted(e)) continue;
      const key = keyOf(e, opts.groupBy);
      const byKey = groups.get(e.node) ?? new Map<string, { key: TokenKey; tokens: number }>();
      groups.set(e.node, byKey);
      const group = byKey.get(JSON.stringify(key)) ?? { key, tokens: 0 };
      byKey.set(JSON.stringify(key), group);
      group.tokens += n;
    }
    for (const [node, byKey] of groups) {
      const cost = costs.get(node);
      const all = BigInt(totals.get(node) ?? 0);
      for (const { key, tokens } of byKey.values()) {
        const share = (numerator: bigint) =>
          cost === undefined || all === 0n ? 0n : (2n * numerator * BigInt(tokens) + all * D) / (2n * all * D);
        out.shares.push({
          startMs,
          key,
          tokens,
          gpuPicos: share(cost?.gpu ?? 0n),
          energyPicos: share(cost?.energy ?? 0n),
        });
      }
    }
    for (const [node, cost] of costs) {
      if ((totals.get(node) ?? 0) > 0) continue;
      out.idle.push({
        startMs,
        gpuPicos: (2n * cost.gpu + D) / (2n * D),
        energyPicos: (2n * cost.energy + D) / (2n * D),
      });
    }
  }
  return out;
}

class GpuCostSum {
  tokens = 0;
  gpuPicos = 0n;
  energyPicos = 0n;

  add(part: { tokens?: number; gpuPicos: bigint; energyPicos: bigint }): void {
    this.tokens += part.tokens ?? 0;
    this.gpuPicos += part.gpuPicos;
    this.energyPicos += part.energyPicos;
  }

  idle(): IdleCost {
    return {
      gpuCost: formatCost(this.gpuPicos),
      energyCost: formatCost(this.energyPicos),
      cost: formatCost(this.gpuPicos + this.energyPicos),
    };
  }

  figures(): GpuCostFigures {
    return { tokens: this.tokens, ...this.idle() };
  }
}

export type ExpectedGpuCostTotals = Pick<GpuCostTotalsResponse, 'rows' | 'unattributed' | 'unpricedGpuMinutes'>;

/** `rows`, and for an all-tenant key (`fleet`) `unattributed` and `unpricedGpuMinutes`, of view=gpus totals. */
export function expectedGpuCostTotals(
  tokenEvents: readonly TokenUsageEvent[],
  samples: readonly GpuSample[],
  catalog: PriceCatalog,
  opts: { fromMs: number; toMs: number; groupBy: readonly TokenGroupField[]; filter?: GpuCostFilter; fleet: boolean },
): ExpectedGpuCostTotals {
  const attribution = attributeGpus(tokenEvents, samples, catalog, totalsBuckets(opts.fromMs, opts.toMs), opts);
  const rows = new Map<string, { key: TokenKey; sum: GpuCostSum }>();
  if (opts.groupBy.length === 0) rows.set('{}', { key: {}, sum: new GpuCostSum() });
  for (const share of attribution.shares) {
    const id = JSON.stringify(share.key);
    const row = rows.get(id) ?? { key: share.key, sum: new GpuCostSum() };
    rows.set(id, row);
    row.sum.add(share);
  }
  const idle = new GpuCostSum();
  for (const part of attribution.idle) idle.add(part);
  return {
    rows: [...rows.values()].map(({ key, sum }) => ({ key, ...sum.figures() })).sort(byKeyJson),
    ...(opts.fleet ? { unattributed: idle.idle(), unpricedGpuMinutes: attribution.unpricedGpuMinutes } : {}),
  };
}

export type ExpectedGpuCostSeries = Pick<GpuCostSeriesResponse, 'series' | 'unattributed' | 'unpricedGpuMinutes'>;

/** view=gpus series on the grid [fromMs, toMs) of stepMs: hour buckets for steps of an hour or more, else minutes. */
export function expectedGpuCostSeries(
  tokenEvents: readonly TokenUsageEvent[],
  samples: readonly GpuSample[],
  catalog: PriceCatalog,
  opts: {
    fromMs: number;
    toMs: number;
    stepMs: number;
    groupBy: readonly TokenGroupField[];
    filter?: GpuCostFilter;
    fleet: boolean;
  },
): ExpectedGpuCostSeries {
  const sizeMs = opts.stepMs >= HOUR_MS ? HOUR_MS : MINUTE_MS;
  const attribution = attributeGpus(tokenEvents, samples, catalog, evenBuckets(opts.fromMs, opts.toMs, sizeMs), opts);
  const point = (startMs: number) => opts.fromMs + floorTo(startMs - opts.fromMs, opts.stepMs);
  const series = new Map<string, { key: TokenKey; points: Map<number, GpuCostSum> }>();
  if (opts.groupBy.length === 0) series.set('{}', { key: {}, points: new Map() });
  for (const share of attribution.shares) {
    const id = JSON.stringify(share.key);
    const s = series.get(id) ?? { key: share.key, points: new Map<number, GpuCostSum>() };
    series.set(id, s);
    const sum = s.points.get(point(share.startMs)) ?? new GpuCostSum();
    s.points.set(point(share.startMs), sum);
    sum.add(share);
  }
  const idle = new Map<number, GpuCostSum>();
  for (const part of attribution.idle) {
    const sum = idle.get(point(part.startMs)) ?? new GpuCostSum();
    idle.set(point(part.startMs), sum);
    sum.add(part);
  }
  const times = evenBuckets(opts.fromMs, opts.toMs, opts.stepMs).map((b) => b.startMs);
  return {
    series: [...series.values()]
      .map(({ key, points }) => ({
        key,
        points: times.map((t) => ({ t: new Date(t).toISOString(), ...(points.get(t) ?? new GpuCostSum()).figures() })),
      }))
      .sort(byKeyJson),
    ...(opts.fleet
      ? {
          unattributed: times.map((t) => ({
            t: new Date(t).toISOString(),
            ...(idle.get(t) ?? new GpuCostSum()).idle(),
          })),
          unpricedGpuMinutes: attribution.unpricedGpuMinutes,
        }
      : {}),
  };
}

/**
 * RFC 4180 records of a CSV body. `crlfOnly` is false when a record ends with a bare CR or LF;
 * line breaks inside quoted fields are field content.
 */
export function parseCsv(text: string): { records: string[][]; crlfOnly: boolean } {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  let crlfOnly = true;
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i += 2;
      } else if (c === '"') {
        quoted = false;
        i += 1;
      } else {
        field += c;
        i += 1;
      }
      continue;
    }
    if (c === '"' && field.length === 0) {
      quoted = true;
      i += 1;
    } else if (c === ',') {
      record.push(field);
      field = '';
      i += 1;
    } else if (c === '\r' || c === '\n') {
      if (c === '\r' && text[i + 1] === '\n') i += 2;
      else {
        crlfOnly = false;
        i += 1;
      }
      record.push(field);
      records.push(record);
      record = [];
      field = '';
    } else {
      field += c;
      i += 1;
    }
  }
  if (quoted) throw new Error('CSV ends inside a quoted field');
  if (field.length > 0 || record.length > 0) {
    record.push(field);
    records.push(record);
  }
  return { records, crlfOnly };
}

// ---- Month-to-date spend and budget gauges ---------------------------------------------------

/** Start of the UTC calendar month holding `ms`. */
export function utcMonthStartMs(ms: number): number {
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}

/**
 * Month-to-date spend at `nowMs`, from which `tokenmeter_cost_month_to_date` is checked (the API
 * shows budgeted tenants only): the token-priced cost (6-decimal string) of each tenant over
 * [UTC month start of nowMs, nowMs), from the events' own times, and "0.000000" for a budgeted
 * tenant without events in the month.
 */
export function expectedMonthToDate(
  events: readonly TokenUsageEvent[],
  catalog: PriceCatalog,
  nowMs: number,
): Map<string, string> {
  const out = new Map<string, string>((catalog.budgets ?? []).map((b) => [b.tenant, formatCost(0n)]));
  const rows = expectedCostRows(events, catalog, { fromMs: utcMonthStartMs(nowMs), toMs: nowMs, groupBy: ['tenant'] });
  for (const row of rows) out.set(row.key.tenant as string, row.cost);
  return out;
}
