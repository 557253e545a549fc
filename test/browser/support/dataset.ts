// The data the browser tier shows in the console: token events and GPU samples built from a
// seeded generator (so a failing run can be replayed with the same numbers), and the token totals
// the console must show for them, summed here from the raw events without the query API.
import type { GpuSample, TokenUsageEvent } from '@tokenmeter/contracts';
import { buildGpuSample, buildTokenUsageEvent } from '@tokenmeter/contracts/testing/factories';
import { expectedTokenTotals } from '../../support/query-expectations';

export const MINUTE = 60_000;
export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

export interface GpuSpec {
  node: string;
  gpuIndex: number;
  gpuModel: string;
  /** This GPU's share of the load (1 when absent), so that GPUs' lines differ. */
  loadScale?: number;
}

export interface DatasetSpec {
  /** Prefix of every event id (unique per run: ids are deduplicated by the processor). */
  idPrefix: string;
  seed: number;
  /** Token events and GPU samples lie in [fromMs, toMs). */
  fromMs: number;
  toMs: number;
  tokenEvents: number;
  tenants: readonly string[];
  models: readonly string[];
  /** The GPUs; token events run on their nodes (efficiency attributes a node's energy to them). */
  gpus: readonly GpuSpec[];
  sampleEveryMs: number;
  /** Relative load 0..1 at a time (a daily curve for the screenshots); constant when absent. */
  load?: (timeMs: number) => number;
}

export interface Dataset {
  tokens: TokenUsageEvent[];
  samples: GpuSample[];
  tenants: readonly string[];
  models: readonly string[];
  nodes: readonly string[];
  fromMs: number;
  toMs: number;
}

/** A deterministic generator in [0, 1) (a 32-bit LCG, as the cost tests use). */
export function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1_664_525 + 1_013_904_223) >>> 0;
    return s / 2 ** 32;
  };
}

function pick<T>(items: readonly T[], random: () => number): T {
  return items[Math.floor(random() * items.length)] as T;
}

/** Models differ in size: bigger ones answer longer and slower. */
function modelScale(models: readonly string[], model: string): number {
  return 1 + models.indexOf(model) * 0.6;
}

export function buildDataset(spec: DatasetSpec): Dataset {
  const random = seeded(spec.seed);
  const load = spec.load ?? (() => 1);
  const nodes = [...new Set(spec.gpus.map((g) => g.node))];
  const spanMs = spec.toMs - spec.fromMs;

  const tokens: TokenUsageEvent[] = [];
  while (tokens.length < spec.tokenEvents) {
    const t = spec.fromMs + Math.floor(random() * spanMs);
    // Rejection sampling: events follow the load curve.
    if (random() > load(t)) continue;
    const i = tokens.length;
    const model = pick(spec.models, random);
    const scale = modelScale(spec.models, model);
    const node = pick(nodes, random);
    const gpu = pick(
      spec.gpus.filter((g) => g.node === node),
      random,
    );
    const error = random() < 0.05;
    const inputTokens = 50 + Math.floor(random() * 8_000);
    const cachedRoll = random();
    const cachedInputTokens = cachedRoll < 0.3 ? Math.floor(random() * inputTokens) : undefined;
    const ttftMs = Math.round((40 + random() * 260) * scale);
    tokens.push(
      buildTokenUsageEvent({
        eventId: `${spec.idPrefix}-t${i}`,
        time: new Date(t).toISOString(),
        // Tenants and models with different weights, so that the rows' sums differ.
        tenant: spec.tenants[
          Math.min(spec.tenants.length - 1, Math.floor(random() ** 1.4 * spec.tenants.length))
        ] as string,
        model,
        node,
        gpuIndex: gpu.gpuIndex,
        inputTokens,
        outputTokens: error ? 0 : 1 + Math.floor(random() * 1_500 * scale),
        ...(cachedInputTokens === undefined ? {} : { cachedInputTokens }),
        ttftMs,
        durationMs: ttftMs + Math.round((300 + random() * 5_000) * scale),
        status: error ? 'error' : 'ok',
        finishReason: error ? 'error' : 'stop',
      }),
    );
  }

  const samples: GpuSample[] = [];
  for (const gpu of spec.gpus) {
    let energyJ = 1_000_000 + gpu.gpuIndex * 50_000;
    for (let t = spec.fromMs; t < spec.toMs; t += spec.sampleEveryMs) {
      const busy = Math.min(1, Math.max(0, load(t) * (gpu.loadScale ?? 1) * (0.9 + random() * 0.2)));
      const powerW = Math.round((80 + busy * 560) * 10) / 10;
      energyJ += powerW * (spec.sampleEveryMs / 1_000);
      samples.push(
        buildGpuSample({
          eventId: `${spec.idPrefix}-g-${gpu.node}-${gpu.gpuIndex}-${t}`,
          time: new Date(t).toISOString(),
          node: gpu.node,
          gpuIndex: gpu.gpuIndex,
          gpuUuid: `GPU-${spec.idPrefix}-${gpu.node}-${gpu.gpuIndex}`,
          gpuModel: gpu.gpuModel,
          utilizationPct: Math.round(busy * 100),
          memoryUsedMiB: Math.round(20_000 + busy * 55_000),
          memoryTotalMiB: 81_559,
          powerW,
          temperatureC: Math.round(38 + busy * 42),
          energyJ: Math.round(energyJ * 10) / 10,
        }),
      );
    }
  }

  // Through JSON once, as the producer will see them (no undefined fields).
  return {
    tokens: tokens.map((e) => JSON.parse(JSON.stringify(e)) as TokenUsageEvent),
    samples: samples.map((s) => JSON.parse(JSON.stringify(s)) as GpuSample),
    tenants: [...spec.tenants],
    models: [...spec.models],
    nodes,
    fromMs: spec.fromMs,
    toMs: spec.toMs,
  };
}

export interface TokenSums {
  requests: number;
  errors: number;
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens: number;
}

export type TotalsRow = { tenant: string; model: string } & TokenSums;

export const SUM_FIELDS = ['requests', 'errors', 'inputTokens', 'outputTokens', 'cachedInputTokens'] as const;

export interface TokenFilter {
  fromMs: number;
  toMs: number;
  tenant?: string;
  model?: string;
  node?: string;
  /** The tenants a key may read (all when absent). */
  tenantIn?: readonly string[];
}

export function rowKey(tenant: string, model: string): string {
  return JSON.stringify([tenant, model]);
}

/** What `/v1/tokens/totals?groupBy=tenant,model` must answer, by rowKey. */
export function expectedTotals(events: readonly TokenUsageEvent[], filter: TokenFilter): Map<string, TotalsRow> {
  const selected = events.filter((e) => {
    const t = Date.parse(e.time);
    return (
      t >= filter.fromMs &&
      t < filter.toMs &&
      (filter.tenant === undefined || e.tenant === filter.tenant) &&
      (filter.model === undefined || e.model === filter.model) &&
      (filter.node === undefined || e.node === filter.node) &&
      (filter.tenantIn === undefined || filter.tenantIn.includes(e.tenant))
    );
  });
  const rows = new Map<string, TotalsRow>();
  for (const { key, ...sums } of expectedTokenTotals(selected, ['tenant', 'model']).values()) {
    const tenant = key.tenant ?? '';
    const model = key.model ?? '';
    rows.set(rowKey(tenant, model), { tenant, model, ...sums });
  }
  return rows;
}

export function sumRows(rows: Iterable<TokenSums>): TokenSums {
  const total: TokenSums = { requests: 0, errors: 0, inputTokens: 0, outputTokens: 0, cachedInputTokens: 0 };
  for (const row of rows) for (const field of SUM_FIELDS) total[field] += row[field];
  return total;
}

/** Whole UTC minutes: what `<input type="datetime-local">` takes, read as UTC by the console. */
export function datetimeLocal(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16);
}
