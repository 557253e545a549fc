/**
 * The fleet simulator's options: their shape, the defaults, and the check that names every bad
 * one (the simulator's constructor throws `FleetSimulatorOptionsError` with all of them).
 */
import {
  DEFAULT_MODELS,
  DEFAULT_TENANTS,
  type GpuProfile,
  H100_SXM,
  type ModelProfile,
  type TenantProfile,
} from './profiles';

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

/** Thrown by the simulator's constructor; `problems` names every bad option. */
export class FleetSimulatorOptionsError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid fleet simulator options: ${problems.join('; ')}`);
    this.name = 'FleetSimulatorOptionsError';
  }
}

/** Every problem with `o`, one message each; empty when the options are usable. */
export function checkFleetOptions(o: FleetSimulatorOptions): string[] {
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
