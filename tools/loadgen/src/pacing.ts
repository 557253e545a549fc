/**
 * When the load generator sends what. Event i of a run is due at start + i/rate; every tick
 * (100 ms) or whenever a request returns, the events due so far go out in requests of up to
 * `batchSize`, a partial batch only once its oldest event is a tick late (fewer, fuller
 * requests). Events still unsent 1 s after the duration (the producer, or the concurrency, could
 * not keep up) are not sent: they are behind schedule. The clock is a dependency, so the unit
 * tests run on virtual time.
 */

export const TICK_MS = 100;
/** How long past the duration a backlog may still be sent before it counts as behind schedule. */
const MAX_LAG_MS = 1_000;

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

/** Waits for a request to finish, `ms` to pass, or the signal; the timer is cleared either way. */
export async function waitForAny(
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

/** The due times of a run's token events, and how many of them went out so far. */
export class TokenSchedule {
  readonly endAt: number;
  /** Events due in the duration. */
  readonly total: number;
  /** Events handed out by `takeBatch`. */
  scheduled = 0;

  constructor(
    readonly start: number,
    private readonly ratePerSecond: number,
    durationSeconds: number,
  ) {
    this.endAt = start + durationSeconds * 1000;
    // Event i is due at i/rate seconds; the epsilon keeps 0.1 × 30 from becoming 2.9999999999999996.
    this.total = Math.floor(ratePerSecond * durationSeconds + 1e-9);
  }

  /** Events are left to send and the run is not more than the allowed lag past its duration. */
  generating(now: number): boolean {
    return this.scheduled < this.total && now < this.endAt + MAX_LAG_MS;
  }

  /**
   * The due times (epoch ms) of the next request's events at `now`: up to `batchSize` of the
   * events due so far, or undefined when none is due or a partial batch can wait a tick.
   */
  takeBatch(now: number, batchSize: number): number[] | undefined {
    const due = Math.min(this.total, Math.floor((this.ratePerSecond * (now - this.start)) / 1000 + 1e-9));
    if (this.scheduled >= due) return undefined;
    if (due - this.scheduled < batchSize && now - this.dueAt(this.scheduled) < TICK_MS && due < this.total)
      return undefined;
    const n = Math.min(batchSize, due - this.scheduled);
    const times = Array.from({ length: n }, (_, i) => Math.floor(this.dueAt(this.scheduled + i)));
    this.scheduled += n;
    return times;
  }

  /** Events due in the duration that were never sent. */
  behind(): number {
    return this.total - this.scheduled;
  }

  private dueAt(index: number): number {
    return this.start + (index * 1000) / this.ratePerSecond;
  }
}

/** Fires once per period: `passed(now)` is true when `now` reached the next tick, which then moves past `now`. */
export class Ticker {
  constructor(
    private next: number,
    private readonly everyMs: number,
  ) {}

  passed(now: number): boolean {
    if (now < this.next) return false;
    while (this.next <= now) this.next += this.everyMs;
    return true;
  }
}
