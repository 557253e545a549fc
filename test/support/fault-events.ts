// Realistic, reproducible traffic for the fault-injection suite (issue 3): token events from
// ~50 series (tenant × model × node) over the last ~2 hours, roughly in time order with late
// arrivals, optional fields sometimes absent, some errors; and GPU samples from a small fleet.
// A seeded generator makes a failing run reproducible from the seed it prints.
import { randomUUID } from 'node:crypto';
import type { GpuSample, TokenUsageEventInput } from '@tokenmeter/contracts';

/** mulberry32: a tiny seeded PRNG (uniform in [0, 1)). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export function pick<T>(random: () => number, items: readonly T[]): T {
  const item = items[Math.floor(random() * items.length)];
  if (item === undefined) throw new Error('pick from an empty list');
  return item;
}

export function shuffle<T>(random: () => number, items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}

/** Splits items into consecutive chunks whose sizes are drawn from [min, max]. */
export function chunk<T>(random: () => number, items: readonly T[], min: number, max: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length;) {
    const size = min + Math.floor(random() * (max - min + 1));
    out.push(items.slice(i, i + size));
    i += size;
  }
  return out;
}

const TENANTS = ['acme', 'globex', 'initech', 'umbrella', 'hooli'] as const;
const MODELS = [
  'meta-llama/Llama-3.1-8B-Instruct',
  'meta-llama/Llama-3.1-70B-Instruct',
  'Qwen/Qwen2.5-72B-Instruct',
  'mistralai/Mistral-7B-Instruct-v0.3',
  'deepseek-ai/DeepSeek-R1-Distill-Qwen-32B',
  'google/gemma-2-27b-it',
] as const;
const NODES = Array.from({ length: 10 }, (_, i) => `gpu-node-${String(i + 1).padStart(2, '0')}`);

export interface Series {
  /** undefined: the event omits tenant and the validators fill in "default". */
  tenant: string | undefined;
  model: string;
  node: string;
  /** Relative traffic share (skewed like real fleets: a few series carry most requests). */
  weight: number;
}

export function tokenSeries(random: () => number, count = 50): Series[] {
  const all: Series[] = [];
  for (const tenant of TENANTS) {
    for (const model of MODELS) for (const node of NODES) all.push({ tenant, model, node, weight: 1 });
  }
  const chosen = shuffle(random, all).slice(0, count);
  // Two series without a tenant: stored and rolled up under "default".
  for (const s of chosen.slice(0, 2)) s.tenant = undefined;
  chosen.forEach((s, i) => (s.weight = 1 / (1 + i) ** 0.8));
  return chosen;
}

function weightedPick(random: () => number, series: readonly Series[], total: number): Series {
  let r = random() * total;
  for (const s of series) {
    r -= s.weight;
    if (r <= 0) return s;
  }
  return series[series.length - 1] as Series;
}

/** An RFC 3339 time for `ms`, sometimes written with a non-UTC offset (the validators normalise it). */
function rfc3339(random: () => number, ms: number): string {
  if (random() >= 0.1) return new Date(ms).toISOString();
  const offsetMin = pick(random, [120, -300, 330, 60]);
  const local = new Date(ms + offsetMin * 60_000).toISOString().replace('Z', '');
  const sign = offsetMin < 0 ? '-' : '+';
  const abs = Math.abs(offsetMin);
  return `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

function logUniform(random: () => number, min: number, max: number): number {
  return Math.exp(Math.log(min) + random() * (Math.log(max) - Math.log(min)));
}

export interface TrafficOptions {
  count: number;
  nowMs: number;
  /** How far back event times reach. */
  spanMs?: number;
  /** Share of events delivered late, at a random later position. */
  lateShare?: number;
}

/**
 * `count` token events in delivery order: sorted by time, locally shuffled in windows of 2,000
 * (concurrent clients), with `lateShare` of them moved to a random later position.
 */
export function tokenTraffic(
  random: () => number,
  series: readonly Series[],
  opts: TrafficOptions,
): TokenUsageEventInput[] {
  const spanMs = opts.spanMs ?? 2 * 3_600_000;
  const total = series.reduce((sum, s) => sum + s.weight, 0);
  const events: (TokenUsageEventInput & { _t?: number })[] = [];
  for (let i = 0; i < opts.count; i += 1) {
    const s = weightedPick(random, series, total);
    const ms = Math.floor(opts.nowMs - 5_000 - random() * spanMs);
    const error = random() < 0.03;
    const inputTokens = Math.floor(logUniform(random, 8, 16_000));
    const outputTokens = error && random() < 0.5 ? 0 : Math.floor(logUniform(random, 1, 4_000));
    const durationMs = Math.round(logUniform(random, 20, 120_000) * 1000) / 1000;
    const event: TokenUsageEventInput = {
      eventId: randomUUID(),
      time: rfc3339(random, ms),
      model: s.model,
      ...(s.tenant === undefined ? {} : { tenant: s.tenant }),
      node: s.node,
      inputTokens,
      outputTokens,
      durationMs,
      status: error ? 'error' : 'ok',
    };
    if (random() < 0.7) event.gpuIndex = Math.floor(random() * 8);
    if (random() < 0.3) event.cachedInputTokens = Math.floor(random() * inputTokens);
    // ttftMs is absent for ~20% (non-streaming requests), and always ≤ durationMs.
    if (random() < 0.8) event.ttftMs = Math.round(durationMs * random() * 0.5 * 1000) / 1000;
    if (random() < 0.9) event.finishReason = error ? 'error' : pick(random, ['stop', 'length', 'stop', 'stop']);
    if (random() < 0.2) event.attributes = { region: pick(random, ['us-east-1', 'eu-west-1']), route: 'chat' };
    events.push({ ...event, _t: ms });
  }
  return deliveryOrder(random, events, opts.lateShare ?? 0.02);
}

function deliveryOrder<E extends { _t?: number }>(random: () => number, events: E[], lateShare: number): E[] {
  events.sort((a, b) => (a._t ?? 0) - (b._t ?? 0));
  for (const e of events) delete e._t;
  const ordered: E[] = [];
  for (let i = 0; i < events.length; i += 2_000) ordered.push(...shuffle(random, events.slice(i, i + 2_000)));
  const late = Math.floor(ordered.length * lateShare);
  for (let k = 0; k < late; k += 1) {
    const from = Math.floor(random() * ordered.length);
    const [moved] = ordered.splice(from, 1);
    const to = from + Math.floor(random() * (ordered.length - from));
    ordered.splice(to, 0, moved as E);
  }
  return ordered;
}

/** GPU samples of `nodes` × 8 GPUs every `intervalMs` over the span, in delivery order. */
export function gpuTraffic(
  random: () => number,
  opts: { nowMs: number; nodes: number; samplesPerGpu: number; spanMs?: number },
): GpuSample[] {
  const spanMs = opts.spanMs ?? 2 * 3_600_000;
  const intervalMs = Math.floor(spanMs / opts.samplesPerGpu);
  const samples: (GpuSample & { _t?: number })[] = [];
  for (let n = 0; n < opts.nodes; n += 1) {
    for (let gpuIndex = 0; gpuIndex < 8; gpuIndex += 1) {
      const node = NODES[n % NODES.length] as string;
      let energyJ = 1e6 * (1 + random() * 100);
      const uuid = randomUUID();
      for (let k = 0; k < opts.samplesPerGpu; k += 1) {
        const ms = opts.nowMs - 5_000 - spanMs + k * intervalMs + Math.floor(random() * 1000);
        const powerW = Math.round((80 + random() * 620) * 10) / 10;
        energyJ += (powerW * intervalMs) / 1000;
        const sample: GpuSample = {
          eventId: randomUUID(),
          time: new Date(ms).toISOString(),
          node,
          gpuIndex,
          gpuUuid: `GPU-${uuid}`,
          gpuModel: 'NVIDIA H100 80GB HBM3',
          utilizationPct: Math.round(random() * 1000) / 10,
          memoryUsedMiB: Math.floor(random() * 81_559),
          memoryTotalMiB: 81_559,
          powerW,
          temperatureC: 30 + Math.floor(random() * 55),
          smClockMHz: 1_980,
        };
        // The energy counter is missing from some exporters' samples.
        if (random() < 0.9) sample.energyJ = Math.round(energyJ * 1000) / 1000;
        // Utilisation is absent from a few (a MIG GPU on nvidia-smi): counted in samples only.
        if (random() < 0.05) delete sample.utilizationPct;
        samples.push({ ...sample, _t: ms });
      }
    }
  }
  return deliveryOrder(random, samples, 0.02);
}
