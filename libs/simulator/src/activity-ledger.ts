/**
 * What the simulator remembers of the token events it generated, per GPU sample interval
 * (`[k · intervalMs, (k + 1) · intervalMs)`): how much of the interval token events were
 * generated for, and the summed durations of the requests that finished in it, per replica.
 * GPU readings are drawn from it (Little's law), so they follow the generated load. Bounded:
 * it keeps the newest 20,000 intervals (2.3 days at the default 10 s).
 */

const MAX_LEDGER_INTERVALS = 20_000;

interface LedgerInterval {
  /** Milliseconds of the interval for which token events were generated. */
  coveredMs: number;
  /** Summed request durations that finished in the interval, per replica. */
  readonly busyMs: Float64Array;
}

/** The interval before a grid point, as far as token events were generated for it. */
export interface ObservedActivity {
  /** Summed durations of the replica's requests that finished in the interval. */
  busyMs: number;
  /** 0..1: the part of the interval no token events were generated for. */
  uncoveredShare: number;
}

export class ActivityLedger {
  private readonly intervals = new Map<number, LedgerInterval>();
  private newestKey = -Infinity;

  constructor(
    private readonly intervalMs: number,
    private readonly replicaCount: number,
  ) {}

  /** A request of `replica` that finished at `timeMs` and took `durationMs`. */
  recordRequest(timeMs: number, replica: number, durationMs: number): void {
    const interval = this.interval(this.key(timeMs));
    interval.busyMs[replica] = (interval.busyMs[replica] ?? 0) + durationMs;
  }

  /** Token events were generated for [fromMs, toMs). */
  cover(fromMs: number, toMs: number): void {
    if (fromMs === toMs) return;
    const step = this.intervalMs;
    const firstKey = Math.max(this.key(fromMs), this.key(toMs - 1) - MAX_LEDGER_INTERVALS + 1);
    for (let key = firstKey; key * step < toMs; key += 1) {
      const interval = this.interval(key);
      const overlap = Math.min(toMs, (key + 1) * step) - Math.max(fromMs, key * step);
      interval.coveredMs = Math.min(step, interval.coveredMs + overlap);
    }
  }

  /** The whole interval around `timeMs` counts as covered (a caller paces the events itself). */
  coverIntervalOf(timeMs: number): void {
    this.interval(this.key(timeMs)).coveredMs = this.intervalMs;
  }

  /** The replica's activity over [t − intervalMs, t). */
  observedBefore(t: number, replica: number): ObservedActivity {
    const interval = this.intervals.get(this.key(t - this.intervalMs));
    return {
      busyMs: interval?.busyMs[replica] ?? 0,
      uncoveredShare: 1 - (interval?.coveredMs ?? 0) / this.intervalMs,
    };
  }

  private key(timeMs: number): number {
    return Math.floor(timeMs / this.intervalMs);
  }

  private interval(key: number): LedgerInterval {
    let interval = this.intervals.get(key);
    if (interval === undefined) {
      interval = { coveredMs: 0, busyMs: new Float64Array(this.replicaCount) };
      this.intervals.set(key, interval);
      if (key > this.newestKey) this.newestKey = key;
      if (this.intervals.size > 2 * MAX_LEDGER_INTERVALS) {
        for (const k of [...this.intervals.keys()]) {
          if (k <= this.newestKey - MAX_LEDGER_INTERVALS) this.intervals.delete(k);
        }
      }
    }
    return interval;
  }
}
