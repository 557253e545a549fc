/**
 * A GPU's readings at a grid point t, from the mean number of requests its replica had in flight
 * over [t − interval, t): that drives utilisation, which drives memory (weights + KV cache),
 * power (idle..TDP), SM clock and, with a lag, temperature; `energyJ` integrates power and only
 * grows. Each GPU keeps the state these need between readings.
 */
import type { GpuSample } from '@tokenmeter/contracts';
import { clamp, round1 } from './numbers';
import type { Replica } from './placement';
import type { GpuProfile } from './profiles';
import type { Xoshiro128 } from './prng';

/** CUDA context, activations and allocator slack per GPU. */
const RUNTIME_OVERHEAD_MIB = 1_024;
/** Part of the KV cache pool that is in use on a busy GPU vs an idle one. */
const KV_IDLE_SHARE = 0.1;
/** How long the GPU temperature takes to move 63 % of the way to its steady state. */
const THERMAL_TIME_CONSTANT_MS = 60_000;
const AMBIENT_C = 28;
const DEGREES_PER_WATT = 0.065;

export interface SimulatedGpu {
  readonly node: string;
  readonly gpuIndex: number;
  readonly gpuUuid: string;
  /** The model of the replica this GPU belongs to. */
  readonly model: string;
}

export interface GpuState {
  readonly gpu: SimulatedGpu;
  /** Index of its replica. */
  readonly replica: number;
  lastSampleMs: number | undefined;
  lastPowerW: number;
  temperatureC: number;
  energyJ: number;
}

/** Every GPU of the replicas, with its UUID and an energy counter that has been running a while. */
export function initialGpuStates(replicas: readonly Replica[], gpu: GpuProfile, rng: Xoshiro128): GpuState[] {
  const states: GpuState[] = [];
  replicas.forEach((replica, r) => {
    for (let g = 0; g < replica.gpuCount; g += 1) {
      const simulated: SimulatedGpu = {
        node: replica.node,
        gpuIndex: replica.firstGpu + g,
        gpuUuid: `GPU-${rng.uuid()}`,
        model: replica.model.name,
      };
      // The driver has been up for a while: the energy counter starts at 1-30 days of idle power.
      const uptimeS = (1 + rng.uniform() * 29) * 86_400;
      states.push({
        gpu: simulated,
        replica: r,
        lastSampleMs: undefined,
        lastPowerW: gpu.idleW,
        temperatureC: Number.NaN,
        energyJ: uptimeS * gpu.idleW,
      });
    }
  });
  return states;
}

/** The reading of `state`'s GPU at `t` with `inFlight` requests on its replica; advances the state. */
export function readGpu(
  state: GpuState,
  t: number,
  inFlight: number,
  replica: Replica,
  gpu: GpuProfile,
  rng: Xoshiro128,
): GpuSample {
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
