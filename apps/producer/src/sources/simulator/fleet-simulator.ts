/**
 * A seeded, deterministic model of an LLM inference fleet (SPEC §5 "fleet simulator"): nodes of
 * GPUs serving a few models, tenants sending requests with a daily load curve, and GPU readings
 * that follow the load the simulator itself generated. Pure: no Nest, no I/O, no clock — every
 * time is an argument, so the same seed and the same calls give byte-identical output.
 *
 *   const sim = new FleetSimulator({ seed: 7 });
 *   sim.tokenEvents(fromMs, toMs)  // finished requests whose `time` is in [fromMs, toMs), sorted by time
 *   sim.tokenEventAt(timeMs)       // one request finishing at timeMs (callers that pace events themselves)
 *   sim.gpuSamples(fromMs, toMs)   // one reading per GPU per gpuSampleIntervalMs grid point in [fromMs, toMs)
 *   sim.diurnalFactor(timeMs)      // the load curve: 1 on the daily mean
 *   sim.gpus                       // the fleet: node, gpuIndex, gpuUuid, model served
 *
 * Load. Requests arrive as a Poisson process of rate `eventsPerSecond × diurnalFactor(time)`;
 * `eventsPerSecond` is the DAILY MEAN. The curve is `1 + diurnalAmplitude · cos(2π(h − peakHourUtc)/24)`
 * for the UTC hour h: it averages to 1 over a day, peaks at (1 + amplitude) × mean in the afternoon
 * and bottoms out at night UTC. Amplitude 0 gives a flat rate.
 *
 * Placement. Each node's GPUs are filled with model replicas in the order of `models`, each replica
 * taking `tensorParallel` adjacent GPUs (a model that no longer fits on the node is skipped for the
 * next one that does). A request picks its model by `trafficWeight`, then one of that model's
 * replicas; the event carries the replica's node and first GPU index. A model without any replica
 * (a fleet too small for it) gets no traffic.
 *
 * GPU readings at grid point t describe the interval [t − gpuSampleIntervalMs, t): the replica's
 * mean number of requests in flight there (Little's law: the summed durations of the requests that
 * finished in it, divided by its length) drives utilisation, which drives memory (weights + KV
 * cache), power (idle..TDP), SM clock and, with a lag, temperature; `energyJ` integrates power and
 * only grows. Intervals that `tokenEvents`/`tokenEventAt` never covered use the expected load
 * instead, so GPU samples are plausible on their own. Sample windows are expected to move forward:
 * a grid point at or before a GPU's previous reading is skipped, so counters never go backwards.
 */
import type { GpuSample, TokenUsageEventInput } from '@tokenmeter/contracts';

// ---------------------------------------------------------------------------------------------
// Options

/** A log-normal token count: `median · e^(sigma · N(0,1))`, rounded, clamped to [1, max]. */
export interface TokenDistribution {
  readonly median: number;
  readonly sigma: number;
  readonly max: number;
}

export interface ModelProfile {
  /** As served, e.g. "meta-llama/Llama-3.1-8B-Instruct". */
  readonly name: string;
  /** Relative share of requests. */
  readonly trafficWeight: number;
  /** GPUs per replica (vLLM --tensor-parallel-size). */
  readonly tensorParallel: number;
  /** bf16 weights of the whole model; each GPU of a replica holds 1/tensorParallel of them. */
  readonly weightsMiB: number;
  readonly inputTokens: TokenDistribution;
  /** `max` is also the largest max_tokens a request asks for. */
  readonly outputTokens: TokenDistribution;
  /** Share of requests whose prompt prefix is partly in the prefix cache. */
  readonly prefixCacheHitRate: number;
  /** Fixed part of time to first token (scheduling, first decode step). */
  readonly ttftBaseMs: number;
  /** Prefill cost per uncached prompt token. */
  readonly prefillMsPerInputToken: number;
  /** Inter-token latency while decoding. */
  readonly perOutputTokenMs: number;
  /** Mean queueing delay at the daily mean load (scales with the load curve). */
  readonly queueDelayMs: number;
  /** Requests in flight at which a replica's GPUs are ~63 % utilised (util = 1 − e^(−inFlight/this)). */
  readonly saturationConcurrency: number;
}

export interface TenantProfile {
  readonly name: string;
  /** Relative share of requests. */
  readonly weight: number;
}

export interface GpuProfile {
  /** nvidia-smi / DCGM product name. */
  readonly model: string;
  readonly memoryTotalMiB: number;
  readonly idleW: number;
  readonly tdpW: number;
  readonly idleSmClockMHz: number;
  readonly maxSmClockMHz: number;
}

export interface FleetSimulatorOptions {
  /** Any safe integer; the same seed and the same calls give the same output. */
  readonly seed: number;
  /** Nodes are named gpu-node-01, gpu-node-02, ... */
  readonly nodes: number;
  readonly gpusPerNode: number;
  readonly models: readonly ModelProfile[];
  readonly tenants: readonly TenantProfile[];
  /** Mean finished requests (token events) per second over a whole day, for the fleet. */
  readonly eventsPerSecond: number;
  /** 0..1: the peak is (1 + amplitude) × the mean, the trough (1 − amplitude) × the mean. */
  readonly diurnalAmplitude: number;
  /** UTC hour (0..24) of the daily peak. */
  readonly peakHourUtc: number;
  /** Share of requests that end with status "error". */
  readonly errorRate: number;
  /** Spacing of the GPU sample grid (epoch-aligned), ms. */
  readonly gpuSampleIntervalMs: number;
  readonly gpu: GpuProfile;
}

export const H100_SXM: GpuProfile = {
  model: 'NVIDIA H100 80GB HBM3',
  memoryTotalMiB: 81_559,
  idleW: 60,
  tdpW: 700,
  idleSmClockMHz: 345,
  maxSmClockMHz: 1_980,
};

/** Latency figures are in the range vLLM reports on H100s for these models. */
export const DEFAULT_MODELS: readonly ModelProfile[] = [
  {
    name: 'meta-llama/Llama-3.1-8B-Instruct',
    trafficWeight: 0.45,
    tensorParallel: 1,
    weightsMiB: 15_320,
    inputTokens: { median: 600, sigma: 1.1, max: 32_768 },
    outputTokens: { median: 180, sigma: 0.9, max: 4_096 },
    prefixCacheHitRate: 0.35,
    ttftBaseMs: 25,
    prefillMsPerInputToken: 0.06,
    perOutputTokenMs: 9,
    queueDelayMs: 15,
    saturationConcurrency: 24,
  },
  {
    name: 'meta-llama/Llama-3.1-70B-Instruct',
    trafficWeight: 0.2,
    tensorParallel: 4,
    weightsMiB: 134_570,
    inputTokens: { median: 900, sigma: 1.1, max: 32_768 },
    outputTokens: { median: 260, sigma: 0.9, max: 4_096 },
    prefixCacheHitRate: 0.4,
    ttftBaseMs: 60,
    prefillMsPerInputToken: 0.25,
    perOutputTokenMs: 28,
    queueDelayMs: 40,
    saturationConcurrency: 32,
  },
  {
    name: 'mistralai/Mixtral-8x7B-Instruct-v0.1',
    trafficWeight: 0.2,
    tensorParallel: 2,
    weightsMiB: 88_990,
    inputTokens: { median: 700, sigma: 1.0, max: 32_768 },
    outputTokens: { median: 220, sigma: 0.9, max: 4_096 },
    prefixCacheHitRate: 0.3,
    ttftBaseMs: 45,
    prefillMsPerInputToken: 0.12,
    perOutputTokenMs: 16,
    queueDelayMs: 30,
    saturationConcurrency: 24,
  },
  {
    name: 'Qwen/Qwen2.5-32B-Instruct',
    trafficWeight: 0.15,
    tensorParallel: 2,
    weightsMiB: 62_500,
    inputTokens: { median: 800, sigma: 1.1, max: 32_768 },
    outputTokens: { median: 300, sigma: 0.95, max: 8_192 },
    prefixCacheHitRate: 0.35,
    ttftBaseMs: 40,
    prefillMsPerInputToken: 0.14,
    perOutputTokenMs: 20,
    queueDelayMs: 25,
    saturationConcurrency: 28,
  },
];

export const DEFAULT_TENANTS: readonly TenantProfile[] = [
  { name: 'acme', weight: 0.4 },
  { name: 'globex', weight: 0.3 },
  { name: 'initech', weight: 0.2 },
  { name: 'umbrella', weight: 0.1 },
];

export const DEFAULT_FLEET_OPTIONS: FleetSimulatorOptions = {
  seed: 1,
  nodes: 4,
  gpusPerNode: 8,
  models: DEFAULT_MODELS,
  tenants: DEFAULT_TENANTS,
  eventsPerSecond: 50,
  diurnalAmplitude: 0.6,
  peakHourUtc: 15,
  errorRate: 0.01,
  gpuSampleIntervalMs: 10_000,
  gpu: H100_SXM,
};

/** Thrown by the constructor; `problems` names every bad option. */
export class FleetSimulatorOptionsError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid fleet simulator options: ${problems.join('; ')}`);
    this.name = 'FleetSimulatorOptionsError';
  }
}

export interface SimulatedGpu {
  readonly node: string;
  readonly gpuIndex: number;
  readonly gpuUuid: string;
  /** The model of the replica this GPU belongs to. */
  readonly model: string;
}

// ---------------------------------------------------------------------------------------------
// Seeded randomness

/** xoshiro128** (Blackman & Vigna): 2^128 − 1 period, so distinct seeds never share a stream in practice. */
class Xoshiro128 {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(seed: number, stream: number) {
    // splitmix32 spreads (seed, stream) over the 128-bit state; the state must not be all zero.
    let x = Math.imul(Math.floor(seed / 2 ** 32), 0x9e3779b9) ^ (seed >>> 0) ^ Math.imul(stream + 1, 0x85ebca6b);
    const next = (): number => {
      x = (x + 0x9e3779b9) | 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
      z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
      return (z ^ (z >>> 15)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next() | 1;
  }

  /** A uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform in [0, 1). */
  uniform(): number {
    return this.nextUint32() / 2 ** 32;
  }

  /** Standard normal (Box–Muller; 1 − u keeps the logarithm finite). */
  normal(): number {
    const u = 1 - this.uniform();
    const v = this.uniform();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  exponential(mean: number): number {
    return -Math.log(1 - this.uniform()) * mean;
  }

  /** Index into `cumulative` (a running sum ending at the total) chosen in proportion to the weights. */
  weighted(cumulative: readonly number[]): number {
    const total = cumulative[cumulative.length - 1] ?? 0;
    const r = this.uniform() * total;
    for (let i = 0; i < cumulative.length; i += 1) if (r < (cumulative[i] ?? 0)) return i;
    return cumulative.length - 1;
  }

  /** A random UUID (version 4 layout) made from the stream: deterministic, yet unique in practice. */
  uuid(): string {
    const hex = (n: number): string => n.toString(16).padStart(8, '0');
    const a = hex(this.nextUint32());
    const b = hex(((this.nextUint32() & 0xffff0fff) | 0x00004000) >>> 0);
    const c = hex(((this.nextUint32() & 0x3fffffff) | 0x80000000) >>> 0);
    const d = hex(this.nextUint32());
    return `${a}-${b.slice(0, 4)}-${b.slice(4)}-${c.slice(0, 4)}-${c.slice(4)}${d}`;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

// Independent streams, so that e.g. asking for GPU samples never changes the token events.
const STREAM_FLEET = 1;
const STREAM_TOKENS = 2;
const STREAM_GPUS = 3;
const STREAM_CALIBRATION = 4;

// ---------------------------------------------------------------------------------------------
// The simulator

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
/** Requests ask for one of these max_tokens (capped by the model's outputTokens.max). */
const MAX_TOKENS_CHOICES = [256, 512, 1_024, 2_048, 4_096, 8_192];
/** vLLM's prefix cache works in blocks of 16 tokens. */
const PREFIX_BLOCK_TOKENS = 16;
/** CUDA context, activations and allocator slack per GPU. */
const RUNTIME_OVERHEAD_MIB = 1_024;
/** Part of the KV cache pool that is in use on a busy GPU vs an idle one. */
const KV_IDLE_SHARE = 0.1;
/** How long the GPU temperature takes to move 63 % of the way to its steady state. */
const THERMAL_TIME_CONSTANT_MS = 60_000;
const AMBIENT_C = 28;
const DEGREES_PER_WATT = 0.065;
/** Activity ledger size: 20,000 intervals (2.3 days at the default 10 s). */
const MAX_LEDGER_INTERVALS = 20_000;
const CALIBRATION_DRAWS = 500;

interface Replica {
  readonly node: string;
  readonly firstGpu: number;
  readonly gpuCount: number;
  readonly model: ModelProfile;
  /** Expected share of all requests. */
  share: number;
}

interface GpuState {
  readonly gpu: SimulatedGpu;
  readonly replica: number;
  lastSampleMs: number | undefined;
  lastPowerW: number;
  temperatureC: number;
  energyJ: number;
}

interface LedgerInterval {
  /** Milliseconds of the interval for which token events were generated. */
  coveredMs: number;
  /** Summed request durations that finished in the interval, per replica. */
  readonly busyMs: Float64Array;
}

interface RequestShape {
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens?: number;
  ttftMs?: number;
  durationMs: number;
  status: 'ok' | 'error';
  finishReason: string;
}

export class FleetSimulator {
  readonly options: FleetSimulatorOptions;
  readonly gpus: readonly SimulatedGpu[];

  private readonly replicas: Replica[] = [];
  private readonly replicaCumulative: number[] = [];
  private readonly tenantCumulative: number[] = [];
  private readonly gpuStates: GpuState[] = [];
  private readonly meanDurationMs = new Map<ModelProfile, number>();
  private readonly ledger = new Map<number, LedgerInterval>();
  private newestLedgerKey = -Infinity;
  private readonly tokenRng: Xoshiro128;
  private readonly gpuRng: Xoshiro128;

  constructor(options: Partial<FleetSimulatorOptions> = {}) {
    this.options = { ...DEFAULT_FLEET_OPTIONS, ...options };
    const problems = checkOptions(this.options);
    if (problems.length > 0) throw new FleetSimulatorOptionsError(problems);
    const { seed } = this.options;
    this.tokenRng = new Xoshiro128(seed, STREAM_TOKENS);
    this.gpuRng = new Xoshiro128(seed, STREAM_GPUS);
    this.gpus = this.buildFleet(new Xoshiro128(seed, STREAM_FLEET));
    this.calibrate(new Xoshiro128(seed, STREAM_CALIBRATION));
  }

  /** The load curve at `timeMs`: averages to 1 over a UTC day. */
  diurnalFactor(timeMs: number): number {
    const { diurnalAmplitude, peakHourUtc } = this.options;
    const hour = (((timeMs % DAY_MS) + DAY_MS) % DAY_MS) / HOUR_MS;
    return 1 + diurnalAmplitude * Math.cos((2 * Math.PI * (hour - peakHourUtc)) / 24);
  }

  /**
   * The requests that finished in [fromMs, toMs) (epoch ms integers), sorted by time: a Poisson
   * process of rate eventsPerSecond × diurnalFactor, drawn by thinning.
   */
  tokenEvents(fromMs: number, toMs: number): TokenUsageEventInput[] {
    checkWindow(fromMs, toMs);
    this.cover(fromMs, toMs);
    const peakPerMs = (this.options.eventsPerSecond * (1 + this.options.diurnalAmplitude)) / 1000;
    const events: TokenUsageEventInput[] = [];
    if (peakPerMs <= 0 || this.replicas.length === 0) return events;
    const peakFactor = 1 + this.options.diurnalAmplitude;
    for (let t = fromMs + this.tokenRng.exponential(1 / peakPerMs); t < toMs;) {
      if (this.tokenRng.uniform() * peakFactor < this.diurnalFactor(t)) events.push(this.drawEvent(Math.floor(t)));
      t += this.tokenRng.exponential(1 / peakPerMs);
    }
    return events;
  }

  /**
   * One request that finished at `timeMs`, for callers that pace events themselves (the load
   * generator). Its GPU interval counts as covered: GPU samples there follow these events only.
   */
  tokenEventAt(timeMs: number): TokenUsageEventInput {
    checkWindow(timeMs, timeMs);
    if (this.replicas.length === 0) throw new RangeError('the fleet serves no model');
    const interval = this.ledgerInterval(this.intervalKey(timeMs));
    interval.coveredMs = this.options.gpuSampleIntervalMs;
    return this.drawEvent(timeMs);
  }

  /** One reading per GPU at every gpuSampleIntervalMs grid point in [fromMs, toMs), by time then GPU. */
  gpuSamples(fromMs: number, toMs: number): GpuSample[] {
    checkWindow(fromMs, toMs);
    const step = this.options.gpuSampleIntervalMs;
    const samples: GpuSample[] = [];
    for (let t = Math.ceil(fromMs / step) * step; t < toMs; t += step) {
      const inFlight = this.replicas.map((_, r) => this.requestsInFlight(r, t));
      for (const state of this.gpuStates) {
        if (state.lastSampleMs !== undefined && t <= state.lastSampleMs) continue;
        samples.push(this.readGpu(state, t, inFlight[state.replica] ?? 0));
      }
    }
    return samples;
  }

  // --- fleet layout ---------------------------------------------------------------------------

  private buildFleet(rng: Xoshiro128): SimulatedGpu[] {
    const { nodes, gpusPerNode, models, gpu } = this.options;
    let modelCursor = 0;
    for (let n = 0; n < nodes; n += 1) {
      const node = `gpu-node-${String(n + 1).padStart(2, '0')}`;
      for (let firstGpu = 0; firstGpu < gpusPerNode;) {
        const free = gpusPerNode - firstGpu;
        // The next model in order that fits; if none does, the next one on the GPUs that are left.
        let pick = models.findIndex((_, i) => (models[(modelCursor + i) % models.length]?.tensorParallel ?? 0) <= free);
        if (pick < 0) pick = 0;
        const model = models[(modelCursor + pick) % models.length] as ModelProfile;
        modelCursor = (modelCursor + pick + 1) % models.length;
        const gpuCount = Math.min(model.tensorParallel, free);
        this.replicas.push({ node, firstGpu, gpuCount, model, share: 0 });
        firstGpu += gpuCount;
      }
    }
    const replicasPerModel = new Map<ModelProfile, number>();
    for (const r of this.replicas) replicasPerModel.set(r.model, (replicasPerModel.get(r.model) ?? 0) + 1);
    const servedWeight = [...replicasPerModel.keys()].reduce((sum, m) => sum + m.trafficWeight, 0);
    let running = 0;
    for (const r of this.replicas) {
      r.share = r.model.trafficWeight / servedWeight / (replicasPerModel.get(r.model) ?? 1);
      running += r.share;
      this.replicaCumulative.push(running);
    }
    running = 0;
    for (const tenant of this.options.tenants) {
      running += tenant.weight;
      this.tenantCumulative.push(running);
    }

    const fleet: SimulatedGpu[] = [];
    this.replicas.forEach((replica, r) => {
      for (let g = 0; g < replica.gpuCount; g += 1) {
        const simulated: SimulatedGpu = {
          node: replica.node,
          gpuIndex: replica.firstGpu + g,
          gpuUuid: `GPU-${rng.uuid()}`,
          model: replica.model.name,
        };
        fleet.push(simulated);
        // The driver has been up for a while: the energy counter starts at 1-30 days of idle power.
        const uptimeS = (1 + rng.uniform() * 29) * 86_400;
        this.gpuStates.push({
          gpu: simulated,
          replica: r,
          lastSampleMs: undefined,
          lastPowerW: gpu.idleW,
          temperatureC: Number.NaN,
          energyJ: uptimeS * gpu.idleW,
        });
      }
    });
    return fleet;
  }

  /** Mean request duration per model, to fill GPU intervals that no token events covered. */
  private calibrate(rng: Xoshiro128): void {
    for (const model of new Set(this.replicas.map((r) => r.model))) {
      let sum = 0;
      for (let i = 0; i < CALIBRATION_DRAWS; i += 1)
        sum += drawRequest(rng, model, 1, this.options.errorRate).durationMs;
      this.meanDurationMs.set(model, sum / CALIBRATION_DRAWS);
    }
  }

  // --- token events ---------------------------------------------------------------------------

  private drawEvent(timeMs: number): TokenUsageEventInput {
    const rng = this.tokenRng;
    const eventId = rng.uuid();
    const replicaIndex = rng.weighted(this.replicaCumulative);
    const replica = this.replicas[replicaIndex] as Replica;
    const tenant = this.options.tenants[rng.weighted(this.tenantCumulative)] as TenantProfile;
    const shape = drawRequest(rng, replica.model, this.diurnalFactor(timeMs), this.options.errorRate);
    const interval = this.ledgerInterval(this.intervalKey(timeMs));
    interval.busyMs[replicaIndex] = (interval.busyMs[replicaIndex] ?? 0) + shape.durationMs;
    return {
      eventId,
      time: new Date(timeMs).toISOString(),
      model: replica.model.name,
      tenant: tenant.name,
      node: replica.node,
      gpuIndex: replica.firstGpu,
      ...shape,
    };
  }

  // --- activity ledger ------------------------------------------------------------------------

  private intervalKey(timeMs: number): number {
    return Math.floor(timeMs / this.options.gpuSampleIntervalMs);
  }

  private ledgerInterval(key: number): LedgerInterval {
    let interval = this.ledger.get(key);
    if (interval === undefined) {
      interval = { coveredMs: 0, busyMs: new Float64Array(this.replicas.length) };
      this.ledger.set(key, interval);
      if (key > this.newestLedgerKey) this.newestLedgerKey = key;
      if (this.ledger.size > 2 * MAX_LEDGER_INTERVALS) {
        for (const k of [...this.ledger.keys()]) {
          if (k <= this.newestLedgerKey - MAX_LEDGER_INTERVALS) this.ledger.delete(k);
        }
      }
    }
    return interval;
  }

  private cover(fromMs: number, toMs: number): void {
    if (fromMs === toMs) return;
    const step = this.options.gpuSampleIntervalMs;
    const firstKey = Math.max(this.intervalKey(fromMs), this.intervalKey(toMs - 1) - MAX_LEDGER_INTERVALS + 1);
    for (let key = firstKey; key * step < toMs; key += 1) {
      const interval = this.ledgerInterval(key);
      const overlap = Math.min(toMs, (key + 1) * step) - Math.max(fromMs, key * step);
      interval.coveredMs = Math.min(step, interval.coveredMs + overlap);
    }
  }

  /** Mean requests in flight on replica `r` over [t − interval, t). */
  private requestsInFlight(r: number, t: number): number {
    const step = this.options.gpuSampleIntervalMs;
    const replica = this.replicas[r] as Replica;
    const interval = this.ledger.get(this.intervalKey(t - step));
    const observedMs = interval?.busyMs[r] ?? 0;
    const uncovered = 1 - (interval?.coveredMs ?? 0) / step;
    const expectedMs =
      uncovered > 0
        ? (this.options.eventsPerSecond / 1000) *
          this.diurnalFactor(t - step / 2) *
          step *
          replica.share *
          (this.meanDurationMs.get(replica.model) ?? 0)
        : 0;
    return (observedMs + uncovered * expectedMs) / step;
  }

  // --- GPU readings ---------------------------------------------------------------------------

  private readGpu(state: GpuState, t: number, inFlight: number): GpuSample {
    const rng = this.gpuRng;
    const { gpu } = this.options;
    const replica = this.replicas[state.replica] as Replica;

    const busy = 1 - Math.exp(-inFlight / replica.model.saturationConcurrency);
    const utilizationPct = inFlight > 0 ? clamp(Math.round(100 * busy + rng.normal() * 1.5), 0, 100) : 0;
    const load = utilizationPct / 100;

    const weightsMiB = replica.model.weightsMiB / replica.model.tensorParallel;
    // vLLM pre-allocates ~90 % of the frame buffer; the KV cache pool is what is left after the weights.
    const kvPoolMiB = Math.max(0, 0.9 * gpu.memoryTotalMiB - weightsMiB - RUNTIME_OVERHEAD_MIB);
    const memoryUsedMiB = Math.round(
      clamp(
        RUNTIME_OVERHEAD_MIB + weightsMiB + kvPoolMiB * (KV_IDLE_SHARE + (1 - KV_IDLE_SHARE) * load),
        0,
        gpu.memoryTotalMiB,
      ),
    );

    const powerW = round1(
      clamp(gpu.idleW + (gpu.tdpW - gpu.idleW) * load ** 0.8 * (1 + rng.normal() * 0.015), gpu.idleW, gpu.tdpW),
    );
    // Boost clock under load, pulled down as power nears the TDP; idle clock otherwise. 15 MHz steps.
    const headroom = clamp((powerW - 0.9 * gpu.tdpW) / (0.1 * gpu.tdpW), 0, 1);
    const smClock = load > 0.02 ? gpu.maxSmClockMHz - headroom * 0.12 * gpu.maxSmClockMHz : gpu.idleSmClockMHz;
    const smClockMHz = Math.round(smClock / 15) * 15;

    const steadyC = AMBIENT_C + DEGREES_PER_WATT * powerW;
    if (state.lastSampleMs === undefined) {
      state.temperatureC = steadyC;
    } else {
      const dt = t - state.lastSampleMs;
      state.temperatureC += (steadyC - state.temperatureC) * (1 - Math.exp(-dt / THERMAL_TIME_CONSTANT_MS));
      state.energyJ += ((state.lastPowerW + powerW) / 2) * (dt / 1000);
    }
    state.lastSampleMs = t;
    state.lastPowerW = powerW;

    return {
      eventId: `sim:${state.gpu.gpuUuid}:${t}`,
      time: new Date(t).toISOString(),
      node: state.gpu.node,
      gpuIndex: state.gpu.gpuIndex,
      gpuUuid: state.gpu.gpuUuid,
      gpuModel: gpu.model,
      utilizationPct,
      memoryUsedMiB,
      memoryTotalMiB: gpu.memoryTotalMiB,
      powerW,
      temperatureC: Math.round(clamp(state.temperatureC + rng.normal() * 0.4, -40, 150)),
      energyJ: Math.round(state.energyJ * 1000) / 1000,
      smClockMHz,
    };
  }
}

/** The token counts and latencies of one request; `load` is the diurnal factor at its time. */
function drawRequest(rng: Xoshiro128, model: ModelProfile, load: number, errorRate: number): RequestShape {
  const inputTokens = drawTokens(rng, model.inputTokens);
  let cachedInputTokens: number | undefined;
  if (rng.uniform() < model.prefixCacheHitRate) {
    const share = 0.2 + 0.75 * rng.uniform();
    cachedInputTokens = Math.floor((inputTokens * share) / PREFIX_BLOCK_TOKENS) * PREFIX_BLOCK_TOKENS;
  }
  const prefillTokens = inputTokens - (cachedInputTokens ?? 0);
  const queueMs = rng.exponential(model.queueDelayMs * load);
  const ttft = model.ttftBaseMs + queueMs + prefillTokens * model.prefillMsPerInputToken * jitter(rng, 0.1);

  const cached = cachedInputTokens !== undefined && cachedInputTokens > 0 ? { cachedInputTokens } : {};
  if (rng.uniform() < errorRate) {
    // Failures: mostly before the first token (no ttft), otherwise after a few tokens.
    const outputTokens = rng.uniform() < 0.6 ? 0 : 1 + Math.floor(rng.uniform() * 32);
    const decodeMs = outputTokens * model.perOutputTokenMs * jitter(rng, 0.2);
    const ttftMs = Math.round(ttft);
    const durationMs = Math.min(86_400_000, Math.round(ttft + decodeMs));
    return outputTokens === 0
      ? { inputTokens, ...cached, outputTokens, durationMs, status: 'error', finishReason: 'error' }
      : { inputTokens, ...cached, outputTokens, ttftMs, durationMs, status: 'error', finishReason: 'error' };
  }

  const maxTokens = Math.min(
    model.outputTokens.max,
    MAX_TOKENS_CHOICES[Math.floor(rng.uniform() * MAX_TOKENS_CHOICES.length)] ?? 4_096,
  );
  const wanted = drawTokens(rng, model.outputTokens);
  const outputTokens = Math.min(wanted, maxTokens);
  const decodeMs = Math.max(0, outputTokens - 1) * model.perOutputTokenMs * jitter(rng, 0.15);
  const ttftMs = Math.round(ttft);
  return {
    inputTokens,
    ...cached,
    outputTokens,
    ttftMs,
    // Rounding is monotonic, so ttftMs <= durationMs holds after it.
    durationMs: Math.min(86_400_000, Math.round(ttft + decodeMs)),
    status: 'ok',
    finishReason: wanted >= maxTokens ? 'length' : 'stop',
  };
}

function drawTokens(rng: Xoshiro128, distribution: TokenDistribution): number {
  return clamp(Math.round(distribution.median * Math.exp(distribution.sigma * rng.normal())), 1, distribution.max);
}

/** A multiplicative log-normal jitter around 1. */
function jitter(rng: Xoshiro128, sigma: number): number {
  return Math.exp(sigma * rng.normal());
}

function clamp(x: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, x));
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}

function checkWindow(fromMs: number, toMs: number): void {
  if (!Number.isSafeInteger(fromMs) || !Number.isSafeInteger(toMs) || fromMs > toMs) {
    throw new RangeError(`a window is two epoch-ms integers with from <= to, got [${fromMs}, ${toMs})`);
  }
}

function checkOptions(o: FleetSimulatorOptions): string[] {
  const problems: string[] = [];
  const need = (ok: boolean, problem: string): void => {
    if (!ok) problems.push(problem);
  };
  const positive = (x: number): boolean => Number.isFinite(x) && x > 0;
  need(Number.isSafeInteger(o.seed), `seed must be a safe integer (got ${o.seed})`);
  need(Number.isInteger(o.nodes) && o.nodes >= 1 && o.nodes <= 999, `nodes must be an integer 1-999 (got ${o.nodes})`);
  need(
    Number.isInteger(o.gpusPerNode) && o.gpusPerNode >= 1 && o.gpusPerNode <= 1024,
    `gpusPerNode must be an integer 1-1024 (got ${o.gpusPerNode})`,
  );
  need(Number.isFinite(o.eventsPerSecond) && o.eventsPerSecond >= 0, 'eventsPerSecond must be a number >= 0');
  need(o.diurnalAmplitude >= 0 && o.diurnalAmplitude <= 1, 'diurnalAmplitude must be 0-1');
  need(o.peakHourUtc >= 0 && o.peakHourUtc <= 24, 'peakHourUtc must be 0-24');
  need(o.errorRate >= 0 && o.errorRate <= 1, 'errorRate must be 0-1');
  need(
    Number.isInteger(o.gpuSampleIntervalMs) && o.gpuSampleIntervalMs >= 100,
    'gpuSampleIntervalMs must be an integer >= 100',
  );
  need(o.models.length > 0, 'models must not be empty');
  for (const m of o.models) {
    need(m.name.length > 0 && m.name.length <= 256, `model name must be 1-256 characters (got "${m.name}")`);
    need(positive(m.trafficWeight), `${m.name}: trafficWeight must be > 0`);
    need(
      Number.isInteger(m.tensorParallel) && m.tensorParallel >= 1,
      `${m.name}: tensorParallel must be an integer >= 1`,
    );
    for (const [label, d] of [
      ['inputTokens', m.inputTokens],
      ['outputTokens', m.outputTokens],
    ] as const) {
      need(
        positive(d.median) && d.sigma >= 0 && Number.isInteger(d.max) && d.max >= 1 && d.max <= 1_000_000_000,
        `${m.name}: ${label} needs median > 0, sigma >= 0 and an integer max 1-1,000,000,000`,
      );
    }
    need(positive(m.saturationConcurrency), `${m.name}: saturationConcurrency must be > 0`);
    need(
      [m.weightsMiB, m.ttftBaseMs, m.prefillMsPerInputToken, m.perOutputTokenMs, m.queueDelayMs].every(
        (x) => Number.isFinite(x) && x >= 0,
      ) &&
        m.prefixCacheHitRate >= 0 &&
        m.prefixCacheHitRate <= 1,
      `${m.name}: weights, latencies must be >= 0 and prefixCacheHitRate 0-1`,
    );
  }
  need(o.tenants.length > 0, 'tenants must not be empty');
  for (const t of o.tenants) {
    need(t.name.length > 0 && t.name.length <= 256, `tenant name must be 1-256 characters (got "${t.name}")`);
    need(positive(t.weight), `${t.name}: weight must be > 0`);
  }
  const g = o.gpu;
  need(
    positive(g.memoryTotalMiB) && g.memoryTotalMiB <= 10_000_000,
    'gpu.memoryTotalMiB must be > 0 and <= 10,000,000',
  );
  need(g.idleW >= 0 && g.tdpW >= g.idleW && g.tdpW <= 10_000, 'gpu power needs 0 <= idleW <= tdpW <= 10,000');
  need(
    g.idleSmClockMHz >= 0 && g.maxSmClockMHz >= g.idleSmClockMHz && g.maxSmClockMHz <= 100_000,
    'gpu clocks need 0 <= idleSmClockMHz <= maxSmClockMHz <= 100,000',
  );
  need(g.model.length > 0 && g.model.length <= 256, 'gpu.model must be 1-256 characters');
  return problems;
}
