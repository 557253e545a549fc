/**
 * The counts of a run: per stream, every sent event in exactly one outcome (or pending while in
 * flight or waiting for a retry), requests and retries; the HTTP statuses; and the latency of
 * every answered request, summarised as nearest-rank percentiles.
 */
import type { LoadStream, RequestOutcome } from './producer-api';

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

/** Nearest-rank percentiles of every latency recorded so far. */
export function latencySummary(latenciesMs: readonly number[]): LatencySummary | null {
  if (latenciesMs.length === 0) return null;
  const sorted = Float64Array.from(latenciesMs).sort();
  const rank = (p: number): number => sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)] ?? 0;
  return { p50: rank(0.5), p99: rank(0.99), max: sorted[sorted.length - 1] ?? 0 };
}

/** Nothing sent yet. */
export function emptyCounts(): StreamCounts {
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

export class LoadTally {
  readonly counts: Record<LoadStream, StreamCounts> = { tokens: emptyCounts(), gpus: emptyCounts() };
  /** HTTP status (or "network") → requests, over every attempt. */
  readonly statusCounts: Record<string, number> = {};
  private readonly latenciesMs: number[] = [];

  /** A request of `events` events goes out; attempt 1 sends them for the first time. */
  requestSent(stream: LoadStream, events: number, attempt: number): void {
    const c = this.counts[stream];
    c.requests += 1;
    if (attempt === 1) {
      c.sent += events;
      c.pending += events;
    } else {
      c.retries += 1;
    }
  }

  /** A request was answered with `status` ("network": no answer) after `latencyMs`. */
  answered(status: number | 'network', latencyMs: number): void {
    this.statusCounts[String(status)] = (this.statusCounts[String(status)] ?? 0) + 1;
    this.latenciesMs.push(latencyMs);
  }

  /** The `events` events of a request have their last outcome. */
  settle(stream: LoadStream, events: number, outcome: RequestOutcome): void {
    const c = this.counts[stream];
    c.pending -= events;
    switch (outcome.kind) {
      case 'accepted': {
        const rejected = [...outcome.rejectedIndexes].filter((i) => i >= 0 && i < events).length;
        c.accepted += events - rejected;
        c.rejected += rejected;
        break;
      }
      case 'rejected':
        c.rejected += events;
        break;
      case 'throttled':
        c.throttled += events;
        break;
      case 'unavailable':
        c.unavailable += events;
        break;
      case 'failed':
        c.failed += events;
        break;
    }
  }

  /** A snapshot `now`, for a run that started at `start`. */
  progress(start: number, now: number): LoadProgress {
    return {
      elapsedMs: now - start,
      tokens: { ...this.counts.tokens },
      gpus: { ...this.counts.gpus },
      achievedRatePerSecond: now > start ? this.counts.tokens.sent / ((now - start) / 1000) : 0,
      latencyMs: latencySummary(this.latenciesMs),
    };
  }
}
