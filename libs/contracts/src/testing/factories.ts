/**
 * Small factories for valid contract events with explicit overrides (STYLE.md "Tests"), for the
 * unit tests of every app. `time` defaults to one second before `nowMs` so the event passes the
 * time-window rule when validated with the same clock.
 */
import type { GpuSample } from '../gpu-sample';
import type { TokenUsageEvent } from '../token-usage-event';
import type { TokenUsageInterval } from '../token-usage-interval';

export interface FactoryOptions {
  /** The clock the event will be validated against; defaults to `Date.now()`. */
  nowMs?: number;
}

let sequence = 0;

/** Distinct, deterministic ids within a test process (`tok-000001`, `gpu-000002`, ...). */
export function nextEventId(prefix: string): string {
  sequence += 1;
  return `${prefix}-${sequence.toString().padStart(6, '0')}`;
}

export function buildTokenUsageEvent(
  overrides: Partial<TokenUsageEvent> = {},
  { nowMs = Date.now() }: FactoryOptions = {},
): TokenUsageEvent {
  return {
    eventId: nextEventId('tok'),
    time: new Date(nowMs - 1_000).toISOString(),
    model: 'meta-llama/Llama-3.1-8B-Instruct',
    tenant: 'acme',
    node: 'gpu-node-1',
    gpuIndex: 0,
    inputTokens: 512,
    outputTokens: 128,
    ttftMs: 85,
    durationMs: 1_450,
    status: 'ok',
    finishReason: 'stop',
    ...overrides,
  };
}

export function buildGpuSample(
  overrides: Partial<GpuSample> = {},
  { nowMs = Date.now() }: FactoryOptions = {},
): GpuSample {
  return {
    eventId: nextEventId('gpu'),
    time: new Date(nowMs - 1_000).toISOString(),
    node: 'gpu-node-1',
    gpuIndex: 0,
    gpuUuid: 'GPU-5fd4c6a1-2b3c-4d5e-8f90-a1b2c3d4e5f6',
    gpuModel: 'NVIDIA H100 80GB HBM3',
    utilizationPct: 87,
    memoryUsedMiB: 61_440,
    memoryTotalMiB: 81_559,
    powerW: 612.5,
    temperatureC: 67,
    energyJ: 1_234_567.8,
    smClockMHz: 1_980,
    ...overrides,
  };
}

/** A valid tokens-interval.v1 (one vLLM scrape interval) with explicit overrides. */
export function buildTokenUsageInterval(
  overrides: Partial<TokenUsageInterval> = {},
  { nowMs = Date.now() }: FactoryOptions = {},
): TokenUsageInterval {
  return {
    eventId: nextEventId('tiv'),
    time: new Date(nowMs - 16_000).toISOString(),
    intervalMs: 15_000,
    source: 'vllm',
    model: 'meta-llama/Llama-3.1-8B-Instruct',
    tenant: 'acme',
    node: 'gpu-node-1',
    requests: 12,
    errors: 0,
    inputTokens: 6_144,
    outputTokens: 1_536,
    ttftMs: { boundsMs: [50, 100, 250, 500], counts: [2, 7, 3, 0, 0], sumMs: 1_020 },
    durationMs: { boundsMs: [500, 1_000, 2_500, 5_000], counts: [0, 4, 6, 2, 0], sumMs: 19_800 },
    ...overrides,
  };
}
