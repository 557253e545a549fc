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
 * `eventsPerSecond` is the DAILY MEAN of the curve in load-curve.ts. Each request goes to a
 * replica (placement.ts) and a tenant, and gets its tokens and latencies from requests.ts.
 *
 * GPU readings at grid point t describe the interval [t − gpuSampleIntervalMs, t): the replica's
 * mean number of requests in flight there (Little's law: the summed durations of the requests that
 * finished in it, divided by its length, from activity-ledger.ts) drives gpu-readings.ts.
 * Intervals that `tokenEvents`/`tokenEventAt` never covered use the expected load instead, so GPU
 * samples are plausible on their own. Sample windows are expected to move forward: a grid point
 * at or before a GPU's previous reading is skipped, so counters never go backwards.
 */
import type { GpuSample, TokenUsageEventInput } from '@tokenmeter/contracts';
import { ActivityLedger } from './activity-ledger';
import { type GpuState, initialGpuStates, readGpu, type SimulatedGpu } from './gpu-readings';
import { diurnalFactor } from './load-curve';
import {
  checkFleetOptions,
  DEFAULT_FLEET_OPTIONS,
  type FleetSimulatorOptions,
  FleetSimulatorOptionsError,
} from './options';
import { placeReplicas, type Replica } from './placement';
import type { ModelProfile, TenantProfile } from './profiles';
import { cumulativeSums, RNG_STREAM, Xoshiro128 } from './prng';
import { drawRequest } from './requests';

/** Requests drawn per model to estimate its mean duration. */
const CALIBRATION_DRAWS = 500;

export class FleetSimulator {
  readonly options: FleetSimulatorOptions;
  readonly gpus: readonly SimulatedGpu[];

  private readonly replicas: readonly Replica[];
  private readonly replicaCumulative: readonly number[];
  private readonly tenantCumulative: readonly number[];
  private readonly gpuStates: readonly GpuState[];
  /** Mean request duration per model, to fill GPU intervals that no token events covered. */
  private readonly meanDurationMs = new Map<ModelProfile, number>();
  private readonly ledger: ActivityLedger;
  private readonly tokenRng: Xoshiro128;
  private readonly gpuRng: Xoshiro128;

  constructor(options: Partial<FleetSimulatorOptions> = {}) {
    this.options = { ...DEFAULT_FLEET_OPTIONS, ...options };
    const problems = checkFleetOptions(this.options);
    if (problems.length > 0) throw new FleetSimulatorOptionsError(problems);
    const { seed } = this.options;
    this.tokenRng = new Xoshiro128(seed, RNG_STREAM.tokens);
    this.gpuRng = new Xoshiro128(seed, RNG_STREAM.gpus);
    this.replicas = placeReplicas(this.options);
    this.replicaCumulative = cumulativeSums(this.replicas.map((r) => r.share));
    this.tenantCumulative = cumulativeSums(this.options.tenants.map((t) => t.weight));
    this.gpuStates = initialGpuStates(this.replicas, this.options.gpu, new Xoshiro128(seed, RNG_STREAM.fleet));
    this.gpus = this.gpuStates.map((state) => state.gpu);
    this.ledger = new ActivityLedger(this.options.gpuSampleIntervalMs, this.replicas.length);
    this.calibrate(new Xoshiro128(seed, RNG_STREAM.calibration));
  }

  /** The load curve at `timeMs`: averages to 1 over a UTC day. */
  diurnalFactor(timeMs: number): number {
    return diurnalFactor(this.options, timeMs);
  }

  /**
   * The requests that finished in [fromMs, toMs) (epoch ms integers), sorted by time: a Poisson
   * process of rate eventsPerSecond × diurnalFactor, drawn by thinning.
   */
  tokenEvents(fromMs: number, toMs: number): TokenUsageEventInput[] {
    checkWindow(fromMs, toMs);
    this.ledger.cover(fromMs, toMs);
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
    this.ledger.coverIntervalOf(timeMs);
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
        const replica = this.replicas[state.replica] as Replica;
        samples.push(readGpu(state, t, inFlight[state.replica] ?? 0, replica, this.options.gpu, this.gpuRng));
      }
    }
    return samples;
  }

  private calibrate(rng: Xoshiro128): void {
    for (const model of new Set(this.replicas.map((r) => r.model))) {
      let sum = 0;
      for (let i = 0; i < CALIBRATION_DRAWS; i += 1)
        sum += drawRequest(rng, model, 1, this.options.errorRate).durationMs;
      this.meanDurationMs.set(model, sum / CALIBRATION_DRAWS);
    }
  }

  private drawEvent(timeMs: number): TokenUsageEventInput {
    const rng = this.tokenRng;
    const eventId = rng.uuid();
    const replicaIndex = rng.weighted(this.replicaCumulative);
    const replica = this.replicas[replicaIndex] as Replica;
    const tenant = this.options.tenants[rng.weighted(this.tenantCumulative)] as TenantProfile;
    const shape = drawRequest(rng, replica.model, this.diurnalFactor(timeMs), this.options.errorRate);
    this.ledger.recordRequest(timeMs, replicaIndex, shape.durationMs);
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

  /** Mean requests in flight on replica `r` over [t − interval, t). */
  private requestsInFlight(r: number, t: number): number {
    const step = this.options.gpuSampleIntervalMs;
    const replica = this.replicas[r] as Replica;
    const observed = this.ledger.observedBefore(t, r);
    const expectedMs =
      observed.uncoveredShare > 0
        ? (this.options.eventsPerSecond / 1000) *
          this.diurnalFactor(t - step / 2) *
          step *
          replica.share *
          (this.meanDurationMs.get(replica.model) ?? 0)
        : 0;
    return (observed.busyMs + observed.uncoveredShare * expectedMs) / step;
  }
}

function checkWindow(fromMs: number, toMs: number): void {
  if (!Number.isSafeInteger(fromMs) || !Number.isSafeInteger(toMs) || fromMs > toMs) {
    throw new RangeError(`a window is two epoch-ms integers with from <= to, got [${fromMs}, ${toMs})`);
  }
}
