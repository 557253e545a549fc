/**
 * The catalog the fleet simulator draws from: the models it serves (with their latency and token
 * count figures), the tenants that send requests, and the GPU they run on. Plain data; the
 * defaults are what the producer's simulator source, the load generator and the bench use.
 */

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
