/**
 * The load generator behind `npm run loadgen` (SPEC §5): posts simulated token events to a live
 * producer at a steady rate and reports what the producer answered. The CLI entry is main.ts;
 * everything here is usable in-process (unit tests, the fault suite).
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
 *
 * Pacing (pacing.ts): at most `concurrency` token requests in flight; each event's `time` is its
 * due time, so a live producer accepts it. The run ends about `duration` after it started, plus
 * the requests in flight (bounded by the request timeout) and any retries (retry.ts). What each
 * answer means is producer-api.ts's; the counts are tally.ts's.
 *
 * GPU samples (`gpus: true`, off by default so `--rate` is the only load): every
 * gpuSampleIntervalMs the simulator's readings for that interval go to /v1/gpus, outside the
 * concurrency limit; they follow the token events this run generated.
 */
import { FleetSimulator } from '@tokenmeter/simulator';
import { checkLoadOptions, type LoadOptions, LoadOptionsError } from './load-options';
import { type LoadClock, systemClock, Ticker, TICK_MS, TokenSchedule, waitForAny } from './pacing';
import {
  classify,
  failedRequest,
  fetchPoster,
  type LoadStream,
  type PostFn,
  producerEndpoints,
  type RequestOutcome,
} from './producer-api';
import { type Batch, isRetryable, newBatch, RetryQueue } from './retry';
import { summarizeLoad, type LoadSummary } from './summary';
import { LoadTally, type LoadProgress } from './tally';

const PROGRESS_INTERVAL_MS = 1_000;

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
  const { urls, headers } = producerEndpoints(options);

  const start = clock.now();
  const schedule = new TokenSchedule(start, options.ratePerSecond, options.durationSeconds);
  const tally = new LoadTally();
  const retries = new RetryQueue();
  const inFlight = new Set<Promise<void>>();
  let tokenRequestsInFlight = 0;
  const progressTicker = new Ticker(start + PROGRESS_INTERVAL_MS, PROGRESS_INTERVAL_MS);
  const gpuStep = options.gpuSampleIntervalMs;
  // Readings at grid points after the start: the first one describes the run's first interval.
  const gpuTicker = new Ticker((Math.floor(start / gpuStep) + 1) * gpuStep, gpuStep);
  let gpuFrom = start + 1;
  let callbackError: { error: unknown } | undefined;

  const launch = (batch: Batch): void => {
    tally.requestSent(batch.stream, batch.eventIds.length, batch.attempt);
    if (batch.stream === 'tokens') tokenRequestsInFlight += 1;
    const sentAt = clock.now();
    const request = (async (): Promise<void> => {
      let outcome: RequestOutcome;
      let status: number | 'network';
      try {
        const response = await post(urls[batch.stream], batch.body, headers);
        outcome = classify(response);
        status = response.status;
      } catch (error) {
        outcome = failedRequest(error);
        status = 'network';
      }
      const latencyMs = clock.now() - sentAt;
      tally.answered(status, latencyMs);
      if (batch.stream === 'tokens') tokenRequestsInFlight -= 1;
      const retry = isRetryable(outcome) && batch.attempt <= options.retryAttempts && !signal.aborted;
      if (retry) retries.retryLater(batch, outcome, clock.now());
      else tally.settle(batch.stream, batch.eventIds.length, outcome);
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

  for (;;) {
    const now = clock.now();
    const stopping = signal.aborted || callbackError !== undefined;
    const generating = !stopping && schedule.generating(now);
    if (!stopping) {
      while (tokenRequestsInFlight < options.concurrency) {
        const retry = retries.takeReady('tokens', now);
        if (retry !== undefined) {
          launch(retry);
          continue;
        }
        if (!generating) break;
        const times = schedule.takeBatch(now, options.batchSize);
        if (times === undefined) break;
        launch(
          newBatch(
            'tokens',
            times.map((t) => simulator.tokenEventAt(t)),
          ),
        );
      }
      for (const retry of retries.takeAllReady('gpus', now)) launch(retry);
      if (options.gpus && now < schedule.endAt && gpuTicker.passed(now)) {
        const samples = simulator.gpuSamples(gpuFrom, now + 1);
        gpuFrom = now + 1;
        for (let i = 0; i < samples.length; i += options.batchSize) {
          launch(newBatch('gpus', samples.slice(i, i + options.batchSize)));
        }
      }
    }
    if (progressTicker.passed(now)) deps.onProgress?.(tally.progress(start, now));
    if (!generating && inFlight.size === 0 && (stopping || retries.size === 0)) break;
    await waitForAny(clock, inFlight, TICK_MS, signal);
  }

  // Stopped with events waiting for a retry: they keep the outcome of their last attempt.
  for (const batch of retries.takeAll()) {
    tally.settle(
      batch.stream,
      batch.eventIds.length,
      batch.lastOutcome ?? { kind: 'failed', error: 'not sent again: the run stopped' },
    );
  }
  if (callbackError !== undefined) throw callbackError.error;
  return summarizeLoad(options, schedule, tally, clock.now(), signal.aborted);
}
