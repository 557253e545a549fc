// A small HTTP load client for the fault-injection suite: posts prepared batches (JSON arrays)
// to the producer with a few requests in flight, and follows the client contract of SPEC §5:
// a 503 (or a connection error) means none of the request was accepted, so the whole request
// is retried, with capped backoff, until it is answered 202. Retries are bounded (attempts and
// a deadline per request), it talks only to 127.0.0.1, and it stops by itself when every batch
// was accepted or one failed for good.
import { setTimeout as sleep } from 'node:timers/promises';

export interface LoaderOptions {
  /** e.g. http://127.0.0.1:40001/v1/tokens */
  url: string;
  concurrency: number;
  /** Attempts per request before the loader gives up (a fault that never heals). */
  maxAttempts?: number;
  /** Deadline per request across all its attempts. */
  requestDeadlineMs?: number;
  /** Timeout of one attempt (the producer answers 503 after its publish timeout). */
  attemptTimeoutMs?: number;
  maxBackoffMs?: number;
  /** Optional pacing, so the load lasts long enough for a fault to land mid-run. */
  maxEventsPerSecond?: number;
}

export interface LoadReport {
  batches: number;
  events: number;
  accepted: number;
  attempts: number;
  retries: number;
  /** HTTP status (or "network") -> count, over all attempts. */
  outcomes: Record<string, number>;
  durationMs: number;
}

export class LoaderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LoaderError';
  }
}

interface IngestAnswer {
  accepted?: number;
  rejected?: unknown[];
}

export class HttpLoader {
  private acceptedEvents = 0;
  private readonly outcomes: Record<string, number> = {};
  private attempts = 0;
  private retries = 0;
  private readonly abort = new AbortController();

  constructor(private readonly options: LoaderOptions) {
    const url = new URL(options.url);
    if (url.hostname !== '127.0.0.1') throw new LoaderError(`the loader only talks to 127.0.0.1, not ${url.hostname}`);
  }

  /** Events accepted (202) so far: scenarios trigger their faults at points of progress. */
  get accepted(): number {
    return this.acceptedEvents;
  }

  /** Stops the loader early (a failing test); requests in flight are abandoned. */
  stop(): void {
    this.abort.abort();
  }

  async run(batches: readonly unknown[][]): Promise<LoadReport> {
    const started = Date.now();
    const events = batches.reduce((sum, b) => sum + b.length, 0);
    let next = 0;
    const worker = async () => {
      for (;;) {
        if (this.abort.signal.aborted) throw new LoaderError('loader stopped');
        const index = next;
        next += 1;
        const batch = batches[index];
        if (batch === undefined) return;
        await this.pace(started);
        await this.post(batch, index);
      }
    };
    try {
      await Promise.all(Array.from({ length: this.options.concurrency }, () => worker()));
    } catch (error) {
      this.abort.abort();
      throw error;
    }
    return {
      batches: batches.length,
      events,
      accepted: this.acceptedEvents,
      attempts: this.attempts,
      retries: this.retries,
      outcomes: { ...this.outcomes },
      durationMs: Date.now() - started,
    };
  }

  private async pace(started: number): Promise<void> {
    const rate = this.options.maxEventsPerSecond;
    if (rate === undefined) return;
    const aheadMs = (this.acceptedEvents / rate) * 1000 - (Date.now() - started);
    if (aheadMs > 0) await sleep(aheadMs, undefined, { signal: this.abort.signal }).catch(() => undefined);
  }

  private async post(batch: unknown[], index: number): Promise<void> {
    const maxAttempts = this.options.maxAttempts ?? 500;
    const deadline = Date.now() + (this.options.requestDeadlineMs ?? 180_000);
    const body = JSON.stringify(batch);
    let lastProblem = '';
    for (let attempt = 1; attempt <= maxAttempts && Date.now() < deadline; attempt += 1) {
      if (this.abort.signal.aborted) throw new LoaderError('loader stopped');
      this.attempts += 1;
      if (attempt > 1) this.retries += 1;
      let retryAfterMs: number | undefined;
      try {
        const res = await fetch(this.options.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
          signal: AbortSignal.any([this.abort.signal, AbortSignal.timeout(this.options.attemptTimeoutMs ?? 30_000)]),
        });
        const text = await res.text();
        this.count(String(res.status));
        if (res.status === 202) {
          const answer = JSON.parse(text) as IngestAnswer;
          if (answer.accepted !== batch.length || (answer.rejected ?? []).length > 0) {
            throw new LoaderError(
              `batch ${index}: ${batch.length} valid events but the producer accepted ${answer.accepted}: ${text.slice(0, 500)}`,
            );
          }
          this.acceptedEvents += batch.length;
          return;
        }
        if (res.status !== 503 && res.status < 500) {
          throw new LoaderError(`batch ${index}: the producer answered ${res.status}: ${text.slice(0, 500)}`);
        }
        const retryAfterS = Number(res.headers.get('retry-after'));
        if (Number.isFinite(retryAfterS) && retryAfterS > 0) retryAfterMs = retryAfterS * 1000;
        lastProblem = `${res.status} ${text.slice(0, 200)}`;
      } catch (error) {
        if (error instanceof LoaderError) throw error;
        if (this.abort.signal.aborted) throw new LoaderError('loader stopped');
        this.count('network');
        lastProblem = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      }
      const backoffMs = Math.min(this.options.maxBackoffMs ?? 2_000, 100 * 2 ** Math.min(attempt, 10));
      // Retry-After is honoured, capped so a test does not idle for the producer's default 5 s.
      await sleep(Math.min(retryAfterMs ?? backoffMs, this.options.maxBackoffMs ?? 2_000), undefined, {
        signal: this.abort.signal,
      }).catch(() => undefined);
    }
    throw new LoaderError(`batch ${index} was not accepted after bounded retries; last answer: ${lastProblem}`);
  }

  private count(outcome: string): void {
    this.outcomes[outcome] = (this.outcomes[outcome] ?? 0) + 1;
  }
}
