/**
 * The load generator behind `npm run loadgen` (SPEC §5): posts simulated token events to a live
 * producer at a steady rate and reports what the producer answered. The CLI entry is
 * loadgen-cli.ts; everything here is usable in-process (unit tests, the fault suite).
 *
 *   runLoad(options: LoadOptions, deps?: LoadDeps): Promise<LoadSummary>
 *     options   see LoadOptions / DEFAULT_LOAD_OPTIONS; checked, LoadOptionsError names each problem
 *     deps.post       (url, body, headers) => Promise<{ status, body, retryAfterSeconds? }>;
 *                     default fetchPoster(options.requestTimeoutMs) (global fetch + timeout)
 *     deps.clock      { now(), sleep(ms, signal?) }; default systemClock
 *     deps.signal     AbortSignal: stop sending, wait for the requests in flight, return the summary
 *     deps.onResult   (eventIds, outcome, request) => void, once per request answered, with the
 *                     eventIds in body order and the outcome: accepted (with the rejected indexes),
 *                     rejected, throttled (429), unavailable (503) or failed (network, timeout,
 *                     other 5xx); request.final is false when the events will be sent again
 *     deps.onProgress (progress) => void, once per second of the clock
 *   parseLoadArgs(argv, env, randomSeed): the CLI arguments, or every problem with them
 *   formatProgress(progress), formatSummary(summary): the CLI's progress line and final report
 *
 * Pacing: event i is due at start + i/rate; every tick (100 ms) or whenever a request returns,
 * the events due so far go out in requests of up to `batchSize` (a partial batch once its oldest
 * event is a tick late), with at most `concurrency` token requests in flight. Each event's `time` is its due time, so a live producer accepts it. Events
 * still unsent 1 s after the duration (the producer, or the concurrency, could not keep up) are
 * not sent; the summary counts them as `behindSchedule`. The run therefore ends about `duration`
 * after it started, plus the requests in flight (bounded by the request timeout) and any retries.
 *
 * Answers (SPEC §5): 2xx `{accepted, rejected: [{index, errors}]}` → accepted except the rejected
 * indexes; 429 → throttled; 503 → unavailable; any other 4xx (400, 413, 401...) → rejected;
 * network errors, timeouts and other statuses → failed. Throttled, unavailable and failed requests
 * are not sent again unless `retryAttempts` > 0: then the same events (same eventIds, so the
 * pipeline can deduplicate) go out again after Retry-After (capped at 30 s) or a capped backoff.
 * Each event is counted once, by its last outcome.
 *
 * GPU samples (`gpus: true`, off by default so `--rate` is the only load): every
 * gpuSampleIntervalMs the simulator's readings for that interval go to /v1/gpus, outside the
 * concurrency limit; they follow the token events this run generated.
 */
import { FleetSimulator } from '../sources/simulator/fleet-simulator';

// ---------------------------------------------------------------------------------------------
// Options

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

// ---------------------------------------------------------------------------------------------
// Dependencies

export interface PostResponse {
  status: number;
  body: string;
  /** The Retry-After header, when it is a number of seconds. */
  retryAfterSeconds?: number;
}

export type PostFn = (url: string, body: string, headers: Readonly<Record<string, string>>) => Promise<PostResponse>;

export interface LoadClock {
  now(): number;
  /** Resolves after `ms`, or early (never rejecting) when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: LoadClock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve) => {
      if (signal?.aborted) return resolve();
      const done = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener('abort', done, { once: true });
    }),
};

/** POST with global fetch; a request that takes longer than `timeoutMs` fails with a TimeoutError. */
export function fetchPoster(timeoutMs: number): PostFn {
  return async (url, body, headers) => {
    const response = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(timeoutMs) });
    const text = await response.text();
    const retryAfter = response.headers.get('retry-after');
    const seconds = retryAfter === null ? Number.NaN : Number(retryAfter);
    return Number.isFinite(seconds) && seconds >= 0
      ? { status: response.status, body: text, retryAfterSeconds: seconds }
      : { status: response.status, body: text };
  };
}

export type RequestOutcome =
  | { kind: 'accepted'; status: number; rejectedIndexes: ReadonlySet<number> }
  | { kind: 'rejected'; status: number }
  | { kind: 'throttled'; status: number; retryAfterMs?: number }
  | { kind: 'unavailable'; status: number; retryAfterMs?: number }
  | { kind: 'failed'; status?: number; error: string };

export type LoadStream = 'tokens' | 'gpus';

export interface RequestInfo {
  stream: LoadStream;
  /** 1 for the first send of these events. */
  attempt: number;
  latencyMs: number;
  /** False when these events will be sent again (retryAttempts). */
  final: boolean;
}

export interface LoadDeps {
  post?: PostFn;
  clock?: LoadClock;
  signal?: AbortSignal;
  onResult?: (eventIds: readonly string[], outcome: RequestOutcome, request: RequestInfo) => void;
  onProgress?: (progress: LoadProgress) => void;
}

// ---------------------------------------------------------------------------------------------
// Results

/** Per stream; every sent event is counted once in exactly one of the outcome fields. */
export interface StreamCounts {
  sent: number;
  accepted: number;
  rejected: number;
  throttled: number;
  unavailable: number;
  failed: number;
  /** Events sent and not answered for good yet (in flight or waiting for a retry). */
  pending: number;
  requests: number;
  retries: number;
}

export interface LatencySummary {
  p50: number;
  p99: number;
  max: number;
}

export interface LoadProgress {
  elapsedMs: number;
  tokens: StreamCounts;
  gpus: StreamCounts;
  /** Token events sent per second of elapsed time. */
  achievedRatePerSecond: number;
  /** Over every request answered so far; null before the first. */
  latencyMs: LatencySummary | null;
}

export interface LoadSummary extends LoadProgress {
  target: string;
  seed: number;
  ratePerSecond: number;
  durationSeconds: number;
  startedAt: string;
  /** Token events due in the duration that were never sent: the target rate was not held. */
  behindSchedule: number;
  /** HTTP status (or "network") → requests, over every attempt. */
  statusCounts: Record<string, number>;
  /** Stopped by the signal before the duration was over. */
  aborted: boolean;
  /** Every sent event (tokens and GPU samples) was accepted. */
  ok: boolean;
}

// ---------------------------------------------------------------------------------------------
// The run

const TICK_MS = 100;
const PROGRESS_INTERVAL_MS = 1_000;
/** How long past the duration a backlog may still be sent before it counts as behind schedule. */
const MAX_LAG_MS = 1_000;
const MAX_RETRY_DELAY_MS = 30_000;

interface Batch {
  stream: LoadStream;
  eventIds: string[];
  body: string;
  attempt: number;
  notBefore: number;
  lastOutcome?: RequestOutcome;
}

function emptyCounts(): StreamCounts {
  return {
    sent: 0,
    accepted: 0,
    rejected: 0,
    throttled: 0,
    unavailable: 0,
    failed: 0,
    pending: 0,
    requests: 0,
    retries: 0,
  };
}

export async function runLoad(options: LoadOptions, deps: LoadDeps = {}): Promise<LoadSummary> {
  const problems = checkLoadOptions(options);
  if (problems.length > 0) throw new LoadOptionsError(problems);
  const clock = deps.clock ?? systemClock;
  const post = deps.post ?? fetchPoster(options.requestTimeoutMs);
  const signal = deps.signal ?? new AbortController().signal;
  const simulator = new FleetSimulator({
    seed: options.seed,
    eventsPerSecond: options.ratePerSecond,
    diurnalAmplitude: 0,
    gpuSampleIntervalMs: options.gpuSampleIntervalMs,
  });
  const base = options.target.replace(/\/+$/, '');
  const urls: Record<LoadStream, string> = { tokens: `${base}/v1/tokens`, gpus: `${base}/v1/gpus` };
  const headers: Record<string, string> = {
    'content-type': 'application/x-ndjson',
    'user-agent': 'tokenmeter-loadgen',
    ...(options.apiKey === undefined ? {} : { authorization: `Bearer ${options.apiKey}` }),
  };

  const start = clock.now();
  const endAt = start + options.durationSeconds * 1000;
  // Event i is due at i/rate seconds; the epsilon keeps 0.1 × 30 from becoming 2.9999999999999996.
  const total = Math.floor(options.ratePerSecond * options.durationSeconds + 1e-9);
  const counts: Record<LoadStream, StreamCounts> = { tokens: emptyCounts(), gpus: emptyCounts() };
  const statusCounts: Record<string, number> = {};
  const latencies: number[] = [];
  const inFlight = new Set<Promise<void>>();
  let tokenRequestsInFlight = 0;
  const retryQueue: Batch[] = [];
  let scheduled = 0;
  let nextProgressAt = start + PROGRESS_INTERVAL_MS;
  const gpuStep = options.gpuSampleIntervalMs;
  // Readings at grid points after the start: the first one describes the run's first interval.
  let gpuFrom = start + 1;
  let nextGpuAt = (Math.floor(start / gpuStep) + 1) * gpuStep;
  let callbackError: { error: unknown } | undefined;

  const progress = (now: number): LoadProgress => ({
    elapsedMs: now - start,
    tokens: { ...counts.tokens },
    gpus: { ...counts.gpus },
    achievedRatePerSecond: now > start ? counts.tokens.sent / ((now - start) / 1000) : 0,
    latencyMs: latencySummary(latencies),
  });

  const settle = (batch: Batch, outcome: RequestOutcome): void => {
    const c = counts[batch.stream];
    const n = batch.eventIds.length;
    c.pending -= n;
    switch (outcome.kind) {
      case 'accepted': {
        const rejected = [...outcome.rejectedIndexes].filter((i) => i >= 0 && i < n).length;
        c.accepted += n - rejected;
        c.rejected += rejected;
        break;
      }
      case 'rejected':
        c.rejected += n;
        break;
      case 'throttled':
        c.throttled += n;
        break;
      case 'unavailable':
        c.unavailable += n;
        break;
      case 'failed':
        c.failed += n;
        break;
    }
  };

  const launch = (batch: Batch): void => {
    const c = counts[batch.stream];
    c.requests += 1;
    if (batch.attempt === 1) {
      c.sent += batch.eventIds.length;
      c.pending += batch.eventIds.length;
    } else {
      c.retries += 1;
    }
    if (batch.stream === 'tokens') tokenRequestsInFlight += 1;
    const sentAt = clock.now();
    const request = (async (): Promise<void> => {
      let outcome: RequestOutcome;
      try {
        const response = await post(urls[batch.stream], batch.body, headers);
        outcome = classify(response);
        statusCounts[String(response.status)] = (statusCounts[String(response.status)] ?? 0) + 1;
      } catch (error) {
        outcome = { kind: 'failed', error: describeError(error) };
        statusCounts['network'] = (statusCounts['network'] ?? 0) + 1;
      }
      const latencyMs = clock.now() - sentAt;
      latencies.push(latencyMs);
      if (batch.stream === 'tokens') tokenRequestsInFlight -= 1;
      const retry =
        (outcome.kind === 'throttled' || outcome.kind === 'unavailable' || outcome.kind === 'failed') &&
        batch.attempt <= options.retryAttempts &&
        !signal.aborted;
      if (retry) {
        retryQueue.push({
          ...batch,
          attempt: batch.attempt + 1,
          notBefore: clock.now() + retryDelayMs(outcome, batch.attempt),
          lastOutcome: outcome,
        });
      } else {
        settle(batch, outcome);
      }
      try {
        deps.onResult?.(batch.eventIds, outcome, {
          stream: batch.stream,
          attempt: batch.attempt,
          latencyMs,
          final: !retry,
        });
      } catch (error) {
        callbackError ??= { error };
      }
    })();
    inFlight.add(request);
    void request.finally(() => inFlight.delete(request));
  };

  const newBatch = (stream: LoadStream, events: readonly { eventId: string }[]): Batch => ({
    stream,
    eventIds: events.map((e) => e.eventId),
    body: events.map((e) => `${JSON.stringify(e)}\n`).join(''),
    attempt: 1,
    notBefore: 0,
  });

  for (;;) {
    const now = clock.now();
    const stopping = signal.aborted || callbackError !== undefined;
    const generating = !stopping && scheduled < total && now < endAt + MAX_LAG_MS;
    if (!stopping) {
      const due = Math.min(total, Math.floor((options.ratePerSecond * (now - start)) / 1000 + 1e-9));
      while (tokenRequestsInFlight < options.concurrency) {
        const ready = retryQueue.findIndex((b) => b.notBefore <= now && b.stream === 'tokens');
        if (ready >= 0) {
          launch(retryQueue.splice(ready, 1)[0] as Batch);
          continue;
        }
        if (!generating || scheduled >= due) break;
        // A partial batch waits until its oldest event is a tick late: fewer, fuller requests.
        const oldestDueAt = start + (scheduled * 1000) / options.ratePerSecond;
        if (due - scheduled < options.batchSize && now - oldestDueAt < TICK_MS && due < total) break;
        const n = Math.min(options.batchSize, due - scheduled);
        const events = Array.from({ length: n }, (_, i) =>
          simulator.tokenEventAt(Math.floor(start + ((scheduled + i) * 1000) / options.ratePerSecond)),
        );
        scheduled += n;
        launch(newBatch('tokens', events));
      }
      const readyGpuBatches = retryQueue.filter((b) => b.stream === 'gpus' && b.notBefore <= now);
      for (const batch of readyGpuBatches) {
        retryQueue.splice(retryQueue.indexOf(batch), 1);
        launch(batch);
      }
      if (options.gpus && now >= nextGpuAt && now < endAt) {
        const samples = simulator.gpuSamples(gpuFrom, now + 1);
        gpuFrom = now + 1;
        while (nextGpuAt <= now) nextGpuAt += gpuStep;
        for (let i = 0; i < samples.length; i += options.batchSize) {
          launch(newBatch('gpus', samples.slice(i, i + options.batchSize)));
        }
      }
    }
    if (now >= nextProgressAt) {
      deps.onProgress?.(progress(now));
      while (nextProgressAt <= now) nextProgressAt += PROGRESS_INTERVAL_MS;
    }
    if (!generating && inFlight.size === 0 && (stopping || retryQueue.length === 0)) break;
    await waitForAny(clock, inFlight, TICK_MS, signal);
  }

  // Stopped with events waiting for a retry: they keep the outcome of their last attempt.
  for (const batch of retryQueue.splice(0)) {
    settle(batch, batch.lastOutcome ?? { kind: 'failed', error: 'not sent again: the run stopped' });
  }
  if (callbackError !== undefined) throw callbackError.error;

  const end = clock.now();
  const final = progress(end);
  // The rate is over the sending time: waiting for the last answers or retries is not sending.
  const sendingMs = Math.min(end - start, options.durationSeconds * 1000);
  return {
    ...final,
    achievedRatePerSecond: sendingMs > 0 ? final.tokens.sent / (sendingMs / 1000) : 0,
    target: options.target,
    seed: options.seed,
    ratePerSecond: options.ratePerSecond,
    durationSeconds: options.durationSeconds,
    startedAt: new Date(start).toISOString(),
    behindSchedule: signal.aborted ? 0 : total - scheduled,
    statusCounts,
    aborted: signal.aborted && end < endAt,
    ok: [final.tokens, final.gpus].every((c) => c.accepted === c.sent),
  };
}

/** Waits for a request to finish, `ms` to pass, or the signal; the timer is cleared either way. */
async function waitForAny(
  clock: LoadClock,
  inFlight: ReadonlySet<Promise<void>>,
  ms: number,
  signal: AbortSignal,
): Promise<void> {
  const done = new AbortController();
  try {
    await Promise.race([...inFlight, clock.sleep(ms, AbortSignal.any([signal, done.signal]))]);
  } finally {
    done.abort();
  }
}

/** What a producer answer means for the events of the request (SPEC §5). */
export function classify(response: PostResponse): RequestOutcome {
  const { status } = response;
  const retryAfterMs =
    response.retryAfterSeconds === undefined ? {} : { retryAfterMs: response.retryAfterSeconds * 1000 };
  if (status >= 200 && status < 300)
    return { kind: 'accepted', status, rejectedIndexes: rejectedIndexes(response.body) };
  if (status === 429) return { kind: 'throttled', status, ...retryAfterMs };
  if (status === 503) return { kind: 'unavailable', status, ...retryAfterMs };
  if (status >= 400 && status < 500) return { kind: 'rejected', status };
  return { kind: 'failed', status, error: `HTTP ${status}` };
}

function rejectedIndexes(body: string): Set<number> {
  const indexes = new Set<number>();
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return indexes;
  }
  const rejected = typeof parsed === 'object' && parsed !== null ? (parsed as { rejected?: unknown }).rejected : [];
  if (!Array.isArray(rejected)) return indexes;
  for (const entry of rejected as unknown[]) {
    const index = typeof entry === 'object' && entry !== null ? (entry as { index?: unknown }).index : undefined;
    if (typeof index === 'number' && Number.isInteger(index)) indexes.add(index);
  }
  return indexes;
}

function retryDelayMs(outcome: RequestOutcome, attempt: number): number {
  const hinted = outcome.kind === 'throttled' || outcome.kind === 'unavailable' ? outcome.retryAfterMs : undefined;
  return Math.min(MAX_RETRY_DELAY_MS, hinted ?? 250 * 2 ** Math.min(attempt - 1, 6));
}

function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${error.name}: ${error.message}${cause}`;
}

/** Nearest-rank percentiles of every latency recorded so far. */
export function latencySummary(latenciesMs: readonly number[]): LatencySummary | null {
  if (latenciesMs.length === 0) return null;
  const sorted = Float64Array.from(latenciesMs).sort();
  const rank = (p: number): number => sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)] ?? 0;
  return { p50: rank(0.5), p99: rank(0.99), max: sorted[sorted.length - 1] ?? 0 };
}

// ---------------------------------------------------------------------------------------------
// Reports

export function formatProgress(p: LoadProgress): string {
  const t = p.tokens;
  const latency = p.latencyMs === null ? 'p50 - p99 -' : `p50 ${ms(p.latencyMs.p50)} p99 ${ms(p.latencyMs.p99)}`;
  const gpus = p.gpus.sent > 0 ? `  gpu ${p.gpus.accepted}/${p.gpus.sent}` : '';
  const pending = t.pending > 0 ? `  pending ${t.pending}` : '';
  return (
    `${(p.elapsedMs / 1000).toFixed(1)}s  sent ${t.sent}  accepted ${t.accepted}  rejected ${t.rejected}  ` +
    `503 ${t.unavailable}  429 ${t.throttled}  failed ${t.failed}${pending}  ${p.achievedRatePerSecond.toFixed(1)} ev/s  ` +
    `${latency}${gpus}`
  );
}

export function formatSummary(s: LoadSummary): string {
  const stream = (c: StreamCounts): string =>
    `sent ${c.sent}  accepted ${c.accepted}  rejected ${c.rejected}  throttled (429) ${c.throttled}  ` +
    `unavailable (503) ${c.unavailable}  failed ${c.failed}`;
  const statuses = Object.entries(s.statusCounts)
    .map(([status, n]) => `${status}×${n}`)
    .join(' ');
  const requests = s.tokens.requests + s.gpus.requests;
  const retries = s.tokens.retries + s.gpus.retries;
  const notAccepted = s.tokens.sent - s.tokens.accepted + (s.gpus.sent - s.gpus.accepted);
  const lines = [
    `tokenmeter loadgen: ${(s.elapsedMs / 1000).toFixed(1)} s against ${s.target} (seed ${s.seed})${s.aborted ? ', stopped early' : ''}`,
    `  token events  ${stream(s.tokens)}`,
    ...(s.gpus.sent > 0 ? [`  gpu samples   ${stream(s.gpus)}`] : []),
    `  requests      ${requests} (retries ${retries})  ${statuses}`,
    `  rate          ${s.achievedRatePerSecond.toFixed(1)} events/s of ${s.ratePerSecond} requested; ` +
      `${s.behindSchedule} events behind schedule (not sent)`,
    `  latency       ${s.latencyMs === null ? 'no answers' : `p50 ${ms(s.latencyMs.p50)}  p99 ${ms(s.latencyMs.p99)}  max ${ms(s.latencyMs.max)}`}`,
    `  result        ${s.ok ? 'every sent event was accepted' : `${notAccepted} sent events were not accepted`}`,
  ];
  return `${lines.join('\n')}\n`;
}

function ms(x: number): string {
  return `${x < 10 ? x.toFixed(1) : Math.round(x)} ms`;
}

// ---------------------------------------------------------------------------------------------
// Arguments

export const USAGE = `usage: npm run loadgen -- --rate N --duration S [options]

Posts simulated token events (NDJSON) to a tokenmeter producer at N events/s for S seconds,
prints a progress line each second to stderr and a summary to stdout.
Exit code: 0 when every sent event was accepted, 1 otherwise, 2 for bad arguments.

  --rate N            token events per second (required)
  --duration S        seconds to run (required); Ctrl-C stops early and still prints the summary
  --target URL        producer base URL (default ${DEFAULT_LOAD_OPTIONS.target})
  --api-key K         sent as "authorization: Bearer K" (default: $TOKENMETER_API_KEY)
  --batch B           events per request (default ${DEFAULT_LOAD_OPTIONS.batchSize})
  --concurrency C     requests in flight at most (default ${DEFAULT_LOAD_OPTIONS.concurrency})
  --seed X            simulator seed (default: random, printed in the summary); the same seed
                      repeats the same eventIds, which the pipeline deduplicates
  --gpus              also post simulated GPU samples to /v1/gpus every 10 s (default off)
  --retry N           send events answered 429/503 or lost to a network error again, up to N
                      more times, after Retry-After (default 0: never)
  --timeout MS        request timeout in ms (default ${DEFAULT_LOAD_OPTIONS.requestTimeoutMs})
  --summary-json FILE also write the summary as JSON to FILE
  -h, --help          print this help`;

export type ParsedLoadArgs =
  | { kind: 'help' }
  | { kind: 'run'; options: LoadOptions; summaryJsonPath?: string }
  | { kind: 'invalid'; problems: string[] };

const VALUE_FLAGS = [
  '--rate',
  '--duration',
  '--target',
  '--api-key',
  '--batch',
  '--concurrency',
  '--seed',
  '--retry',
  '--timeout',
  '--summary-json',
] as const;
type ValueFlag = (typeof VALUE_FLAGS)[number];

/**
 * The CLI arguments (`--flag value` or `--flag=value`) as load options, or every problem with
 * them. `env` supplies TOKENMETER_API_KEY; `randomSeed` the seed when --seed is not given.
 */
export function parseLoadArgs(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  randomSeed: () => number,
): ParsedLoadArgs {
  const problems: string[] = [];
  const values = new Map<ValueFlag, string>();
  let gpus = false;
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i] as string;
    if (arg === '-h' || arg === '--help') return { kind: 'help' };
    if (arg === '--gpus') {
      gpus = true;
      continue;
    }
    const eq = arg.indexOf('=');
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    if (!(VALUE_FLAGS as readonly string[]).includes(flag)) {
      problems.push(arg.startsWith('-') ? `unknown option ${flag}` : `unexpected argument "${arg}"`);
      continue;
    }
    let value: string | undefined;
    if (eq > 0) {
      value = arg.slice(eq + 1);
    } else {
      const next = argv[i + 1];
      if (next !== undefined && !next.startsWith('--')) {
        value = next;
        i += 1;
      }
    }
    if (value === undefined || value === '') problems.push(`${flag} needs a value`);
    else values.set(flag as ValueFlag, value);
  }

  // A value that is not a number is reported here and replaced by the default, so that
  // checkLoadOptions (which names the limits) does not report it a second time.
  const number = (flag: ValueFlag, fallback: number): number => {
    const text = values.get(flag);
    if (text === undefined) return fallback;
    const n = Number(text);
    if (text.trim() !== '' && Number.isFinite(n)) return n;
    problems.push(`${flag} must be a number (got "${text}")`);
    return fallback;
  };
  for (const required of ['--rate', '--duration'] as const) {
    if (!values.has(required) && !problems.includes(`${required} needs a value`))
      problems.push(`${required} is required`);
  }
  const apiKey = values.get('--api-key') ?? (env['TOKENMETER_API_KEY'] || undefined);
  const options: LoadOptions = {
    target: values.get('--target') ?? DEFAULT_LOAD_OPTIONS.target,
    ...(apiKey === undefined ? {} : { apiKey }),
    ratePerSecond: number('--rate', 1),
    durationSeconds: number('--duration', 1),
    batchSize: number('--batch', DEFAULT_LOAD_OPTIONS.batchSize),
    concurrency: number('--concurrency', DEFAULT_LOAD_OPTIONS.concurrency),
    seed: values.has('--seed') ? number('--seed', 0) : randomSeed(),
    gpus,
    gpuSampleIntervalMs: DEFAULT_LOAD_OPTIONS.gpuSampleIntervalMs,
    retryAttempts: number('--retry', DEFAULT_LOAD_OPTIONS.retryAttempts),
    requestTimeoutMs: number('--timeout', DEFAULT_LOAD_OPTIONS.requestTimeoutMs),
  };
  problems.push(...checkLoadOptions(options));
  if (problems.length > 0) return { kind: 'invalid', problems };
  const summaryJsonPath = values.get('--summary-json');
  return summaryJsonPath === undefined ? { kind: 'run', options } : { kind: 'run', options, summaryJsonPath };
}
