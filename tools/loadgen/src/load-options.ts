/**
 * What a load generator run is asked to do, its defaults and limits, and the check that names
 * each problem by its command-line flag (`runLoad` throws `LoadOptionsError` with all of them).
 */

export interface LoadOptions {
  /** Producer base URL, e.g. http://127.0.0.1:3001; requests go to /v1/tokens and /v1/gpus. */
  readonly target: string;
  /** Sent as `authorization: Bearer <apiKey>` when given. */
  readonly apiKey?: string;
  readonly ratePerSecond: number;
  readonly durationSeconds: number;
  /** Events per request. */
  readonly batchSize: number;
  /** Token requests in flight at most. */
  readonly concurrency: number;
  /** Simulator seed: the same seed gives the same eventIds, so reuse it only to replay a run. */
  readonly seed: number;
  readonly gpus: boolean;
  readonly gpuSampleIntervalMs: number;
  /** Extra attempts for a throttled, unavailable or failed request; 0 = never resend. */
  readonly retryAttempts: number;
  readonly requestTimeoutMs: number;
}

export const DEFAULT_LOAD_OPTIONS = {
  target: 'http://127.0.0.1:3001',
  batchSize: 200,
  concurrency: 4,
  gpus: false,
  gpuSampleIntervalMs: 10_000,
  retryAttempts: 0,
  requestTimeoutMs: 10_000,
} as const satisfies Partial<LoadOptions>;

export class LoadOptionsError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid load options: ${problems.join('; ')}`);
    this.name = 'LoadOptionsError';
  }
}

const LIMITS = {
  rate: 1_000_000,
  durationSeconds: 7 * 86_400,
  batchSize: 100_000,
  concurrency: 1_024,
  retryAttempts: 100,
  requestTimeoutMs: 600_000,
};

/** Every problem with `options`, as messages naming the CLI flag; empty when they are usable. */
export function checkLoadOptions(options: LoadOptions): string[] {
  const problems: string[] = [];
  const need = (ok: boolean, problem: string): void => {
    if (!ok) problems.push(problem);
  };
  const intIn = (x: number, low: number, high: number): boolean => Number.isSafeInteger(x) && x >= low && x <= high;
  need(isHttpUrl(options.target), `--target must be an http:// or https:// URL (got "${options.target}")`);
  need(
    Number.isFinite(options.ratePerSecond) && options.ratePerSecond > 0 && options.ratePerSecond <= LIMITS.rate,
    `--rate must be a number of events per second above 0 and at most ${LIMITS.rate} (got ${options.ratePerSecond})`,
  );
  need(
    Number.isFinite(options.durationSeconds) &&
      options.durationSeconds > 0 &&
      options.durationSeconds <= LIMITS.durationSeconds,
    `--duration must be a number of seconds above 0 and at most ${LIMITS.durationSeconds} (got ${options.durationSeconds})`,
  );
  need(
    intIn(options.batchSize, 1, LIMITS.batchSize),
    `--batch must be an integer 1-${LIMITS.batchSize} (got ${options.batchSize})`,
  );
  need(
    intIn(options.concurrency, 1, LIMITS.concurrency),
    `--concurrency must be an integer 1-${LIMITS.concurrency} (got ${options.concurrency})`,
  );
  need(Number.isSafeInteger(options.seed), `--seed must be an integer (got ${options.seed})`);
  need(
    intIn(options.retryAttempts, 0, LIMITS.retryAttempts),
    `--retry must be an integer 0-${LIMITS.retryAttempts} (got ${options.retryAttempts})`,
  );
  need(
    intIn(options.requestTimeoutMs, 1, LIMITS.requestTimeoutMs),
    `--timeout must be an integer 1-${LIMITS.requestTimeoutMs} ms (got ${options.requestTimeoutMs})`,
  );
  need(intIn(options.gpuSampleIntervalMs, 100, 3_600_000), 'gpuSampleIntervalMs must be an integer 100-3,600,000');
  need(options.apiKey === undefined || options.apiKey.length > 0, '--api-key must not be empty');
  return problems;
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}
