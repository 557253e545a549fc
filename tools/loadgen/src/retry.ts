/**
 * Sending refused events again. Throttled (429), unavailable (503) and failed requests are not
 * sent again unless `retryAttempts` > 0: then the same events (same eventIds, so the pipeline can
 * deduplicate) go out again after Retry-After (capped at 30 s) or a capped exponential backoff.
 * Each event is counted once, by its last outcome.
 */
import type { LoadStream, RequestOutcome } from './producer-api';

const MAX_RETRY_DELAY_MS = 30_000;

/** The events of one request, as sent and, if need be, sent again. */
export interface Batch {
  stream: LoadStream;
  eventIds: string[];
  /** NDJSON. */
  body: string;
  /** 1 for the first send. */
  attempt: number;
  /** Not sent again before this time (epoch ms). */
  notBefore: number;
  lastOutcome?: RequestOutcome;
}

/** A request whose events are all to be sent for the first time. */
export function newBatch(stream: LoadStream, events: readonly { eventId: string }[]): Batch {
  return {
    stream,
    eventIds: events.map((e) => e.eventId),
    body: events.map((e) => `${JSON.stringify(e)}\n`).join(''),
    attempt: 1,
    notBefore: 0,
  };
}

export function isRetryable(outcome: RequestOutcome): boolean {
  return outcome.kind === 'throttled' || outcome.kind === 'unavailable' || outcome.kind === 'failed';
}

/** Retry-After when the producer gave one, else 250 ms doubling per attempt; at most 30 s. */
export function retryDelayMs(outcome: RequestOutcome, attempt: number): number {
  const hinted = outcome.kind === 'throttled' || outcome.kind === 'unavailable' ? outcome.retryAfterMs : undefined;
  return Math.min(MAX_RETRY_DELAY_MS, hinted ?? 250 * 2 ** Math.min(attempt - 1, 6));
}

/** Batches waiting to be sent again, in the order they were refused. */
export class RetryQueue {
  private readonly waiting: Batch[] = [];

  get size(): number {
    return this.waiting.length;
  }

  /** Queues the batch's next attempt after the delay its outcome calls for. */
  retryLater(batch: Batch, outcome: RequestOutcome, now: number): void {
    this.waiting.push({
      ...batch,
      attempt: batch.attempt + 1,
      notBefore: now + retryDelayMs(outcome, batch.attempt),
      lastOutcome: outcome,
    });
  }

  /** The oldest batch of `stream` whose delay is over, taken off the queue. */
  takeReady(stream: LoadStream, now: number): Batch | undefined {
    const ready = this.waiting.findIndex((b) => b.notBefore <= now && b.stream === stream);
    return ready >= 0 ? this.waiting.splice(ready, 1)[0] : undefined;
  }

  /** Every batch of `stream` whose delay is over, taken off the queue. */
  takeAllReady(stream: LoadStream, now: number): Batch[] {
    const ready = this.waiting.filter((b) => b.notBefore <= now && b.stream === stream);
    for (const batch of ready) this.waiting.splice(this.waiting.indexOf(batch), 1);
    return ready;
  }

  /** Every batch still waiting, taken off the queue. */
  takeAll(): Batch[] {
    return this.waiting.splice(0);
  }
}
